"""Stripe invoices in the served API shape: lines, discounts, billing credits, taxes (exclusive
on top, inclusive inside the amounts, zero with their reason), shipping, and their totals
(total = lines - discounts - credits + exclusive tax + shipping with its tax)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from local_emulator.generator.objects import tax_amount
from local_emulator.generator.taxes import TaxSpec

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


@dataclass(frozen=True)
class InvoiceTerms:
    """Invoice-wide choices: a percentage discount, the taxes of every line (``taxes``, or one
    exclusive rate in basis points: ``tax_basis_points`` and ``tax_rate_id``)."""

    discount_percent: int = 0
    discount_id: str | None = None
    tax_basis_points: int = 0
    tax_rate_id: str | None = None
    taxes: tuple[TaxSpec, ...] = ()
    customer_tax_exempt: str = "none"  # "reverse": a reverse-charge sale
    memo: str | None = None
    collection_method: str = "send_invoice"
    days_until_due: int = 30
    shipping: int = 0  # a flat shipping rate (minor units); taxed at the lines' rate if any
    shipping_rate_id: str | None = None
    billing_credits: int = 0  # credit grant balance applied before tax, line by line
    credit_txn_id: str | None = None  # the billing credit balance transaction that applied it

    def tax_specs(self, created: int) -> tuple[TaxSpec, ...]:
        if self.taxes:
            return self.taxes
        if self.tax_basis_points and self.tax_rate_id:
            return (TaxSpec(tax_rate_object(self.tax_rate_id, self.tax_basis_points, created)),)
        return ()


def _discount(amount: int, percent: int) -> int:
    return amount * percent // 100  # Stripe rounds a percentage off down to the minor unit


def _tax(taxable: int, basis_points: int) -> int:
    return (taxable * basis_points + 5_000) // 10_000  # half up, per line


def _tax_inside(gross: int, basis_points: int) -> int:
    """The tax inside an inclusive amount: gross * rate / (1 + rate), half up."""
    whole = 10_000 + basis_points
    return (gross * basis_points * 2 + whole) // (2 * whole)


def line_taxes(taxable: int, specs: tuple[TaxSpec, ...]) -> list[JsonDict]:
    """A line's ``taxes`` on ``taxable`` (after discounts and credits; inclusive tax inside)."""
    inside = sum(_tax_inside(taxable, s.basis_points) for s in specs if s.inclusive)
    base = taxable - inside
    return [
        {
            **tax_amount(
                _tax_inside(taxable, s.basis_points) if s.inclusive else _tax(base, s.basis_points),
                base,
                s.rate_id,
                reason=s.reason,
            ),
            "tax_behavior": "inclusive" if s.inclusive else "exclusive",
        }
        for s in specs
    ]


def _total_taxes(lines: list[JsonDict]) -> list[JsonDict]:
    """The lines' taxes summed per rate (``total_taxes``; shipping's are on ``shipping_cost``)."""
    totals: dict[str, JsonDict] = {}
    for line in lines:
        for entry in line["taxes"]:
            rate = entry["tax_rate_details"]["tax_rate"]
            if rate in totals:
                totals[rate]["amount"] += entry["amount"]
                totals[rate]["taxable_amount"] += entry["taxable_amount"]
            else:
                totals[rate] = dict(entry)
    return list(totals.values())


def tax_rate_object(rate_id: str, basis_points: int, created: int) -> JsonDict:
    return {
        "id": rate_id,
        "object": "tax_rate",
        "active": True,
        "country": None,
        "created": created,
        "description": None,
        "display_name": "Sales tax",
        "effective_percentage": basis_points / 100,
        "flat_amount": None,
        "inclusive": False,
        "jurisdiction": None,
        "jurisdiction_level": None,
        "livemode": False,
        "metadata": {},
        "percentage": basis_points / 100,
        "rate_type": "percentage",
        "state": None,
        "tax_type": "sales_tax",
    }


def build_line(
    line_id: str,
    invoice_id: str,
    currency: str,
    spec: LineSpec,
    terms: InvoiceTerms,
    *,
    credit: int = 0,
) -> JsonDict:
    """One line; ``credit`` of the invoice's billing credits is applied to it before tax."""
    amount = spec.unit_amount * spec.quantity
    discount = 0
    if spec.discountable and terms.discount_percent:
        discount = _discount(amount, terms.discount_percent)
    pretax: list[JsonDict] = []
    if discount:
        pretax.append({"amount": discount, "discount": terms.discount_id, "type": "discount"})
    if credit:
        pretax.append(
            {
                "amount": credit,
                "credit_balance_transaction": terms.credit_txn_id,
                "type": "credit_balance_transaction",
            }
        )
    taxes = line_taxes(amount - discount - credit, terms.tax_specs(0))
    pricing = None
    if spec.price is not None:
        pricing = {
            "type": "price_details",
            "price_details": {"price": spec.price, "product": spec.product},
            "unit_amount_decimal": str(spec.unit_amount),
        }
    return {
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
        "pretax_credit_amounts": pretax,
        "pricing": pricing,
        "quantity": spec.quantity,
        "subtotal": amount,
        "taxes": taxes,
    }


