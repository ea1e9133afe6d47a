"""An invoice's shipping cost, from an inline rate (``shipping_cost[shipping_rate_data]``) or an
existing ShippingRate (``shipping_cost[shipping_rate]``).

Source: docs.stripe.com/api/invoices/create (shipping_cost); the invoice's ``shipping_cost``
holds ``amount_subtotal``, ``amount_tax``, ``amount_total``, ``shipping_rate`` and ``taxes``, and
``amount_shipping`` the shipping before tax (stripe-python 16.1.0 ``Invoice.ShippingCost``). The
fake computes no tax, so ``amount_total`` equals ``amount_subtotal`` here.
"""

from __future__ import annotations

from typing import Any

from .errors import invalid
from .params import opt_int, opt_str
from .state import FakeStripe, JsonDict

_RATE_TYPES = ("fixed_amount",)
_TAX_BEHAVIORS = ("exclusive", "inclusive", "unspecified")


def _rate_from_data(fake: FakeStripe, data: Any, currency: str) -> JsonDict:
    if not isinstance(data, dict) or not opt_str(data, "display_name"):
        raise invalid(
            "Missing required param: shipping_cost[shipping_rate_data][display_name].",
            param="shipping_cost[shipping_rate_data][display_name]",
            code="parameter_missing",
        )
    kind = opt_str(data, "type") or "fixed_amount"
    if kind not in _RATE_TYPES:
        raise invalid(f"Invalid shipping rate type: {kind}", param="shipping_rate_data[type]")
    fixed = data.get("fixed_amount")
    amount = opt_int(fixed, "amount") if isinstance(fixed, dict) else None
    rate_currency = (opt_str(fixed, "currency") or "").lower() if isinstance(fixed, dict) else ""
    if amount is None or amount < 0 or not rate_currency:
        raise invalid(
            "shipping_rate_data[fixed_amount] needs a non-negative amount and a currency.",
            param="shipping_cost[shipping_rate_data][fixed_amount]",
        )
    if rate_currency != currency:
        raise invalid(
            "The shipping rate's currency must match the invoice's.",
            param="shipping_cost[shipping_rate_data][fixed_amount][currency]",
        )
    behavior = opt_str(data, "tax_behavior") or "unspecified"
    if behavior not in _TAX_BEHAVIORS:
        raise invalid(f"Invalid tax_behavior: {behavior}", param="shipping_rate_data[tax_behavior]")
    rate: JsonDict = {
        "id": fake.ids.new("shr"),
        "object": "shipping_rate",
        "active": True,
        "created": fake.now(),
        "delivery_estimate": None,
        "display_name": opt_str(data, "display_name"),
        "fixed_amount": {"amount": amount, "currency": rate_currency},
        "livemode": False,
        "metadata": {},
        "tax_behavior": behavior,
        "tax_code": None,
        "type": kind,
    }
    fake.put(rate)
    return rate


def apply_shipping(fake: FakeStripe, invoice: JsonDict, params: JsonDict) -> None:
    """Set (or clear, with an empty value) the invoice's shipping cost from the params."""
    if "shipping_cost" not in params:
        return
    value = params["shipping_cost"]
    if value in (None, ""):
        invoice["shipping_cost"] = None
        return
    if not isinstance(value, dict):
        raise invalid("Invalid shipping_cost", param="shipping_cost")
    rate_id = opt_str(value, "shipping_rate")
    if rate_id and "shipping_rate_data" in value:
        raise invalid(
            "You may only specify one of shipping_rate and shipping_rate_data.",
            param="shipping_cost",
        )
    if rate_id:
        rate = fake.get(rate_id)
        if rate is None or rate.get("object") != "shipping_rate":
            raise invalid(
                f"No such shipping rate: '{rate_id}'",
                param="shipping_cost[shipping_rate]",
                code="resource_missing",
            )
    else:
        rate = _rate_from_data(fake, value.get("shipping_rate_data"), invoice["currency"])
    amount = int(rate["fixed_amount"]["amount"])
    invoice["shipping_cost"] = {
        "amount_subtotal": amount,
        "amount_tax": 0,
        "amount_total": amount,
        "shipping_rate": rate["id"],
        "taxes": [],
    }
