"""The lines and the tax of a QBO sales form (Invoice, SalesReceipt, CreditMemo, RefundReceipt)
under the company's tax model (README, "Sales tax per company"), one builder for all four.

A sale is a list of ``Part``: its item lines at their net amounts (inclusive tax taken out),
its discounts and billing credits (per tax code where lines need one), its shipping, each with
the tax Stripe charged on it (``TaxShare``, per Stripe rate and the QBO rate it maps to).
- us: the parts as lines, and all their tax as one line on the tax item (manual sales tax).
- us-ast: lines say TAX or NON; Stripe's tax is the document's TotalTax, an override the
  automated sales tax engine honours and prorates (Intuit blog 2017-12-11).
- global: every line names its tax code; TxnTaxDetail lists Stripe's tax per QBO rate, which
  QBO keeps over its own per-line figure, so a cent of rounding never changes a total.
Every figure follows the rounding policy: the parts and the tax groups are rounded together to
add up to the document's total (``rounding``, rule 1).

``portion`` is a part of a sale (a refund of it, the share of a credit note kept as credit): each
Stripe rate's tax is ``round_half_even(amount * rate_tax / total)`` (Stripe Tax adjusts a
refund's liability in proportion to the refunded amount: docs.stripe.com/tax/invoicing/refunds),
spread over the codes that carry it, and the rest is net, spread over the codes by their net;
what rounding leaves goes to the largest remainders.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from typing import Any, Literal, Protocol

from shared.domain.company import TaxModel
from shared.domain.qbo_lines import discount_line, sales_line_from_amount
from shared.domain.qbo_models import (
    QboDiscountLine,
    QboTaxLine,
    QboTaxLineDetail,
    QboTxnTaxDetail,
    Ref,
    SalesLine,
)
from shared.errors import MappingGapError

Kind = Literal["item", "discount", "credits", "shipping"]


class Rounder(Protocol):
    """The document's currency (``mapping.CurrencyTerms``): Stripe's minor units as QBO keeps
    them, and a document's parts rounded to add up to its total."""

    def amount(self, minor: int) -> Decimal: ...

    def parts(self, minor: Sequence[int], total: Decimal | None = None) -> list[Decimal]: ...


@dataclass(frozen=True)
class TaxShare:
    """Tax Stripe charged at one of its rates, and the QBO rate it goes under ("" outside a
    company that names rates on documents)."""

    stripe_rate: str
    amount: int
    taxable: int = 0
    qbo_rate: str = ""
    percent: Decimal | None = None  # the QBO rate's percent on the document's day


@dataclass(frozen=True)
class Part:
    kind: Kind
    net: int  # minor units, tax taken out
    code: str = ""  # QBO TaxCode id (global), TAX or NON (us-ast), "" (us)
    taxes: tuple[TaxShare, ...] = ()
    item: Ref | None = None  # item parts: the line's own item
    description: str | None = None
    quantity: int | None = None
    service_date: date | None = None
    class_ref: Ref | None = None
    gross: int | None = None  # an inclusive line: Stripe's amount, tax inside

    @property
    def tax(self) -> int:
        return sum(t.amount for t in self.taxes)


@dataclass(frozen=True)
class FormRefs:
    """What the lines point at: the item of item parts without their own (default, refunds,
    bad debt), the tax item (us), and the discount, credits and shipping items or account."""

    item: Ref | None = None
    tax_item: Ref | None = None  # us: the line all tax goes on
    discount_account: Ref | None = None  # us, us-ast: the DiscountLine's account
    discount_item: Ref | None = None  # global: discounts are negative lines with a code
    credits_item: Ref | None = None
    shipping_item: Ref | None = None