def _credits_by_line(specs: list[LineSpec], terms: InvoiceTerms) -> list[int]:
    """Billing credits, applied to the lines in order, never beyond a line's discounted amount."""
    left, out = terms.billing_credits if terms.credit_txn_id else 0, []
    for spec in specs:
        amount = spec.unit_amount * spec.quantity
        if spec.discountable and terms.discount_percent:
            amount -= _discount(amount, terms.discount_percent)
        part = min(left, amount)
        out.append(part)
        left -= part
    return out


def _shipping(terms: InvoiceTerms, created: int) -> tuple[JsonDict | None, int]:
    """(``shipping_cost``, the tax on it); shipping is taxed at the lines' exclusive rates."""
    if not terms.shipping:
        return None, 0
    taxes: list[JsonDict] = [
        {
            "amount": _tax(terms.shipping, spec.basis_points),
            "rate": spec.rate,
            "taxability_reason": spec.reason,
            "taxable_amount": terms.shipping,
        }
        for spec in terms.tax_specs(created)
        if not spec.inclusive
    ]
    tax = sum(int(t["amount"]) for t in taxes)
    cost = {
        "amount_subtotal": terms.shipping,
        "amount_tax": tax,
        "amount_total": terms.shipping + tax,
        "shipping_rate": terms.shipping_rate_id,
        "taxes": taxes,
    }
    return cost, tax


def _total_pretax(lines: list[JsonDict]) -> list[JsonDict]:
    """The lines' pretax credit amounts summed per discount and per credit transaction."""
    totals: dict[tuple[str, str], JsonDict] = {}
    for line in lines:
        for entry in line["pretax_credit_amounts"]:
            ref = entry.get("discount") or entry.get("credit_balance_transaction")
            key = (entry["type"], str(ref))
            if key in totals:
                totals[key]["amount"] += entry["amount"]
            else:
                totals[key] = dict(entry)
    return list(totals.values())


def build_invoice(
    invoice_id: str,
    *,
    customer: JsonDict,
    currency: str,
    created: int,
    specs: list[LineSpec],
    terms: InvoiceTerms,
) -> JsonDict:
    """A draft invoice whose totals follow from its lines; ``starting_balance`` is the
    customer's balance now (fixed again when the invoice is finalized)."""
    credits = _credits_by_line(specs, terms)
    lines = [
        build_line(
            f"il_{invoice_id.removeprefix('in_')}{n:02d}",
            invoice_id,
            currency,
            spec,
            terms,
            credit=credit,
        )
        for n, (spec, credit) in enumerate(zip(specs, credits, strict=True))
    ]
    subtotal = sum(int(line["amount"]) for line in lines)
    discount = sum(int(d["amount"]) for line in lines for d in line["discount_amounts"])
    credit = sum(credits)
    taxes = [t for line in lines for t in line["taxes"]]
    inside = sum(int(t["amount"]) for t in taxes if t["tax_behavior"] == "inclusive")
    tax = sum(int(t["amount"]) for t in taxes) - inside
    total_taxes = _total_taxes(lines)
    shipping_cost, shipping_tax = _shipping(terms, created)
    shipping = terms.shipping if shipping_cost else 0
    total = subtotal - discount - credit + tax + shipping + shipping_tax
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
        "amount_shipping": shipping,
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
        "customer_tax_exempt": terms.customer_tax_exempt,
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
        "parent": None,
        "period_end": max((p["end"] for p in periods), default=created),
        "period_start": min((p["start"] for p in periods), default=created),
        "post_payment_credit_notes_amount": 0,
        "pre_payment_credit_notes_amount": 0,
        "receipt_number": None,
        "shipping_cost": shipping_cost,
        "shipping_details": None,
        "starting_balance": 0,
        "status": "draft",
        "status_transitions": {
            "finalized_at": None,
            "marked_uncollectible_at": None,
            "paid_at": None,
            "voided_at": None,
        },
        "subtotal": subtotal,
        "subtotal_excluding_tax": subtotal - inside,
        "total": total,
        "total_discount_amounts": (
            [{"amount": discount, "discount": terms.discount_id}] if discount else []
        ),
        "total_excluding_tax": subtotal - discount - credit + shipping - inside,
        "total_pretax_credit_amounts": _total_pretax(lines),
        "total_taxes": total_taxes,
        "webhooks_delivered_at": created,
    }
