"""Stripe invoices and credit notes as the parts of a sale (``sales_tax``): each line at its net
amount with its tax code and the tax Stripe charged on it, discounts and billing credits per
code, and shipping. Pure: the company's tax model and setup, the Stripe tax rates and the books
settings come in as ``TaxRules``; the items and classes chosen for each line as ``SaleLine``.

The parts add up to Stripe's total to the unit (lines - inclusive tax - discounts - billing
credits + shipping + every tax); anything else is a ``lines_total_mismatch``, never a guess.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, tzinfo

from shared.books_settings import TaxSettings
from shared.domain.company import TaxModel
from shared.domain.mapping import date_from_unix
from shared.domain.qbo_models import Ref
from shared.domain.sale_parts import (
    SaleParts,
    parts_from_stripe_credit_note,
    parts_from_stripe_invoice,
)
from shared.domain.sales_tax import Part, TaxShare, sale_total
from shared.domain.stripe_models import StripeInvoice, StripeShippingCost
from shared.domain.stripe_payments import StripeCreditNote
from shared.domain.stripe_tax import StripeTax, StripeTaxRate, inclusive_minor
from shared.domain.tax_book import TaxBook
from shared.domain.tax_mapping import line_code
from shared.errors import MappingGapError


@dataclass(frozen=True)
class TaxRules:
    """How this company's documents carry tax on the document's day."""

    model: TaxModel
    day: date
    settings: TaxSettings = field(default_factory=TaxSettings)
    book: TaxBook | None = None  # global: the company's codes and rates
    rates: Mapping[str, StripeTaxRate] = field(default_factory=dict)

    def coded(
        self, taxes: Sequence[StripeTax], where: str = "a line"
    ) -> tuple[str, tuple[TaxShare, ...]]:
        """(the line's code, Stripe's tax on it, per Stripe rate and QBO rate)."""
        if self.model == "global":
            if self.book is None:
                raise ValueError("a company that codes every line needs its tax book")
            found = line_code(taxes, self.rates, self.book, self.settings, self.day, line=where)
            return found.code.id, found.shares
        shares = tuple(
            TaxShare(t.tax_rate or "", t.amount, t.taxable_amount or 0) for t in taxes if t.amount
        )
        if self.model == "us-ast":
            return ("TAX" if shares else "NON"), shares
        return "", shares


@dataclass(frozen=True)
class SaleLine:
    """One Stripe line (of an invoice or a credit note) and what the sync chose for it."""

    amount: int  # before discounts; inclusive tax inside
    taxes: tuple[StripeTax, ...]
    item: Ref
    discounts: int = 0
    credits: int = 0  # billing credits applied before tax
    description: str | None = None
    quantity: int | None = None
    service_date: date | None = None
    class_ref: Ref | None = None


def _shipping(cost: StripeShippingCost, rules: TaxRules) -> Part:
    """Shipping before its tax; inclusive tax is what its tax entries hold beyond what the
    total adds on top of the subtotal."""
    on_top = cost.amount_total - cost.amount_subtotal
    inside = sum(t.amount for t in cost.taxes) - on_top
    if inside < 0:
        raise MappingGapError(
            f"shipping: {on_top} tax on top of {cost.amount_subtotal}, but its tax entries hold "
            f"{on_top + inside} (minor units)",
            code="lines_total_mismatch",
        )
    code, shares = rules.coded(cost.taxes, "shipping")
    gross = cost.amount_subtotal if inside else None
    return Part("shipping", cost.amount_subtotal - inside, code, shares, gross=gross)


def sale_parts(
    lines: Sequence[SaleLine],
    shipping: StripeShippingCost | None,
    rules: TaxRules,
    *,
    total: int,
    where: str,
) -> list[Part]:
    """The parts of one Stripe invoice or credit note, checked against its ``total``."""
    parts: list[Part] = []
    discounts: dict[str, int] = {}
    credits: dict[str, int] = {}
    for n, line in enumerate(lines, start=1):
        code, shares = rules.coded(line.taxes, f"{where} line {n}")
        inside = inclusive_minor(line.taxes)
        parts.append(
            Part(
                "item",
                line.amount - inside,
                code,
                shares,
                item=line.item,
                description=line.description,
                quantity=line.quantity,
                service_date=line.service_date,
                class_ref=line.class_ref,
                gross=line.amount if inside else None,
            )
        )
        # a discount is a DiscountLine outside a company that codes every line
        key = code if rules.model == "global" else ""
        discounts[key] = discounts.get(key, 0) + line.discounts
        credits[code] = credits.get(code, 0) + line.credits
    parts += [Part("discount", -v, k, description="Discounts") for k, v in discounts.items() if v]
    parts += [
        Part("credits", -v, k, description="Billing credits applied")
        for k, v in credits.items()
        if v
    ]
    if shipping is not None and (shipping.amount_subtotal or shipping.taxes):
        parts.append(replace(_shipping(shipping, rules), description="Shipping"))
    if sale_total(parts) != total:
        lines_sum = sum(line.amount for line in lines)
        raise MappingGapError(
            f"{where}: lines {lines_sum} less discounts, billing credits and inclusive tax, "
            f"plus shipping and every tax, make {sale_total(parts)}, not the total {total} "
            "(minor units)",
            code="lines_total_mismatch",
        )
    return parts


def untaxed_part(amount: int, item: Ref, description: str, rules: TaxRules) -> list[Part]:
    """A sale Stripe has no tax data for (a charge without an invoice): one line, no tax."""
    code, shares = rules.coded((), description)
    return [Part("item", amount, code, shares, item=item, description=description)]


# --- Stripe documents as sales ------------------------------------------------------------------


@dataclass(frozen=True)
class LineChoice:
    """Where one Stripe line posts: its item, and its class where the company tracks them."""

    item: Ref
    class_ref: Ref | None = None


def _agree(breakdown: SaleParts, lines: Sequence[SaleLine], shipping: int, where: str) -> None:
    """The lines hold what the document's own breakdown (``sale_parts``) says it is made of."""
    mine = (
        sum(line.amount for line in lines),
        sum(line.discounts for line in lines),
        sum(line.credits for line in lines),
        shipping,
    )
    theirs = (breakdown.lines, breakdown.discounts, breakdown.credits, breakdown.shipping)
    if mine != theirs:
        raise MappingGapError(
            f"{where}: its lines hold (lines, discounts, billing credits, shipping) {mine}, the "
            f"document says {theirs} (minor units)",
            code="lines_total_mismatch",
        )


