"""Success-fee settlements: pure models, row validation and the fee, credit and tax arithmetic."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from shared.domain.money import (
    THREE_DECIMAL,
    ZERO_DECIMAL,
    UnknownCurrencyError,
    exponent,
    minor_from_decimal,
    normalize_currency,
    round_half_up,
)
from shared.errors import PermanentError

SETTLEMENT_COMPLETED = "COMPLETED"

# ISO 4217 codes Stripe charges in; anything else on a settlement is a bad row.
KNOWN_CURRENCIES = (
    frozenset(
        "aed afn all amd ang aoa ars aud awg azn bam bbd bdt bgn bif bmd bnd bob brl bsd bwp byn "
        "bzd cad cdf chf clp cny cop crc cve czk djf dkk dop dzd egp etb eur fjd fkp gbp gel gip "
        "gmd gnf gtq gyd hkd hnl htg huf idr ils inr isk jmd jpy kes kgs khr kmf krw kyd kzt lak "
        "lbp lkr lrd lsl mad mdl mga mkd mmk mnt mop mur mvr mwk mxn myr mzn nad ngn nio nok npr "
        "nzd pab pen pgk php pkr pln pyg qar ron rsd rub rwf sar sbd scr sek sgd shp sle sos srd "
        "std stn szl thb tjs top try ttd twd tzs uah ugx usd uyu uzs vnd vuv wst xaf xcd xof xpf "
        "yer zar zmw".split()
    )
    | ZERO_DECIMAL
    | THREE_DECIMAL
)

# An invoice object shows its first 10 lines (fee, credits, tax) and metadata values hold at most
# 500 characters: credits beyond this stay open for the next settlement.
MAX_CREDITS_PER_INVOICE = 8
_UPLIFT_QUANTUM = Decimal("0.01")


class SettlementRejectedError(PermanentError):
    """A settlement row that cannot be invoiced as it is (recorded FAILED with the reason)."""

    default_code = "bad_settlement"


@dataclass(frozen=True)
class Contribution:
    """Part of the incremental revenue attributed to one source (a channel, a campaign)."""

    source: str
    amount: Decimal


@dataclass(frozen=True)
class Settlement:
    settlement_id: str
    customer_id: str
    customer_name: str
    period_start: date
    period_end: date
    baseline_revenue: Decimal
    actual_revenue: Decimal
    incremental_revenue: Decimal
    fee_rate: Decimal
    currency: str  # lower-case ISO code
    tax_jurisdiction: str  # upper-case key of the tax rate table
    contributions: tuple[Contribution, ...]
    completed_at: datetime
    revision: datetime | None = None  # the ledger row's recorded_at


@dataclass(frozen=True)
class OpenCredit:
    """A credit owed to the customer, with what is still open of it (in major units)."""

    credit_id: str
    reason: str
    currency: str
    open_amount: Decimal
    revenue_lost: Decimal | None = None


@dataclass(frozen=True)
class CreditApplication:
    credit_id: str
    reason: str
    amount_minor: int  # positive: what the invoice deducts


@dataclass(frozen=True)
class InvoicePlan:
    """What the Stripe invoice of a settlement contains, fixed before the first Stripe write."""

    settlement_id: str
    currency: str
    fee_minor: int
    credits: tuple[CreditApplication, ...]
    tax_jurisdiction: str
    tax_rate: Decimal
    tax_minor: int

    @property
    def credit_minor(self) -> int:
        return sum(c.amount_minor for c in self.credits)

    @property
    def subtotal_minor(self) -> int:
        return self.fee_minor - self.credit_minor

    @property
    def total_minor(self) -> int:
        return self.subtotal_minor + self.tax_minor


# --- parsing ---------------------------------------------------------------------------------


def _reject(code: str, message: str) -> SettlementRejectedError:
    return SettlementRejectedError(message, code=code)


def _text(row: Mapping[str, Any], key: str) -> str:
    value = row.get(key)
    return "" if value is None else str(value).strip()


def _decimal(row: Mapping[str, Any], key: str) -> Decimal:
    value = row.get(key)
    if value is None or isinstance(value, bool | float):
        raise _reject(f"bad_{key}", f"{key} is missing or not an exact number")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise _reject(f"bad_{key}", f"{key} is not a number") from None
    if not number.is_finite():
        raise _reject(f"bad_{key}", f"{key} is not finite")
    return number


def _date(row: Mapping[str, Any], key: str) -> date:
    value = row.get(key)
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise _reject(f"bad_{key}", f"{key} is not a date") from None


def _timestamp(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str) and value:
        parsed = datetime.fromisoformat(value)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def currency_from_code(code: Any) -> str:
    """A known ISO currency code in lower case; SettlementRejectedError otherwise."""
    try:
        currency = normalize_currency(str(code or ""))
    except UnknownCurrencyError:
        raise _reject("unknown_currency", "currency is missing or malformed") from None
    if currency not in KNOWN_CURRENCIES:
        raise _reject("unknown_currency", f"unknown currency {currency.upper()}")
    return currency


def contributions_from_json(value: Any) -> tuple[Contribution, ...]:
    """``{"source": amount}`` or ``[{"source": ..., "amount": ...}]``, as text or parsed JSON."""
    if value is None or value == "":
        return ()
    try:
        data = (
            json.loads(value, parse_float=Decimal, parse_int=Decimal)
            if isinstance(value, str | bytes)
            else value
        )
        pairs: Iterable[tuple[Any, Any]]
        if isinstance(data, Mapping):
            pairs = data.items()
        elif isinstance(data, Sequence):
            pairs = [(item["source"], item["amount"]) for item in data]
        else:
            raise TypeError("not an object or a list")
        return tuple(Contribution(str(src), Decimal(str(amount))) for src, amount in pairs)
    except (ValueError, TypeError, KeyError, InvalidOperation):
        raise _reject("bad_contributions", "contributions are not valid JSON") from None


def settlement_from_row(row: Mapping[str, Any]) -> Settlement:
    """Validate a ``ledger_settlements`` row; SettlementRejectedError names what is wrong."""
    settlement_id = _text(row, "settlement_id")
    if not settlement_id:
        raise _reject("missing_settlement_id", "settlement id is missing")
    customer_id = _text(row, "customer_id")
    if not customer_id:
        raise _reject("missing_customer", "settlement has no customer")
    status = _text(row, "status").upper()
    if status != SETTLEMENT_COMPLETED:
        raise _reject("not_completed", f"settlement status is {status or 'empty'}")
    currency = currency_from_code(row.get("currency"))
    baseline = _decimal(row, "baseline_revenue")
    actual = _decimal(row, "actual_revenue")
    incremental = _decimal(row, "incremental_revenue")
    rate = _decimal(row, "fee_rate")
    if rate < 0:
        raise _reject("negative_fee_rate", "fee rate is negative")
    if rate > 1:
        raise _reject("fee_rate_above_one", "fee rate is above 100 %")
    if incremental != actual - baseline:
        raise _reject("incremental_mismatch", "incremental revenue is not actual minus baseline")
    period_start, period_end = _date(row, "period_start"), _date(row, "period_end")
    if period_end < period_start:
        raise _reject("bad_period", "billing period ends before it starts")
    completed_at = _timestamp(row.get("completed_at"))
    if completed_at is None:
        raise _reject("bad_completed_at", "completed settlement has no completion time")
    return Settlement(
        settlement_id=settlement_id,
        customer_id=customer_id,
        customer_name=_text(row, "customer_name"),
        period_start=period_start,
        period_end=period_end,
        baseline_revenue=baseline,
        actual_revenue=actual,
        incremental_revenue=incremental,
        fee_rate=rate,
        currency=currency,
        tax_jurisdiction=_text(row, "tax_jurisdiction").upper(),
        contributions=contributions_from_json(row.get("contributions")),
        completed_at=completed_at,
        revision=_timestamp(row.get("recorded_at")),
    )


# --- arithmetic ------------------------------------------------------------------------------


def fee_from_settlement(settlement: Settlement) -> Decimal:
    """Rate times incremental revenue, half-up to the minor unit; zero without an increase."""
    if settlement.incremental_revenue <= 0:
        return round_half_up(Decimal(0), settlement.currency)
    return round_half_up(settlement.fee_rate * settlement.incremental_revenue, settlement.currency)


def uplift_from_settlement(settlement: Settlement) -> Decimal | None:
    """Incremental over baseline revenue in percent (2 places); None without a positive baseline."""
    if settlement.baseline_revenue <= 0:
        return None
    ratio = settlement.incremental_revenue * 100 / settlement.baseline_revenue
    return ratio.quantize(_UPLIFT_QUANTUM, rounding=ROUND_HALF_UP)


def tax_rate_from_jurisdiction(jurisdiction: str, tax_rates: Mapping[str, Decimal]) -> Decimal:
    rates = {key.strip().upper(): Decimal(value) for key, value in tax_rates.items()}
    rate = rates.get(jurisdiction.strip().upper()) if jurisdiction else None
    if rate is None:
        raise _reject("unknown_tax_jurisdiction", f"no tax rate for {jurisdiction or 'empty'!r}")
    if rate < 0:
        raise _reject("negative_tax_rate", f"tax rate for {jurisdiction!r} is negative")
    return rate


def tax_from_amount(amount_minor: int, rate: Decimal, currency: str) -> int:
    """Tax on an amount in minor units, rounded half-up to the minor unit."""
    taxable = Decimal(amount_minor).scaleb(-exponent(currency))
    return minor_from_decimal(round_half_up(taxable * rate, currency), currency)


def credit_applications_from_open_credits(
    credits: Sequence[OpenCredit], fee_minor: int, currency: str
) -> tuple[CreditApplication, ...]:
    """Oldest credits first, each up to what is left of the fee; the rest of a credit stays open.

    Credits in another currency never apply. Open amounts finer than the minor unit are rounded
    down, so a credit is never over-applied.
    """
    remaining = fee_minor
    applied: list[CreditApplication] = []
    for credit in credits:
        if remaining <= 0 or len(applied) >= MAX_CREDITS_PER_INVOICE:
            break
        if credit.currency.strip().lower() != currency:
            continue
        scaled = credit.open_amount.scaleb(exponent(currency))
        open_minor = int(scaled.to_integral_value(rounding=ROUND_FLOOR))
        amount = min(open_minor, remaining)
        if amount > 0:
            applied.append(CreditApplication(credit.credit_id, credit.reason.upper(), amount))
            remaining -= amount
    return tuple(applied)


def invoice_plan_from_settlement(
    settlement: Settlement, open_credits: Sequence[OpenCredit], tax_rates: Mapping[str, Decimal]
) -> InvoicePlan | None:
    """The invoice a settlement yields, or None when there is no fee to charge."""
    fee = fee_from_settlement(settlement)
    if fee <= 0:
        return None
    currency = settlement.currency
    rate = tax_rate_from_jurisdiction(settlement.tax_jurisdiction, tax_rates)
    fee_minor = minor_from_decimal(fee, currency)
    credits = credit_applications_from_open_credits(open_credits, fee_minor, currency)
    subtotal = fee_minor - sum(c.amount_minor for c in credits)
    return InvoicePlan(
        settlement_id=settlement.settlement_id,
        currency=currency,
        fee_minor=fee_minor,
        credits=credits,
        tax_jurisdiction=settlement.tax_jurisdiction,
        tax_rate=rate,
        tax_minor=tax_from_amount(subtotal, rate, currency),
    )
