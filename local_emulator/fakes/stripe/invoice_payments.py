"""Payments made apart from an invoice and attached to it later: PaymentIntents, and payments
recorded as having happened outside Stripe (PaymentRecords).

Sources: docs.stripe.com/invoicing/partial-payments and stripe-python 16.1.0
``Invoice.attach_payment`` ("If the PaymentIntent's status is already succeeded when it's
attached, it's credited to the invoice immediately"); docs.stripe.com/api/payment-record
(``report_payment``, ``report_refund``: a refund up to the unrefunded amount);
``InvoicePayment.payment`` names a ``payment_intent`` or a ``payment_record`` by ``type``.
The fake attaches succeeded payments only, and refuses more than the invoice has remaining
(Stripe would book the excess as an overpayment to the customer's balance).
"""

from __future__ import annotations

from .errors import StripeApiError, invalid
from .invoices import find_invoice
from .params import merged_metadata, opt_bool, opt_int, opt_str, reject_unknown, req_str
from .payments import new_intent, paid_invoice_payment, succeed
from .state import FakeStripe, JsonDict, RequestContext

_INTENT_FIELDS = [
    "amount",
    "currency",
    "customer",
    "description",
    "metadata",
    "payment_method",
    "payment_method_types",
    "confirm",
    "automatic_payment_methods",
]
_TEST_CARDS = ("pm_card_visa", "pm_card_mastercard")


def create_payment_intent(fake: FakeStripe, params: JsonDict, ctx: RequestContext) -> JsonDict:
    """``POST /v1/payment_intents``; with ``confirm=true`` and a test card it succeeds at once."""
    reject_unknown(params, _INTENT_FIELDS)
    amount = opt_int(params, "amount")
    if amount is None or amount <= 0:
        raise invalid("Missing required param: amount.", param="amount", code="parameter_missing")
    customer = opt_str(params, "customer")
    if customer is not None:
        found = fake.get(customer)
        if found is None or found.get("object") != "customer" or found.get("deleted"):
            raise invalid(
                f"No such customer: '{customer}'", param="customer", code="resource_missing"
            )
    method = opt_str(params, "payment_method")
    intent = new_intent(
        fake,
        amount,
        req_str(params, "currency").lower(),
        customer,
        opt_str(params, "description"),
        payment_method=method,
    )
    intent["metadata"] = merged_metadata({}, params.get("metadata"))
    fake.put(intent)
    fake.emit_event("payment_intent.created", intent, ctx=ctx)
    if opt_bool(params, "confirm"):
        if method not in _TEST_CARDS:
            raise invalid(
                "The fake confirms test cards only (pm_card_visa).", param="payment_method"
            )
        succeed(fake, intent, ctx)
    return intent


def attach_payment(
    fake: FakeStripe, invoice_id: str, params: JsonDict, ctx: RequestContext
) -> JsonDict:
    """``POST /v1/invoices/{id}/attach_payment``: credit a succeeded PaymentIntent or a
    PaymentRecord to an open invoice, as a new invoice payment (not the default one)."""
    reject_unknown(params, ["payment_intent", "payment_record"])
    invoice = find_invoice(fake, invoice_id)
    intent_id, record_id = opt_str(params, "payment_intent"), opt_str(params, "payment_record")
    if (intent_id is None) == (record_id is None):
        raise invalid("Specify exactly one of payment_intent and payment_record.")
    if invoice["status"] != "open":
        raise invalid(
            f"You can only attach payments to an open invoice, not {invoice['status']}.",
            code="invoice_not_editable",
        )
    if intent_id is not None:
        source = _require(fake, intent_id, "payment_intent", "payment_intent")
        if source["status"] != "succeeded":
            raise invalid(
                "The fake attaches succeeded PaymentIntents only.", param="payment_intent"
            )
        amount, currency = int(source["amount_received"]), source["currency"]
        payment: JsonDict = {"type": "payment_intent", "payment_intent": intent_id}
    else:
        source = _require(fake, str(record_id), "payment_record", "payment_record")
        amount = int(source["amount"]["value"]) - int(source["amount_refunded"]["value"])
        currency = source["amount"]["currency"]
        payment = {"type": "payment_record", "payment_record": record_id}
    if currency != invoice["currency"]:
        raise invalid("The payment's currency must match the invoice's.", param="currency")
    if not 0 < amount <= int(invoice["amount_remaining"]):
        raise invalid(
            f"The payment ({amount}) exceeds what the invoice has remaining "
            f"({invoice['amount_remaining']}).",
        )
    now = paid_invoice_payment(fake, invoice, amount, payment, is_default=False, ctx=ctx)["created"]
    previous = {
        "amount_paid": invoice["amount_paid"],
        "amount_remaining": invoice["amount_remaining"],
    }
    invoice["amount_paid"] = int(invoice["amount_paid"]) + amount
    invoice["amount_remaining"] = int(invoice["amount_due"]) - invoice["amount_paid"]
    if invoice["amount_remaining"] == 0:
        invoice["status"] = "paid"
        invoice["status_transitions"]["paid_at"] = now
        fake.emit_event("invoice.paid", invoice, ctx=ctx)
    else:
        fake.emit_event("invoice.updated", invoice, previous_attributes=previous, ctx=ctx)
    return invoice