@dataclass(frozen=True)
class TaxedForm:
    lines: list[SalesLine]
    detail: QboTxnTaxDetail | None = None
    calculation: Literal["TaxExcluded", "TaxInclusive"] | None = None

    @property
    def total(self) -> Decimal:
        """What QBO's TotalAmt is when it keeps these lines and this tax."""
        lines = sum(
            (-line.Amount if isinstance(line, QboDiscountLine) else line.Amount)
            for line in self.lines
        )
        tax = self.detail.TotalTax if self.detail is not None else Decimal(0)
        return Decimal(lines) + tax

    def fields(self) -> dict[str, Any]:
        """The sales form's Line, TxnTaxDetail and GlobalTaxCalculation."""
        out: dict[str, Any] = {"Line": self.lines}
        if self.detail is not None:
            out["TxnTaxDetail"] = self.detail
        if self.calculation is not None:
            out["GlobalTaxCalculation"] = self.calculation
        return out


def _tax_groups(parts: Sequence[Part], model: TaxModel) -> list[tuple[str, int, int]]:
    """(QBO rate, tax, taxable) per group: one for us and us-ast, one per QBO rate for global."""
    if model != "global":
        return [("", sum(p.tax for p in parts), 0)]
    groups: dict[str, list[int]] = {}
    for part in parts:
        for share in part.taxes:
            group = groups.setdefault(share.qbo_rate, [0, 0])
            group[0] += share.amount
            group[1] += share.taxable
    return [(rate, amount, taxable) for rate, (amount, taxable) in groups.items()]


def _item_line(
    part: Part, amount: Decimal, item: Ref, code: str, gross: Decimal | None
) -> SalesLine:
    line = sales_line_from_amount(
        amount,
        item,
        part.description,
        quantity=part.quantity,
        service_date=part.service_date,
    )
    detail = line.SalesItemLineDetail.model_copy(
        update={
            "TaxCodeRef": Ref(value=code) if code else None,
            "ClassRef": part.class_ref,
            "TaxInclusiveAmt": gross,
        }
    )
    return line.model_copy(update={"SalesItemLineDetail": detail})


def _line(
    part: Part,
    amount: Decimal,
    *,
    refs: FormRefs,
    model: TaxModel,
    terms: Rounder,
    inclusive: bool,
) -> SalesLine:
    code = part.code if model != "us" else ""
    if part.kind == "discount" and model != "global":
        if refs.discount_account is None:
            raise MappingGapError("discounts need their account", code="no_discount_account")
        return discount_line(-amount, refs.discount_account, part.description or "Discounts")
    item = {
        "item": part.item or refs.item,
        "discount": refs.discount_item,
        "credits": refs.credits_item,
        "shipping": refs.shipping_item,
    }[part.kind]
    if item is None:
        raise MappingGapError(f"{part.kind} needs its item", code=f"no_{part.kind}_item")
    gross = terms.amount(part.gross) if inclusive and part.gross is not None else None
    return _item_line(part, amount, item, code, gross)


def taxed_form(
    parts: Sequence[Part],
    model: TaxModel,
    refs: FormRefs,
    terms: Rounder,
    *,
    total: Decimal | None = None,
    ast_code: Ref | None = None,
) -> TaxedForm:
    """The form's lines and tax; amounts add up to ``total`` (default: the parts' sum, as QBO
    keeps it: Stripe's total)."""
    groups = _tax_groups(parts, model)
    amounts = terms.parts([p.net for p in parts] + [g[1] for g in groups], total)
    nets, taxes = amounts[: len(parts)], amounts[len(parts) :]
    taxed = [p for p in parts if p.tax and p.kind in ("item", "shipping")]
    inclusive = (
        model == "global"
        and bool(taxed)
        and all(p.gross is not None for p in taxed)
        and not any(p.kind in ("discount", "credits") for p in parts)
    )
    lines = [
        _line(p, a, refs=refs, model=model, terms=terms, inclusive=inclusive)
        for p, a in zip(parts, nets, strict=True)
    ]
    if model == "us":
        if groups[0][1]:
            if refs.tax_item is None:
                raise MappingGapError("tax needs the tax item", code="no_tax_item")
            lines.append(sales_line_from_amount(taxes[0], refs.tax_item, "Tax"))
        return TaxedForm(lines)
    if model == "us-ast":
        return TaxedForm(lines, QboTxnTaxDetail(TxnTaxCodeRef=ast_code, TotalTax=taxes[0]))
    percents = {s.qbo_rate: s.percent for p in parts for s in p.taxes}
    tax_lines = [
        QboTaxLine(
            Amount=amount,
            TaxLineDetail=QboTaxLineDetail(
                TaxRateRef=Ref(value=rate),
                TaxPercent=percents.get(rate),
                NetAmountTaxable=terms.amount(taxable),
            ),
        )
        for (rate, _, taxable), amount in zip(groups, taxes, strict=True)
    ]
    detail = QboTxnTaxDetail(TotalTax=sum(taxes, terms.amount(0)), TaxLine=tax_lines)
    return TaxedForm(lines, detail, "TaxInclusive" if inclusive else "TaxExcluded")


