"""Card payments: a PaymentIntent that succeeds, its charge and balance transaction."""

from __future__ import annotations

from .fx import convert
from .state import FakeStripe, JsonDict, RequestContext

_TWO_DAYS = 2 * 86_400


def card_fee(amount: int) -> int:
    """2.9 % + 30 minor units, rounded half up, in integers."""
    return (amount * 29 + 500) // 1000 + 30


def succeed(fake: FakeStripe, intent: JsonDict, ctx: RequestContext) -> JsonDict:
    """The PaymentIntent's card payment succeeds: its charge and balance transaction, and the
    ``charge.succeeded`` and ``payment_intent.succeeded`` events; returns the charge."""
    now = fake.now()
    amount, currency = int(intent["amount"]), intent["currency"]
    ch_id, txn_id = fake.ids.new("ch"), fake.ids.new("txn")
    # the balance transaction is in the settlement currency, converted at a stated rate when
    # the account holds no bank account in the charge's currency (``fx``)
    settled = fake.settlement.currency_for(currency)
    settled_amount, stated = convert(amount, currency, settled, now)
    fee = card_fee(settled_amount)
    description = intent.get("description") or "Payment"
    txn: JsonDict = {
        "id": txn_id,
        "object": "balance_transaction",
        "amount": settled_amount,
        "available_on": now + _TWO_DAYS,
        "balance_type": "payments",
        "created": now,
        "currency": settled,
        "description": description,
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
        "customer": intent.get("customer"),
        "description": description,
        "disputed": False,
        "livemode": False,
        "metadata": dict(intent.get("metadata") or {}),
        "paid": True,
        "payment_intent": intent["id"],
        "payment_method": intent.get("payment_method") or "pm_card_visa",
        "payment_method_details": {"type": "card", "card": {"brand": "visa", "last4": "4242"}},
        "refunded": False,
        "status": "succeeded",
    }
    intent.update(status="succeeded", amount_received=amount, latest_charge=ch_id)
    for obj in (txn, charge, intent):
        fake.put(obj)
    fake.emit_event("charge.succeeded", charge, ctx=ctx)
    fake.emit_event("payment_intent.succeeded", intent, ctx=ctx)
    return charge


def new_intent(
    fake: FakeStripe,
    amount: int,
    currency: str,
    customer: str | None,
    description: str | None,
    *,
    payment_method: str | None = None,
) -> JsonDict:
    return {
        "id": fake.ids.new("pi"),
        "object": "payment_intent",
        "amount": amount,
        "amount_capturable": 0,
        "amount_received": 0,
        "capture_method": "automatic",
        "created": fake.now(),
        "currency": currency,
        "customer": customer,
        "description": description,
        "last_payment_error": None,
        "latest_charge": None,
        "livemode": False,
        "metadata": {},
        "payment_method": payment_method,
        "payment_method_types": ["card"],
        "status": "requires_payment_method" if payment_method is None else "requires_confirmation",
    }


def collect_payment(
    fake: FakeStripe, invoice: JsonDict, amount: int, ctx: RequestContext
) -> JsonDict:
    """The invoice's own PaymentIntent paid by card; its invoice payment (``is_default``)."""
    intent = new_intent(
        fake,
        amount,
        invoice["currency"],
        invoice["customer"],
        f"Payment for Invoice {invoice.get('number')}",
        payment_method="pm_card_visa",
    )
    charge = succeed(fake, intent, ctx)
    named = {"type": "payment_intent", "payment_intent": intent["id"]}
    paid_invoice_payment(fake, invoice, amount, named, is_default=True, ctx=ctx)
    return charge


def paid_invoice_payment(
    fake: FakeStripe,
    invoice: JsonDict,
    amount: int,
    payment: JsonDict,
    *,
    is_default: bool,
    ctx: RequestContext,
) -> JsonDict:
    """The invoice payment of ``amount``, paid now by what ``payment`` names (a PaymentIntent
    or a PaymentRecord); stored, and ``invoice_payment.paid`` sent."""
    now = fake.now()
    paid: JsonDict = {
        "id": fake.ids.new("inpay"),
        "object": "invoice_payment",
        "amount_paid": amount,
        "amount_requested": amount,
        "created": now,
        "currency": invoice["currency"],
        "invoice": invoice["id"],
        "is_default": is_default,
        "livemode": False,
        "payment": payment,
        "status": "paid",
        "status_transitions": {"canceled_at": None, "paid_at": now},
    }
    fake.put(paid)
    fake.emit_event("invoice_payment.paid", paid, ctx=ctx)
    return paid
