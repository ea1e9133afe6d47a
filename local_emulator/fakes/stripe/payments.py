"""A successful card payment of an invoice: payment intent, charge, balance transaction."""

from __future__ import annotations

from .fx import convert
from .state import FakeStripe, JsonDict, RequestContext

_TWO_DAYS = 2 * 86_400


def card_fee(amount: int) -> int:
    """2.9 % + 30 minor units, rounded half up, in integers."""
    return (amount * 29 + 500) // 1000 + 30


def collect_payment(
    fake: FakeStripe, invoice: JsonDict, amount: int, ctx: RequestContext
) -> JsonDict:
    """Create and store the objects of a successful payment; returns the charge."""
    now = fake.now()
    currency = invoice["currency"]
    pi_id, ch_id, txn_id = fake.ids.new("pi"), fake.ids.new("ch"), fake.ids.new("txn")
    # the balance transaction is in the settlement currency, converted at a stated rate when
    # the account holds no bank account in the charge's currency (``fx``)
    settled = fake.settlement.currency_for(currency)
    settled_amount, stated = convert(amount, currency, settled, now)
    fee = card_fee(settled_amount)
    txn: JsonDict = {
        "id": txn_id,
        "object": "balance_transaction",
        "amount": settled_amount,
        "available_on": now + _TWO_DAYS,
        "balance_type": "payments",
        "created": now,
        "currency": settled,
        "description": f"Payment for Invoice {invoice.get('number')}",
        # a JSON number, as Stripe sends it (stripe-python types it float)
        "exchange_rate": float(stated) if settled != currency else None,
        "fee": fee,
        "fee_details": [
            {
                "amount": fee,
                "application": None,
                "currency": settled,
                "description": "Stripe processing fees",
                "type": "stripe_fee",
            }
        ],
        "net": settled_amount - fee,
        "reporting_category": "charge",
        "source": ch_id,
        "status": "pending",
        "type": "charge",
    }
    charge: JsonDict = {
        "id": ch_id,
        "object": "charge",
        "amount": amount,
        "amount_captured": amount,
        "amount_refunded": 0,
        "balance_transaction": txn_id,
        "captured": True,
        "created": now,
        "currency": currency,
        "customer": invoice["customer"],
        "description": f"Payment for Invoice {invoice.get('number')}",
        "disputed": False,
        "livemode": False,
        "metadata": {},
        "paid": True,
        "payment_intent": pi_id,
        "payment_method": "pm_card_visa",
        "payment_method_details": {"type": "card", "card": {"brand": "visa", "last4": "4242"}},
        "refunded": False,
        "status": "succeeded",
    }
    intent: JsonDict = {
        "id": pi_id,
        "object": "payment_intent",
        "amount": amount,
        "amount_capturable": 0,
        "amount_received": amount,
        "capture_method": "automatic",
        "created": now,
        "currency": currency,
        "customer": invoice["customer"],
        "description": charge["description"],
        "latest_charge": ch_id,
        "livemode": False,
        "metadata": {},
        "payment_method": "pm_card_visa",
        "payment_method_types": ["card"],
        "status": "succeeded",
    }
    payment: JsonDict = {
        "id": fake.ids.new("inpay"),
        "object": "invoice_payment",
        "amount_paid": amount,
        "amount_requested": amount,
        "created": now,
        "currency": currency,
        "invoice": invoice["id"],
        "is_default": True,
        "livemode": False,
        "payment": {"type": "payment_intent", "payment_intent": pi_id},
        "status": "paid",
        "status_transitions": {"canceled_at": None, "paid_at": now},
    }
    for obj in (txn, charge, intent, payment):
        fake.put(obj)
    fake.emit_event("charge.succeeded", charge, ctx=ctx)
    fake.emit_event("payment_intent.succeeded", intent, ctx=ctx)
    fake.emit_event("invoice_payment.paid", payment, ctx=ctx)
    return charge