# --- a portion of a sale -----------------------------------------------------------------------


def _largest_remainder(total: int, weights: Sequence[int]) -> list[int]:
    """``total`` split in proportion to ``weights`` (integers adding up to it exactly)."""
    whole = sum(weights)
    if not weights:
        return []
    if whole == 0:
        return [total] + [0] * (len(weights) - 1)
    exact = [Fraction(total * w, whole) for w in weights]
    floors = [int(x // 1) for x in exact]
    left = total - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return floors


def _half_even(numerator: int, denominator: int) -> int:
    return int((Decimal(numerator) / Decimal(denominator)).quantize(Decimal(1), ROUND_HALF_EVEN))


def portion(
    parts: Sequence[Part], amount: int, total: int, item: Ref, description: str
) -> list[Part]:
    """``amount`` of a sale of ``total``, as one item part per tax code (on ``item``)."""
    if total <= 0:
        raise MappingGapError(f"cannot take {amount} of a sale of {total}", code="portion")
    codes: dict[str, list[Part]] = {}
    for part in parts:
        codes.setdefault(part.code, []).append(part)
    keys = list(codes)
    by_rate: dict[str, list[tuple[str, TaxShare]]] = {}
    for key in keys:
        for part in codes[key]:
            for share in part.taxes:
                by_rate.setdefault(share.stripe_rate, []).append((key, share))
    scaled: dict[str, list[TaxShare]] = {key: [] for key in keys}
    for rate, shares in by_rate.items():
        whole = _half_even(amount * sum(s.amount for _, s in shares), total)
        split = _largest_remainder(whole, [s.amount for _, s in shares])
        for (key, share), value in zip(shares, split, strict=True):
            taxable = _half_even(amount * share.taxable, total)
            scaled[key].append(replace(share, stripe_rate=rate, amount=value, taxable=taxable))
    nets = _largest_remainder(
        amount - sum(s.amount for shares in scaled.values() for s in shares),
        [sum(p.net for p in codes[key]) for key in keys],
    )
    return [
        Part("item", net, key, _merged(scaled[key]), item=item, description=description)
        for key, net in zip(keys, nets, strict=True)
    ]


def _merged(shares: Sequence[TaxShare]) -> tuple[TaxShare, ...]:
    """One share per (Stripe rate, QBO rate)."""
    out: dict[tuple[str, str], TaxShare] = {}
    for share in shares:
        key = (share.stripe_rate, share.qbo_rate)
        before = out.get(key)
        out[key] = (
            share
            if before is None
            else replace(before, amount=before.amount + share.amount,
                         taxable=before.taxable + share.taxable)
        )  # fmt: skip
    return tuple(out.values())


def sale_total(parts: Sequence[Part]) -> int:
    return sum(p.net + p.tax for p in parts)


__all__ = [
    "FormRefs",
    "Part",
    "TaxShare",
    "TaxedForm",
    "portion",
    "sale_total",
    "taxed_form",
]
