"""Invoices: draft, update, finalize, send, pay, void, mark uncollectible, as Stripe does."""

from __future__ import annotations

import copy
from typing import Any

from .balance import apply_at_finalization
from .customers import attach_item, changed_fields, require
from .errors import StripeApiError, invalid
from .params import merged_metadata, opt_bool, opt_int, opt_str, reject_unknown, req_str
from .payments import collect_payment
from .shipping import apply_shipping
from .state import FakeStripe, JsonDict, RequestContext
from .totals import recompute_totals

_DAY = 86_400
_DRAFT_FIELDS = (
    "auto_advance collection_method custom_fields days_until_due description due_date footer "
    "metadata shipping_cost"
).split()
_CREATE_FIELDS = [*_DRAFT_FIELDS, "customer", "currency", "pending_invoice_items_behavior"]
_PAY_FIELDS = ["paid_out_of_band", "payment_method", "source", "off_session", "forgive"]
_LOCKED_AFTER_FINALIZE = {"collection_method", "days_until_due", "due_date", "shipping_cost"}


def find_invoice(fake: FakeStripe, invoice_id: str) -> JsonDict:
    invoice = fake.get(invoice_id)
    if invoice is None or invoice.get("object") != "invoice":
        raise StripeApiError(404, f"No such invoice: '{invoice_id}'", code="resource_missing")
    return invoice


def _custom_fields(value: Any) -> list[JsonDict] | None:
    if value in (None, ""):
        return None
    if not isinstance(value, list) or len(value) > 4:
        raise invalid("custom_fields must be a list of at most 4 entries", param="custom_fields")
    fields = [{"name": str(f.get("name", "")), "value": str(f.get("value", ""))} for f in value]
    if any(not f["name"] or not f["value"] for f in fields):
        raise invalid("Each custom field needs a name and a value", param="custom_fields")
    if any(len(f["name"]) > 40 or len(f["value"]) > 140 for f in fields):
        raise invalid(
            "Custom field names can have up to 40 characters and values up to 140",
            param="custom_fields",
        )
    return fields


def _apply(invoice: JsonDict, params: JsonDict) -> None:
    for name in ("description", "footer"):
        if name in params:
            invoice[name] = params[name] or None
    if "auto_advance" in params:
        invoice["auto_advance"] = bool(opt_bool(params, "auto_advance"))
    if "custom_fields" in params:
        invoice["custom_fields"] = _custom_fields(params["custom_fields"])
    if "metadata" in params:
        invoice["metadata"] = merged_metadata(invoice.get("metadata"), params["metadata"])
    if "collection_method" in params:
        method = params["collection_method"]
        if method not in ("charge_automatically", "send_invoice"):
            raise invalid(f"Invalid collection_method: {method}", param="collection_method")
        invoice["collection_method"] = method
    days = opt_int(params, "days_until_due")
    if days is not None:
        invoice["due_date"] = invoice["created"] + days * _DAY
    due = opt_int(params, "due_date")
    if due is not None:
        invoice["due_date"] = due
    if invoice["collection_method"] == "charge_automatically":
        if days is not None or due is not None:
            raise invalid(
                "days_until_due and due_date are only for collection_method=send_invoice",
                param="days_until_due",
            )
        invoice["due_date"] = None
    elif invoice["due_date"] is None:
        raise invalid(
            "Missing required param: days_until_due.",
            param="days_until_due",
            code="parameter_missing",
        )


def _customer_snapshot(invoice: JsonDict, customer: JsonDict) -> None:
    invoice.update(
        customer_address=copy.deepcopy(customer.get("address")),
        customer_email=customer.get("email"),
        customer_name=customer.get("name"),
        customer_phone=customer.get("phone"),
        customer_shipping=copy.deepcopy(customer.get("shipping")),
        customer_tax_exempt=customer.get("tax_exempt", "none"),
    )


