"""Stripe invoices in the basil shape: lines, discounts, exclusive taxes, and their totals."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from local_emulator.generator.objects import tax_amount

JsonDict = dict[str, Any]


@dataclass(frozen=True)
class LineSpec:
    """One invoice line to build: a price (or none: a custom line) times a quantity."""

    description: str
    unit_amount: int
    quantity: int = 1
    price: str | None = None
    product: str | None = None
    period: tuple[int, int] | None = None
    discountable: bool = True
    legacy_price: JsonDict | None = None  # also carry a pre-basil ``price`` object on the line


@dataclass(frozen=True)
class InvoiceTerms:
    """Invoice-wide choices: a percentage discount, an exclusive tax rate (basis points)."""

    discount_percent: int = 0
    discount_id: str | None = None
    tax_basis_points: int = 0
    tax_rate_id: str | None = None
    memo: str | None = None
    collection_method: str = "send_invoice"
    days_until_due: int = 30


def _discount(amount: int, percent: int) -> int:
    return amount * percent // 100  # Stripe rounds a percentage off down to the minor unit


def _tax(taxable: int, basis_points: int) -> int:
    return (taxable * basis_points + 5_000) // 10_000  # half up, per line


def build_line(
    line_id: str, invoice_id: str, currency: str, spec: LineSpec, terms: InvoiceTerms
) -> JsonDict:
    amount = spec.unit_amount * spec.quantity
    discount = 0
    if spec.discountable and terms.discount_percent:
        discount = _discount(amount, terms.discount_percent)
    taxes = []
    if terms.tax_basis_points and terms.tax_rate_id:
        taxable = amount - discount
        tax = _tax(taxable, terms.tax_basis_points)
        taxes.append(tax_amount(tax, taxable, terms.tax_rate_id, reason="standard_rated"))
    pricing = None
    if spec.price is not None:
        pricing = {
            "type": "price_details",
            "price_details": {"price": spec.price, "product": spec.product},
            "unit_amount_decimal": str(spec.unit_amount),
        }
    line: JsonDict = {
        "id": line_id,
        "object": "line_item",
        "amount": amount,
        "currency": currency,
        "description": spec.description,
        "discount_amounts": (
            [{"amount": discount, "discount": terms.discount_id}] if discount else []
        ),
        "discountable": spec.discountable,
        "discounts": [terms.discount_id] if discount and terms.discount_id else [],
        "invoice": invoice_id,
        "livemode": False,
        "metadata": {},
        "parent": {
            "type": "invoice_item_details",
            "invoice_item_details": {
                "invoice_item": f"ii_{line_id.removeprefix('il_')}",
                "proration": False,
                "proration_details": {"credited_items": None},
                "subscription": None,
            },
            "subscription_item_details": None,
        },
        "period": {"start": spec.period[0], "end": spec.period[1]} if spec.period else None,
        "pretax_credit_amounts": [],
        "pricing": pricing,
        "quantity": spec.quantity,
        "subtotal": amount,
        "taxes": taxes,
    }
    if spec.legacy_price is not None:
        line["price"] = spec.legacy_price
    return line


def build_invoice(
    invoice_id: str,
    *,
    customer: JsonDict,
    currency: str,
    created: int,
    specs: list[LineSpec],
    terms: InvoiceTerms,
) -> JsonDict:
    """A draft invoice whose totals follow from its lines (``starting_balance`` stays 0)."""
    lines = [
        build_line(f"il_{invoice_id.removeprefix('in_')}{n:02d}", invoice_id, currency, spec, terms)
        for n, spec in enumerate(specs)
    ]
    subtotal = sum(int(line["amount"]) for line in lines)
    discount = sum(int(d["amount"]) for line in lines for d in line["discount_amounts"])
    tax = sum(int(t["amount"]) for line in lines for t in line["taxes"])
    taxable = sum(int(t["taxable_amount"]) for line in lines for t in line["taxes"])
    total_taxes = []
    if terms.tax_rate_id and lines and any(line["taxes"] for line in lines):
        total_taxes.append(tax_amount(tax, taxable, terms.tax_rate_id, reason="standard_rated"))
    total = subtotal - discount + tax
    periods = [line["period"] for line in lines if line["period"]]
    return {
        "id": invoice_id,
        "object": "invoice",
        "account_country": "US",
        "account_name": "Example Seller Inc.",
        "amount_due": total,
        "amount_overpaid": 0,
        "amount_paid": 0,
        "amount_remaining": total,
        "amount_shipping": 0,
        "attempt_count": 0,
        "attempted": False,
        "auto_advance": False,
        "automatic_tax": {"enabled": False, "liability": None, "status": None},
        "billing_reason": "manual",
        "collection_method": terms.collection_method,
        "created": created,
        "currency": currency,
        "customer": customer["id"],
        "customer_email": customer["email"],
        "customer_name": customer["name"],
        "customer_tax_exempt": "none",
        "default_tax_rates": [],
        "description": terms.memo,
        "discounts": [terms.discount_id] if discount and terms.discount_id else [],
        "due_date": None,
        "effective_at": None,
        "ending_balance": None,
        "footer": None,
        "hosted_invoice_url": None,
        "invoice_pdf": None,
        "issuer": {"type": "self"},
        "lines": {
            "object": "list",
            "data": lines,
            "has_more": False,
            "url": f"/v1/invoices/{invoice_id}/lines",
        },
        "livemode": False,
        "metadata": {},
        "number": None,
        "paid_out_of_band": False,
        "parent": None,
        "period_end": max((p["end"] for p in periods), default=created),
        "period_start": min((p["start"] for p in periods), default=created),
        "post_payment_credit_notes_amount": 0,
        "pre_payment_credit_notes_amount": 0,
        "receipt_number": None,
        "starting_balance": 0,
        "status": "draft",
        "status_transitions": {
            "finalized_at": None,
            "marked_uncollectible_at": None,
            "paid_at": None,
            "voided_at": None,
        },
        "subtotal": subtotal,
        "subtotal_excluding_tax": subtotal,
        "total": total,
        "total_discount_amounts": (
            [{"amount": discount, "discount": terms.discount_id}] if discount else []
        ),
        "total_excluding_tax": subtotal - discount,
        "total_pretax_credit_amounts": [],
        "total_taxes": total_taxes,
        "webhooks_delivered_at": created,
    }
