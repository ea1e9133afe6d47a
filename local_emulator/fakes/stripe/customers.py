"""Customers and invoice items: create and update, with the events Stripe records."""

from __future__ import annotations

import copy
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from .errors import StripeApiError, invalid
from .params import merged_metadata, opt_bool, opt_int, opt_str, reject_unknown, req_str
from .state import FakeStripe, JsonDict, RequestContext
from .totals import recompute_totals

_CUSTOMER_FIELDS = (
    "address description email invoice_prefix invoice_settings metadata name phone "
    "preferred_locales shipping tax_exempt"
).split()
_ITEM_FIELDS = (
    "amount currency customer description discountable invoice metadata period price quantity "
    "unit_amount unit_amount_decimal"
).split()


def changed_fields(before: JsonDict, after: JsonDict) -> JsonDict:
    """``previous_attributes``: the old value of every top-level field that changed."""
    return {k: before.get(k) for k in after if before.get(k) != after.get(k)}


def require(fake: FakeStripe, object_id: str, object_type: str, param: str) -> JsonDict:
    found = fake.get(object_id)
    if found is None or found.get("object") != object_type or found.get("deleted"):
        raise StripeApiError(
            400, f"No such {object_type}: '{object_id}'", code="resource_missing", param=param
        )
    return found


def _apply_customer_params(customer: JsonDict, params: JsonDict) -> None:
    for name in ("description", "email", "name", "phone", "tax_exempt", "invoice_prefix"):
        if name in params:
            customer[name] = params[name] or None
    if "address" in params:
        address = params["address"] or None
        customer["address"] = {
            k: (address or {}).get(k)
            for k in ("city", "country", "line1", "line2", "postal_code", "state")
        }
    if "shipping" in params:
        customer["shipping"] = params["shipping"] or None
    if "preferred_locales" in params:
        customer["preferred_locales"] = list(params["preferred_locales"] or [])
    if "invoice_settings" in params:
        settings = dict(customer["invoice_settings"])
        settings.update(params["invoice_settings"] or {})
        customer["invoice_settings"] = settings
    if "metadata" in params:
        customer["metadata"] = merged_metadata(customer.get("metadata"), params["metadata"])


def create_customer(fake: FakeStripe, params: JsonDict, ctx: RequestContext) -> JsonDict:
    reject_unknown(params, _CUSTOMER_FIELDS)
    customer: JsonDict = {
        "id": fake.ids.new("cus"),
        "object": "customer",
        "address": None,
        "balance": 0,
        "created": fake.now(),
        "currency": None,
        "default_source": None,
        "delinquent": False,
        "description": None,
        "discount": None,
        "email": None,
        "invoice_prefix": fake.ids.invoice_prefix(),
        "invoice_settings": {
            "custom_fields": None,
            "default_payment_method": None,
            "footer": None,
            "rendering_options": None,
        },
        "livemode": False,
        "metadata": {},
        "name": None,
        "next_invoice_sequence": 1,
        "phone": None,
        "preferred_locales": [],
        "shipping": None,
        "tax_exempt": "none",
        "test_clock": None,
    }
    _apply_customer_params(customer, params)
    fake.put(customer)
    fake.emit_event("customer.created", customer, ctx=ctx)
    return customer


def update_customer(
    fake: FakeStripe, customer_id: str, params: JsonDict, ctx: RequestContext
) -> JsonDict:
    reject_unknown(params, _CUSTOMER_FIELDS)
    customer = fake.get(customer_id)
    if customer is None or customer.get("object") != "customer":
        raise StripeApiError(404, f"No such customer: '{customer_id}'", code="resource_missing")
    before = copy.deepcopy(customer)
    updated = copy.deepcopy(customer)
    _apply_customer_params(updated, params)  # on a refusal nothing has changed
    customer.update(updated)
    previous = changed_fields(before, customer)
    if previous:
        fake.emit_event("customer.updated", customer, previous_attributes=previous, ctx=ctx)
    return customer