def _new_invoice(fake: FakeStripe, customer: JsonDict, currency: str) -> JsonDict:
    now = fake.now()
    invoice: JsonDict = {
        "id": fake.ids.new("in"),
        "object": "invoice",
        "account_country": "US",
        "account_name": "Fake Stripe Account",
        "amount_due": 0,
        "amount_overpaid": 0,
        "amount_paid": 0,
        "amount_remaining": 0,
        "amount_shipping": 0,
        "attempt_count": 0,
        "attempted": False,
        "auto_advance": False,
        "automatic_tax": {"enabled": False, "liability": None, "status": None},
        "billing_reason": "manual",
        "collection_method": "charge_automatically",
        "created": now,
        "currency": currency,
        "custom_fields": None,
        "customer": customer["id"],
        "default_payment_method": None,
        "default_source": None,
        "description": None,
        "discounts": [],
        "due_date": None,
        "effective_at": None,
        "ending_balance": None,
        "footer": None,
        "hosted_invoice_url": None,
        "invoice_pdf": None,
        "issuer": {"type": "self"},
        "last_finalization_error": None,
        "latest_revision": None,
        "livemode": False,
        "metadata": {},
        "next_payment_attempt": None,
        "number": None,
        "on_behalf_of": None,
        "parent": None,
        "period_end": now,
        "period_start": now,
        "post_payment_credit_notes_amount": 0,
        "pre_payment_credit_notes_amount": 0,
        "receipt_number": None,
        "shipping_cost": None,
        "shipping_details": None,
        "starting_balance": 0,
        "statement_descriptor": None,
        "status": "draft",
        "status_transitions": {
            "finalized_at": None,
            "marked_uncollectible_at": None,
            "paid_at": None,
            "voided_at": None,
        },
        "subtotal": 0,
        "subtotal_excluding_tax": 0,
        "test_clock": None,
        "total": 0,
        "total_discount_amounts": [],
        "total_excluding_tax": 0,
        "total_pretax_credit_amounts": [],
        "total_taxes": [],
        "webhooks_delivered_at": None,
    }
    _customer_snapshot(invoice, customer)
    return invoice


def create_invoice(fake: FakeStripe, params: JsonDict, ctx: RequestContext) -> JsonDict:
    reject_unknown(params, _CREATE_FIELDS)
    customer = require(fake, req_str(params, "customer"), "customer", "customer")
    currency = (opt_str(params, "currency") or customer.get("currency") or "usd").lower()
    behavior = opt_str(params, "pending_invoice_items_behavior") or "exclude"
    if behavior not in ("exclude", "include"):
        raise invalid(f"Invalid pending_invoice_items_behavior: {behavior}", param=behavior)
    invoice = _new_invoice(fake, customer, currency)
    _apply(invoice, params)
    apply_shipping(fake, invoice, params)
    fake.put(invoice)
    if behavior == "include":
        pending = [
            item
            for item in reversed(fake.objects_of("invoiceitem"))
            if item["customer"] == customer["id"]
            and item["invoice"] is None
            and item["currency"] == currency
        ]
        for item in pending:
            attach_item(fake, item, invoice)
    recompute_totals(fake, invoice)
    fake.emit_event("invoice.created", invoice, ctx=ctx)
    return invoice


def update_invoice(
    fake: FakeStripe, invoice_id: str, params: JsonDict, ctx: RequestContext
) -> JsonDict:
    reject_unknown(params, _DRAFT_FIELDS)
    invoice = find_invoice(fake, invoice_id)
    if invoice["status"] != "draft":
        locked = sorted(_LOCKED_AFTER_FINALIZE & set(params))
        if locked:
            raise invalid(f"You can't change {locked[0]} of a finalized invoice.", param=locked[0])
    before = copy.deepcopy(invoice)
    updated = copy.deepcopy(invoice)
    _apply(updated, params)  # on a refusal nothing has changed: Stripe's writes are atomic
    apply_shipping(fake, updated, params)
    invoice.update(updated)
    if "shipping_cost" in params:
        recompute_totals(fake, invoice)
    previous = changed_fields(before, invoice)
    if previous:
        fake.emit_event("invoice.updated", invoice, previous_attributes=previous, ctx=ctx)
    return invoice


def _mark_paid(fake: FakeStripe, invoice: JsonDict, amount: int) -> None:
    invoice["amount_paid"] += amount
    invoice["amount_remaining"] = invoice["amount_due"] - invoice["amount_paid"]
    invoice["status"] = "paid"
    invoice["status_transitions"]["paid_at"] = fake.now()
    invoice["attempted"] = True
    invoice["next_payment_attempt"] = None