def _require(fake: FakeStripe, object_id: str, object_type: str, param: str) -> JsonDict:
    found = fake.get(object_id)
    if found is None or found.get("object") != object_type:
        raise invalid(f"No such {object_type}: '{object_id}'", param=param, code="resource_missing")
    return found


def _money(value: object, param: str) -> tuple[int, str]:
    if not isinstance(value, dict):
        raise invalid(f"Missing required param: {param}.", param=param, code="parameter_missing")
    amount = opt_int(value, "value")
    currency = (opt_str(value, "currency") or "").lower()
    if amount is None or amount <= 0 or not currency:
        raise invalid(f"{param} needs a positive value and a currency.", param=param)
    return amount, currency


def report_payment(fake: FakeStripe, params: JsonDict, ctx: RequestContext) -> JsonDict:
    """``POST /v1/payment_records/report_payment``: a payment made outside Stripe."""
    reject_unknown(
        params,
        [
            "amount_requested",
            "initiated_at",
            "payment_method_details",
            "processor_details",
            "customer_details",
            "customer_presence",
            "description",
            "metadata",
            "outcome",
            "guaranteed",
            "failed",
            "canceled",
            "shipping_details",
        ],
    )
    amount, currency = _money(params.get("amount_requested"), "amount_requested")
    initiated = opt_int(params, "initiated_at")
    if initiated is None:
        raise invalid(
            "Missing required param: initiated_at.", param="initiated_at", code="parameter_missing"
        )
    outcome = opt_str(params, "outcome") or "guaranteed"
    if outcome != "guaranteed":
        raise invalid("The fake records guaranteed payments only.", param="outcome")
    details = params.get("customer_details") or {}
    money = {"currency": currency, "value": amount}
    zero = {"currency": currency, "value": 0}
    record: JsonDict = {
        "id": fake.ids.new("pr"),
        "object": "payment_record",
        "amount": dict(money),
        "amount_authorized": dict(money),
        "amount_canceled": dict(zero),
        "amount_failed": dict(zero),
        "amount_guaranteed": dict(money),
        "amount_refunded": dict(zero),
        "amount_requested": dict(money),
        "application": None,
        "created": fake.now(),
        "customer_details": {
            "customer": details.get("customer"),
            "email": None,
            "name": None,
            "phone": None,
        },
        "customer_presence": opt_str(params, "customer_presence"),
        "description": opt_str(params, "description"),
        "latest_payment_attempt_record": fake.ids.new("par"),
        "livemode": False,
        "metadata": merged_metadata({}, params.get("metadata")),
        "payment_method_details": params.get("payment_method_details"),
        "processor_details": params.get("processor_details") or {"type": "custom", "custom": None},
        "reported_by": "self",
        "shipping_details": None,
    }
    fake.put(record)
    return record


def report_refund(
    fake: FakeStripe, record_id: str, params: JsonDict, ctx: RequestContext
) -> JsonDict:
    """``POST /v1/payment_records/{id}/report_refund``: part or all of it paid back outside."""
    reject_unknown(
        params, ["amount", "initiated_at", "metadata", "outcome", "processor_details", "refunded"]
    )
    record = fake.get(record_id)
    if record is None or record.get("object") != "payment_record":
        raise StripeApiError(404, f"No such payment_record: '{record_id}'", code="resource_missing")
    left = int(record["amount"]["value"]) - int(record["amount_refunded"]["value"])
    amount = _money(params["amount"], "amount")[0] if "amount" in params else left
    if opt_str(params, "outcome") != "refunded":
        raise invalid("Missing required param: outcome.", param="outcome", code="parameter_missing")
    if not 0 < amount <= left:
        raise invalid(
            f"Can refund only up to the remaining, unrefunded amount ({left}).", param="amount"
        )
    record["amount_refunded"]["value"] = int(record["amount_refunded"]["value"]) + amount
    return record