def _item_amount(fake: FakeStripe, params: JsonDict) -> tuple[int, int, str, JsonDict | None]:
    """(amount, quantity, unit_amount_decimal, price) from amount, unit amount or a price."""
    quantity = opt_int(params, "quantity")
    amount = opt_int(params, "amount")
    unit = params.get("unit_amount_decimal", params.get("unit_amount"))
    price_id = opt_str(params, "price")
    given = [x for x in (amount, unit, price_id) if x is not None]
    if len(given) > 1:
        raise invalid("You may only specify one of amount, unit_amount and price.", param="amount")
    price: JsonDict | None = None
    if price_id is not None:
        price = require(fake, price_id, "price", "price")
        unit = price.get("unit_amount_decimal") or price.get("unit_amount")
    if amount is not None:
        if quantity not in (None, 1):
            raise invalid("You cannot specify quantity together with amount.", param="quantity")
        return amount, 1, str(amount), None
    if unit is None:
        raise invalid("Missing required param: amount.", param="amount", code="parameter_missing")
    try:
        unit_dec = Decimal(str(unit))
    except InvalidOperation:
        raise invalid(f"Invalid decimal: {unit}", param="unit_amount_decimal") from None
    qty = 1 if quantity is None else quantity
    total = int((unit_dec * qty).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return total, qty, format(unit_dec.normalize(), "f"), price


def line_from_item(item: JsonDict, invoice_id: str, line_id: str) -> JsonDict:
    return {
        "id": line_id,
        "object": "line_item",
        "amount": item["amount"],
        "currency": item["currency"],
        "description": item["description"],
        "discount_amounts": [],
        "discountable": item["discountable"],
        "discounts": [],
        "invoice": invoice_id,
        "livemode": False,
        "metadata": dict(item["metadata"]),
        "parent": {
            "type": "invoice_item_details",
            "invoice_item_details": {
                "invoice_item": item["id"],
                "proration": False,
                "proration_details": {"credited_items": None},
                "subscription": None,
            },
            "subscription_item_details": None,
        },
        "period": dict(item["period"]),
        "pretax_credit_amounts": [],
        "pricing": copy.deepcopy(item["pricing"]),
        "quantity": item["quantity"],
        "subtotal": item["amount"],
        "taxes": [],
    }


def attach_item(fake: FakeStripe, item: JsonDict, invoice: JsonDict) -> None:
    item["invoice"] = invoice["id"]
    fake.put(item)  # it points at another object now: lists by invoice must see it
    lines = fake.invoice_lines(invoice["id"])
    lines.append(line_from_item(item, invoice["id"], fake.ids.new("il")))


def create_invoice_item(fake: FakeStripe, params: JsonDict, ctx: RequestContext) -> JsonDict:
    reject_unknown(params, _ITEM_FIELDS)
    customer = require(fake, req_str(params, "customer"), "customer", "customer")
    amount, quantity, unit_decimal, price = _item_amount(fake, params)
    currency = (opt_str(params, "currency") or (price or {}).get("currency") or "").lower()
    currency = currency or customer.get("currency") or ""
    if not currency:
        raise invalid(
            "Missing required param: currency.", param="currency", code="parameter_missing"
        )
    invoice: JsonDict | None = None
    invoice_id = opt_str(params, "invoice")
    if invoice_id:
        invoice = require(fake, invoice_id, "invoice", "invoice")
        if invoice["status"] != "draft":
            raise invalid("You can only add invoice items to draft invoices.", param="invoice")
        if invoice["customer"] != customer["id"]:
            raise invalid("The invoice belongs to another customer.", param="invoice")
        if invoice["currency"] != currency:
            raise invalid("The currency of the item must match the invoice.", param="currency")
    now = fake.now()
    period: Any = params.get("period") or {}
    item: JsonDict = {
        "id": fake.ids.new("ii"),
        "object": "invoiceitem",
        "amount": amount,
        "currency": currency,
        "customer": customer["id"],
        "date": now,
        "description": opt_str(params, "description"),
        "discountable": opt_bool(params, "discountable") is not False,
        "discounts": [],
        "invoice": None,
        "livemode": False,
        "metadata": merged_metadata({}, params.get("metadata")),
        "parent": None,
        "period": {
            "start": opt_int(period, "start") or now,
            "end": opt_int(period, "end") or now,
        },
        "pricing": {
            "type": "price_details" if price else None,
            "price_details": {"price": price["id"], "product": price.get("product")}
            if price
            else None,
            "unit_amount_decimal": unit_decimal,
        },
        "proration": False,
        "quantity": quantity,
        "tax_rates": [],
        "test_clock": None,
    }
    if invoice is not None:
        attach_item(fake, item, invoice)
        recompute_totals(fake, invoice)
    fake.put(item)
    fake.emit_event("invoiceitem.created", item, ctx=ctx)
    return item