def finalize_invoice(
    fake: FakeStripe, invoice_id: str, params: JsonDict, ctx: RequestContext
) -> JsonDict:
    reject_unknown(params, ["auto_advance"])
    invoice = find_invoice(fake, invoice_id)
    if invoice["status"] != "draft":
        raise invalid(
            "This invoice is already finalized, you can't re-finalize a non-draft invoice.",
            code="invoice_not_editable",
        )
    customer = require(fake, invoice["customer"], "customer", "customer")
    sequence = int(customer.get("next_invoice_sequence") or 1)
    customer["next_invoice_sequence"] = sequence + 1
    if customer.get("currency") is None:
        customer["currency"] = invoice["currency"]
    now = fake.now()
    token = fake.ids.token(32)
    if "auto_advance" in params:
        invoice["auto_advance"] = bool(opt_bool(params, "auto_advance"))
    invoice.update(
        number=f"{customer['invoice_prefix']}-{sequence:04d}",
        status="open",
        effective_at=now,
        hosted_invoice_url=f"https://invoice.stripe.com/i/acct_fake/test_{token}",
        invoice_pdf=f"https://pay.stripe.com/invoice/acct_fake/test_{token}/pdf",
    )
    invoice["status_transitions"]["finalized_at"] = now
    _customer_snapshot(invoice, customer)
    recompute_totals(fake, invoice)
    apply_at_finalization(fake, invoice, ctx)
    fake.emit_event("invoice.finalized", invoice, ctx=ctx)
    if invoice["amount_due"] == 0:  # Stripe marks a zero invoice paid when it is finalized
        _mark_paid(fake, invoice, 0)
        fake.emit_event("invoice.paid", invoice, ctx=ctx)
    return invoice


def send_invoice(
    fake: FakeStripe, invoice_id: str, params: JsonDict, ctx: RequestContext
) -> JsonDict:
    reject_unknown(params, [])
    invoice = find_invoice(fake, invoice_id)
    if invoice["collection_method"] != "send_invoice":
        raise invalid("You can only send invoices with collection_method=send_invoice.")
    if invoice["status"] not in ("open", "paid", "uncollectible"):
        raise invalid(f"You can't send an invoice with status {invoice['status']}.")
    fake.emit_event("invoice.sent", invoice, ctx=ctx)
    return invoice


def pay_invoice(
    fake: FakeStripe, invoice_id: str, params: JsonDict, ctx: RequestContext
) -> JsonDict:
    reject_unknown(
        params, ["paid_out_of_band", "payment_method", "source", "off_session", "forgive"]
    )
    invoice = find_invoice(fake, invoice_id)
    if invoice["status"] == "draft":
        finalize_invoice(fake, invoice_id, {}, ctx)
    if invoice["status"] == "paid":
        raise invalid("Invoice is already paid.", code="invoice_already_paid")
    if invoice["status"] == "void":
        raise invalid("You can't pay a void invoice.", code="invoice_not_editable")
    amount = invoice["amount_remaining"]
    if opt_bool(params, "paid_out_of_band"):
        _mark_paid(fake, invoice, amount)
        fake.emit_event("invoice.paid", invoice, ctx=ctx)
        return invoice
    collect_payment(fake, invoice, amount, ctx)
    _mark_paid(fake, invoice, amount)
    invoice["attempt_count"] += 1
    fake.emit_event("invoice.paid", invoice, ctx=ctx)
    fake.emit_event("invoice.payment_succeeded", invoice, ctx=ctx)
    return invoice


def void_invoice(
    fake: FakeStripe, invoice_id: str, params: JsonDict, ctx: RequestContext
) -> JsonDict:
    reject_unknown(params, [])
    invoice = find_invoice(fake, invoice_id)
    if invoice["status"] not in ("open", "uncollectible"):
        raise invalid(
            f"You can only void an open or uncollectible invoice, not {invoice['status']}.",
            code="invoice_not_editable",
        )
    invoice["status"] = "void"
    invoice["status_transitions"]["voided_at"] = fake.now()
    fake.emit_event("invoice.voided", invoice, ctx=ctx)
    return invoice


def mark_uncollectible(
    fake: FakeStripe, invoice_id: str, params: JsonDict, ctx: RequestContext
) -> JsonDict:
    reject_unknown(params, [])
    invoice = find_invoice(fake, invoice_id)
    if invoice["status"] != "open":
        raise invalid(
            f"You can only mark an open invoice uncollectible, not {invoice['status']}.",
            code="invoice_not_editable",
        )
    invoice["status"] = "uncollectible"
    invoice["status_transitions"]["marked_uncollectible_at"] = fake.now()
    fake.emit_event("invoice.marked_uncollectible", invoice, ctx=ctx)
    return invoice