def invoice_sale(
    invoice: StripeInvoice, choices: Sequence[LineChoice], rules: TaxRules, tz: tzinfo
) -> list[Part]:
    """A finalized invoice's parts: its lines on the items chosen for them."""
    lines = [
        SaleLine(
            line.amount,
            line.taxes,
            choice.item,
            discounts=line.discounts,
            credits=line.billing_credits,
            description=line.description,
            quantity=line.quantity,
            service_date=date_from_unix(line.period.end, tz) if line.period else None,
            class_ref=choice.class_ref,
        )
        for line, choice in zip(invoice.lines, choices, strict=True)
    ]
    shipping = invoice.shipping_cost
    where = f"invoice {invoice.id}"
    _agree(parts_from_stripe_invoice(invoice), lines, _shipped(shipping), where)
    return sale_parts(lines, shipping, rules, total=invoice.total, where=where)


def note_sale(note: StripeCreditNote, item: Ref, rules: TaxRules) -> list[Part]:
    """A credit note's parts: its credited lines on ``item``."""
    where = f"credit note {note.id}"
    if note.more_lines:
        raise MappingGapError(f"{where} has more lines than Stripe embeds", code="note_lines")
    breakdown = parts_from_stripe_credit_note(note)
    lines = [
        SaleLine(
            line.amount,
            line.taxes,
            item,
            discounts=line.discount_amount,
            credits=line.billing_credits,
            description=line.description or note.memo or "Credit note",
            quantity=line.quantity,
        )
        for line in note.lines
    ] or [SaleLine(breakdown.lines, (), item, breakdown.discounts, breakdown.credits,
                   description=note.memo or "Credit note")]  # fmt: skip
    total = note.total if note.total is not None else note.amount
    _agree(breakdown, lines, _shipped(note.shipping_cost), where)
    return sale_parts(lines, note.shipping_cost, rules, total=total, where=where)


def _shipped(cost: StripeShippingCost | None) -> int:
    return cost.amount_subtotal if cost is not None else 0
