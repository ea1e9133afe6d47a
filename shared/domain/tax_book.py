"""The company's tax setup as QBO answers it: TaxCode, TaxRate and TaxAgency (read-only
entities; Finance.xsd), parsed into what the tax mapping matches against."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

JsonDict = dict[str, Any]


def _ref(doc: Mapping[str, Any], field: str) -> str:
    value = doc.get(field)
    return str(value.get("value") or "") if isinstance(value, dict) else ""


def _decimal(value: Any) -> Decimal:
    try:
        return Decimal(str(value)) if value is not None else Decimal(0)
    except InvalidOperation:
        return Decimal(0)


@dataclass(frozen=True)
class RatePeriod:
    value: Decimal
    start: date
    end: date | None


@dataclass(frozen=True)
class QboTaxRate:
    id: str
    name: str
    value: Decimal  # percent: 8.5 means 8.5 %
    agency: str  # the agency's name
    active: bool = True
    special: str = "NONE"  # ZERO_RATE, REVERSE_CHARGE, ...
    periods: tuple[RatePeriod, ...] = ()

    def percent_on(self, day: date) -> Decimal:
        """The rate on ``day`` (a rate that changed keeps its history in EffectiveTaxRate)."""
        for period in self.periods:
            if period.start <= day and (period.end is None or day <= period.end):
                return period.value
        return self.value


@dataclass(frozen=True)
class QboTaxCode:
    id: str
    name: str
    sales_rates: tuple[str, ...]  # TaxRate ids, in their tax order
    active: bool = True

    @property
    def pseudo(self) -> bool:
        """TAX and NON: a US line's taxable-or-not, not a code with rates."""
        return self.id in ("TAX", "NON")


@dataclass(frozen=True)
class TaxBook:
    codes: tuple[QboTaxCode, ...]
    rates: Mapping[str, QboTaxRate]

    def code(self, name_or_id: str) -> QboTaxCode | None:
        """An active code by its Name (case-insensitive) or Id."""
        wanted = name_or_id.strip().lower()
        for code in self.codes:
            if code.active and wanted in (code.name.lower(), code.id.lower()):
                return code
        return None

    def sales_codes(self) -> list[QboTaxCode]:
        return [c for c in self.codes if c.active and c.sales_rates and not c.pseudo]

    def rate_of(self, code: QboTaxCode, name_or_id: str) -> QboTaxRate | None:
        wanted = name_or_id.strip().lower()
        for rate_id in code.sales_rates:
            rate = self.rates.get(rate_id)
            if rate is not None and wanted in (rate.name.lower(), rate.id.lower()):
                return rate
        return None


def _day(value: Any) -> date | None:
    text = str(value or "")[:10]
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def tax_book_from_qbo(
    codes: Iterable[JsonDict], rates: Iterable[JsonDict], agencies: Iterable[JsonDict]
) -> TaxBook:
    names = {str(a.get("Id")): str(a.get("DisplayName") or "") for a in agencies}
    parsed: dict[str, QboTaxRate] = {}
    for rate in rates:
        periods = []
        for period in rate.get("EffectiveTaxRate") or []:
            start = _day(period.get("EffectiveDate"))
            end = _day(period.get("EndDate"))
            if start is not None:
                periods.append(RatePeriod(_decimal(period.get("RateValue")), start, end))
        parsed[str(rate["Id"])] = QboTaxRate(
            id=str(rate["Id"]),
            name=str(rate.get("Name") or ""),
            value=_decimal(rate.get("RateValue")),
            agency=names.get(_ref(rate, "AgencyRef"), ""),
            active=rate.get("Active") is not False,
            special=str(rate.get("SpecialTaxType") or "NONE"),
            periods=tuple(periods),
        )
    book_codes = []
    for code in codes:
        details = (code.get("SalesTaxRateList") or {}).get("TaxRateDetail") or []
        ordered = sorted(details, key=lambda d: int(d.get("TaxOrder") or 0))
        book_codes.append(
            QboTaxCode(
                id=str(code["Id"]),
                name=str(code.get("Name") or ""),
                sales_rates=tuple(_ref(d, "TaxRateRef") for d in ordered if _ref(d, "TaxRateRef")),
                active=code.get("Active") is not False,
            )
        )
    return TaxBook(tuple(book_codes), parsed)
