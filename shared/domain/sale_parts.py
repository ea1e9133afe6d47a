"""What a Stripe invoice or credit note total is made of, in minor units, checked to the unit.

total = lines - discounts - billing credits + exclusive tax + shipping. Each part becomes one or
more QBO lines, so a QBO total always equals Stripe's; an amount the parts cannot explain is a
mapping gap (``lines_total_mismatch``), never a guess.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from shared.domain.stripe_models import StripeInvoice, StripePretaxCredit, StripeShippingCost
from shared.domain.stripe_payments import StripeCreditNote
from shared.errors import MappingGapError

DISCOUNT = "discount"
BILLING_CREDITS = "credit_balance_transaction"


@dataclass(frozen=True)
class SaleParts:
    lines: int  # every line at its full amount (inclusive tax stays inside)
    discounts: int = 0  # coupons and promotion codes, before tax
    credits: int = 0  # billing credits (credit grants) applied before tax
    tax: int = 0  # exclusive tax on the lines and on shipping
    shipping: int = 0  # shipping before its exclusive tax

    @property
    def total(self) -> int:
        return self.lines - self.discounts - self.credits + self.tax + self.shipping


def exclusive_tax_minor(taxes: Sequence[dict[str, Any]] | None) -> int:
    """Tax added on top of the amounts (inclusive tax is already inside them)."""
    return sum(
        int(t.get("amount") or 0)
        for t in taxes or []
        if t.get("tax_behavior", "exclusive") != "inclusive"
    )


def _pretax(stripe_id: str, entries: Sequence[StripePretaxCredit] | None) -> tuple[int | None, int]:
    """(discounts listed there or None, billing credits) from ``*pretax_credit_amounts``."""
    discounts: int | None = None
    credits = 0
    for entry in entries or []:
        if entry.type == DISCOUNT:
            discounts = (discounts or 0) + entry.amount
        elif entry.type == BILLING_CREDITS:
            credits += entry.amount
        else:
            raise MappingGapError(
                f"{stripe_id}: pretax credit of type {entry.type!r} has no posting rule",
                code="pretax_credit_type",
            )
    return discounts, credits


def _reconciled(
    stripe_id: str,
    base: SaleParts,
    shipping: StripeShippingCost | None,
    total: int,
) -> SaleParts:
    """Add shipping; its tax is either listed with the lines' taxes or only on shipping_cost,
    and only one of the two readings can add up to the total."""
    if shipping is None:
        candidates = [base]
    else:
        on_top = SaleParts(
            base.lines,
            base.discounts,
            base.credits,
            base.tax + shipping.exclusive_tax,
            shipping.amount_subtotal,
        )
        listed = SaleParts(
            base.lines, base.discounts, base.credits, base.tax, shipping.amount_subtotal
        )
        candidates = [on_top, listed]
    for parts in candidates:
        if parts.total == total:
            return parts
    first = candidates[0]
    raise MappingGapError(
        f"{stripe_id}: lines {first.lines} - discounts {first.discounts} - credits "
        f"{first.credits} + tax {first.tax} + shipping {first.shipping} != total {total} "
        "(minor units)",
        code="lines_total_mismatch",
    )


def parts_from_stripe_invoice(invoice: StripeInvoice) -> SaleParts:
    listed_discounts, credits = _pretax(invoice.id, invoice.total_pretax_credit_amounts)
    if invoice.total_discount_amounts:
        discounts = sum(int(d.get("amount") or 0) for d in invoice.total_discount_amounts)
    elif listed_discounts is not None:
        discounts = listed_discounts
    else:
        discounts = sum(
            int(d.get("amount") or 0) for line in invoice.lines for d in line.discount_amounts
        )
    base = SaleParts(
        lines=sum(line.amount for line in invoice.lines),
        discounts=discounts,
        credits=credits,
        tax=exclusive_tax_minor(invoice.total_taxes),
    )
    return _reconciled(invoice.id, base, invoice.shipping_cost, invoice.total)


def parts_from_stripe_credit_note(note: StripeCreditNote) -> SaleParts:
    """A credit note: ``subtotal`` before invoice-level discounts, credits and exclusive tax."""
    listed_discounts, credits = _pretax(note.id, note.pretax_credit_amounts)
    discounts = note.discount_amount if note.discount_amount else (listed_discounts or 0)
    subtotal = note.subtotal if note.subtotal is not None else note.amount
    base = SaleParts(
        lines=subtotal,
        discounts=discounts,
        credits=credits,
        tax=exclusive_tax_minor(note.total_taxes),
    )
    total = note.total if note.total is not None else note.amount
    return _reconciled(note.id, base, note.shipping_cost, total)
