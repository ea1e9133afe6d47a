"""Which QBO tax code (and rate) a Stripe tax goes under, in a company that needs a tax code on
every line (README, "Mapping a tax rate QBO cannot match"). Pure: the company's tax setup, the
Stripe rates and the books settings are passed in.

For each tax entry of a line, in order:
1. the books file maps its Stripe tax rate id (``[[tax.rates]] stripe_tax_rate``);
2. the books file maps what the rate says (``match = {country, state, tax_type, percentage}``:
   Stripe Tax mints a new rate id per jurisdiction and sale);
3. automatically: the one active QBO sales rate whose rate on the document's date equals the
   Stripe percentage, narrowed, when several have it, to those whose name or agency names the
   Stripe rate's state or jurisdiction ("PST BC" for a BC rate). Two candidates are a gap.
A line's code is the one its mapped entries name, or the one active code whose sales rates are
exactly the line's QBO rates (GST and PST BC: "GST/PST BC"). A line Stripe charged no tax on
takes the code of its taxability reason (``[tax.reasons]``: zero_rated, exempt,
reverse_charge, out_of_scope, no_tax): several 0 % codes exist in every such company, so those
are never guessed. Anything else is a TaxMappingGapError naming the Stripe rate and the entry to
add to the books file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from shared.books_settings import TaxRateMapping, TaxSettings
from shared.domain.sales_tax import TaxShare
from shared.domain.stripe_tax import StripeTax, StripeTaxRate
from shared.domain.tax_book import QboTaxCode, QboTaxRate, TaxBook
from shared.errors import TaxMappingGapError

# Stripe's taxability reasons -> the books file's [tax.reasons] key (stripe 16.1.0 enum)
REASONS = {
    "zero_rated": "zero_rated",
    "product_exempt": "exempt",
    "product_exempt_holiday": "exempt",
    "customer_exempt": "exempt",
    "portion_product_exempt": "exempt",
    "reverse_charge": "reverse_charge",
    "not_collecting": "out_of_scope",
    "not_subject_to_tax": "out_of_scope",
    "not_supported": "out_of_scope",
    "not_available": "out_of_scope",
}


@dataclass(frozen=True)
class LineCode:
    """A line's QBO tax code, and each Stripe tax of it under its QBO rate."""

    code: QboTaxCode
    shares: tuple[TaxShare, ...]

    def by_rate(self) -> dict[str, int]:
        """QBO rate id -> the tax Stripe charged under it."""
        out: dict[str, int] = {}
        for share in self.shares:
            out[share.qbo_rate] = out.get(share.qbo_rate, 0) + share.amount
        return out


def _gap(message: str) -> TaxMappingGapError:
    return TaxMappingGapError(message)


def _entry_toml(rate: StripeTaxRate, code: str = "<QBO tax code name>") -> str:
    return f'[[tax.rates]] stripe_tax_rate = "{rate.id}" qbo_tax_code = "{code}"'


def _matches(entry: TaxRateMapping, rate: StripeTaxRate) -> bool:
    if entry.stripe_tax_rate is not None:
        return entry.stripe_tax_rate == rate.id
    match = entry.match
    if match is None:
        return False
    wanted = {
        "country": match.country,
        "state": match.state,
        "tax_type": match.tax_type,
        "jurisdiction": match.jurisdiction,
    }
    for field, value in wanted.items():
        if value is not None and (getattr(rate, field) or "").lower() != value.lower():
            return False
    return match.percentage is None or match.percentage == rate.percentage


def _explicit(settings: TaxSettings, rate: StripeTaxRate) -> TaxRateMapping | None:
    """An entry by id first, then the first entry whose match fits."""
    by_id = [e for e in settings.rates if e.stripe_tax_rate == rate.id]
    if by_id:
        return by_id[0]
    return next((e for e in settings.rates if e.match and _matches(e, rate)), None)


def _words(text: str) -> set[str]:
    return {w for w in re.split(r"[^a-z0-9]+", text.lower()) if w}


def _auto_rate(book: TaxBook, rate: StripeTaxRate, day: date) -> QboTaxRate:
    """The one QBO sales rate with the Stripe rate's percentage (named for its place)."""
    used = {r for code in book.sales_codes() for r in code.sales_rates}
    percent = rate.applied_percentage
    found = [
        r for r in book.rates.values() if r.active and r.id in used and r.percent_on(day) == percent
    ]
    if len(found) > 1:
        places = {p.lower() for p in (rate.state, rate.jurisdiction) if p}
        narrowed = [r for r in found if places & (_words(r.name) | _words(r.agency))]
        found = narrowed or found
    if len(found) == 1:
        return found[0]
    seen = ", ".join(f"{r.name} ({r.agency or 'no agency'})" for r in found) or "none"
    raise _gap(
        f"Stripe tax rate {rate.id} ({rate.describe()}) matches no single QBO sales tax rate "
        f"at {percent.normalize():f}% on {day.isoformat()} (candidates: {seen}). Add to the "
        f"books file: {_entry_toml(rate)}, then replay."
    )


def _code_named(book: TaxBook, name: str, why: str) -> QboTaxCode:
    code = book.code(name)
    if code is None or code.pseudo:
        raise _gap(f"{why} names QBO tax code {name!r}: the company has no active such code")
    return code


def _rate_in(
    book: TaxBook, code: QboTaxCode, named: str | None, rate: StripeTaxRate, day: date
) -> str:
    """Which of a mapped code's rates takes this Stripe tax (``named``: the entry says)."""
    if named is not None:
        found = book.rate_of(code, named)
        if found is None:
            raise _gap(
                f"the books file maps {rate.id} to rate {named!r} of QBO tax code "
                f"{code.name!r}, which has no such rate"
            )
        return found.id
    if len(code.sales_rates) == 1:
        return code.sales_rates[0]
    same = [
        r
        for r in code.sales_rates
        if r in book.rates and book.rates[r].percent_on(day) == rate.applied_percentage
    ]
    if len(same) == 1:
        return same[0]
    raise _gap(
        f"QBO tax code {code.name!r} has several rates; say which takes Stripe tax rate "
        f'{rate.id}: add qbo_tax_rate = "<rate name>" to its [[tax.rates]] entry'
    )


def _reason_code(book: TaxBook, settings: TaxSettings, reason: str, line: str) -> QboTaxCode:
    name = getattr(settings.reasons, reason)
    if not name:
        raise _gap(
            f"{line} carries no tax ({reason}); name the QBO tax code for it in the books file: "
            f'[tax.reasons] {reason} = "<QBO tax code name>", then replay'
        )
    return _code_named(book, str(name), f"[tax.reasons] {reason}")


def line_code(
    taxes: Sequence[StripeTax],
    rates: Mapping[str, StripeTaxRate],
    book: TaxBook,
    settings: TaxSettings,
    day: date,
    *,
    line: str = "a line",
) -> LineCode:
    """The QBO tax code of one line (or of shipping) and what Stripe charged per QBO rate."""
    charged = [t for t in taxes if t.amount != 0]
    if not charged:
        zero = _zero_code(taxes, rates, book, settings, line)
        taxable = _taxable(taxes)
        return LineCode(
            zero, tuple(_share(book, "", r, 0, taxable, day=day) for r in zero.sales_rates)
        )
    named: set[str] = set()
    resolved: list[tuple[StripeTax, StripeTaxRate, TaxRateMapping | None]] = []
    for tax in charged:
        rate = _rate(rates, tax)
        entry = _explicit(settings, rate)
        if entry is not None:
            named.add(_code_named(book, entry.qbo_tax_code, f"the entry for {rate.id}").id)
        resolved.append((tax, rate, entry))
    if len(named) > 1:
        raise _gap(f"{line}: the books file maps its Stripe taxes to different QBO codes")
    shares: list[TaxShare] = []
    code: QboTaxCode | None = book.code(named.pop()) if named else None
    for tax, rate, entry in resolved:
        if code is not None:
            qbo_rate = _rate_in(book, code, entry.qbo_tax_rate if entry else None, rate, day)
        else:
            qbo_rate = _auto_rate(book, rate, day).id
        shares.append(_share(book, rate.id, qbo_rate, tax.amount, tax.taxable_amount or 0, day=day))
    used = {s.qbo_rate for s in shares}
    if code is None:
        code = _code_of_rates(book, used, [r for _, r, _ in resolved])
    elif not used <= set(code.sales_rates):
        raise _gap(f"{line}: QBO tax code {code.name!r} lacks a rate the line's taxes map to")
    order = {rate: n for n, rate in enumerate(code.sales_rates)}
    return LineCode(code, tuple(sorted(shares, key=lambda s: order[s.qbo_rate])))


def _share(
    book: TaxBook, stripe_rate: str, qbo_rate: str, amount: int, taxable: int, *, day: date
) -> TaxShare:
    found = book.rates.get(qbo_rate)
    percent = found.percent_on(day) if found is not None else None
    return TaxShare(stripe_rate, amount, taxable, qbo_rate=qbo_rate, percent=percent)


def _code_of_rates(book: TaxBook, wanted: set[str], rates: list[StripeTaxRate]) -> QboTaxCode:
    found = [c for c in book.sales_codes() if set(c.sales_rates) == wanted]
    if len(found) == 1:
        return found[0]
    names = ", ".join(book.rates[r].name for r in sorted(wanted))
    first = rates[0]
    raise _gap(
        f"no single QBO tax code carries exactly the rates {names} (for Stripe tax rate "
        f"{first.id}, {first.describe()}). Add to the books file: {_entry_toml(first)}, "
        "then replay."
    )


def _zero_code(
    taxes: Sequence[StripeTax],
    rates: Mapping[str, StripeTaxRate],
    book: TaxBook,
    settings: TaxSettings,
    line: str,
) -> QboTaxCode:
    """A line without tax: the code its zero rate is mapped to, else its reason's."""
    explicit = _zero_explicit(taxes, rates, settings)
    if explicit is not None:
        return _code_named(book, explicit, "the books file's [[tax.rates]]")
    reasons = {_reason(t) for t in taxes} or {"no_tax"}
    codes = {_reason_code(book, settings, r, line).id for r in sorted(reasons)}
    if len(codes) != 1:
        raise _gap(f"{line} has taxes of different reasons ({sorted(reasons)}) and codes")
    return _code_named(book, codes.pop(), "[tax.reasons]")


def _zero_explicit(
    taxes: Sequence[StripeTax], rates: Mapping[str, StripeTaxRate], settings: TaxSettings
) -> str | None:
    """A zero tax the books file maps by its rate: that code (the first, when several)."""
    for tax in taxes:
        rate = rates.get(tax.tax_rate or "") or tax.rate
        entry = _explicit(settings, rate) if rate is not None else None
        if entry is not None:
            return entry.qbo_tax_code
    return None


def _reason(tax: StripeTax) -> str:
    # A zero entry without a reason is a 0 % rate (a manual zero-rated rate).
    return REASONS.get(tax.taxability_reason or "zero_rated", "zero_rated")


def _rate(rates: Mapping[str, StripeTaxRate], tax: StripeTax) -> StripeTaxRate:
    rate = tax.rate or rates.get(tax.tax_rate or "")
    if rate is None:
        raise _gap(f"a Stripe tax entry names no readable tax rate ({tax.tax_rate!r})")
    return rate


def _taxable(taxes: Sequence[StripeTax]) -> int:
    return max((t.taxable_amount or 0 for t in taxes), default=0)


__all__ = ["REASONS", "LineCode", "line_code"]
