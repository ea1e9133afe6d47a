"""Currencies in the fake company: ISO 4217 precision, names, and a deterministic rate table."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from local_emulator.fakes.qbo import errors

# ISO 4217 minor units where they differ from 2 (the currencies Stripe settles in included).
ZERO_DECIMAL = frozenset(
    "BIF CLP DJF GNF ISK JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF".split()
)
THREE_DECIMAL = frozenset("BHD IQD JOD KWD LYD OMR TND".split())
NAMES = {
    "USD": "United States Dollar",
    "EUR": "Euro",
    "GBP": "British Pound Sterling",
    "JPY": "Japanese Yen",
    "KRW": "South Korean Won",
    "KWD": "Kuwaiti Dinar",
    "BHD": "Bahraini Dinar",
    "CAD": "Canadian Dollar",
    "AUD": "Australian Dollar",
    "CHF": "Swiss Franc",
}
# Units of USD per one unit of the currency; the rate between two others is derived from these.
USD_RATES: Mapping[str, Decimal] = {
    "USD": Decimal(1),
    "EUR": Decimal("1.08"),
    "GBP": Decimal("1.27"),
    "JPY": Decimal("0.0067"),
    "KWD": Decimal("3.25"),
    "BHD": Decimal("2.65"),
    "KRW": Decimal("0.00072"),
    "CAD": Decimal("0.74"),
    "AUD": Decimal("0.66"),
    "CHF": Decimal("1.13"),
}
RATE_PLACES = Decimal("1e-10")
PLACES = {Decimal(1): 0, Decimal("0.01"): 2, Decimal("0.001"): 3}


def code(value: object, field: str = "CurrencyRef") -> str:
    """A currency code as QBO keeps it (upper case); 2500 when it is not three letters."""
    text = str(value or "").strip().upper()
    if len(text) != 3 or not text.isascii() or not text.isalpha():
        raise errors.invalid_reference(field, str(value))
    return text


# QBO keeps every amount to 2 decimal places, three-decimal currencies included ("two decimals
# at Line Amount ... subtotals and totals are stored as two decimal places"; Qty and UnitPrice
# to seven: Breadwinner's QBO notes, help.breadwinner.com 44001664304; CompanyCurrency's
# DecimalPlaces in Finance.xsd: "Usually there will be 2, or 0 for currencies without cents").
# Whether real QBO refuses a finer amount or rounds it is undocumented: the fake refuses
# (stricter); ``Books.round_amounts`` makes it round instead, and the sync is right either way.
AMOUNT_PLACES = Decimal("0.01")
RATE_FIELD_PLACES = Decimal("1e-7")  # Qty, UnitPrice


def quantum(currency: str) -> Decimal:
    """The finest amount QBO keeps in ``currency``."""
    return Decimal(1) if currency in ZERO_DECIMAL else AMOUNT_PLACES


def amount(value: Decimal, field: str, currency: str) -> Decimal:
    """``value`` at QBO's precision; a finer amount (JPY 10.5, USD 1.005, KWD 1.234) is refused."""
    places = quantum(currency)
    exact = value.quantize(places, rounding=ROUND_HALF_UP)
    if exact != value:
        raise errors.precision(field, str(value), currency, PLACES.get(places, 2))
    return exact


def fine(value: Decimal, field: str) -> Decimal:
    """A quantity or unit price: QBO keeps 7 decimal places."""
    if value != value.quantize(RATE_FIELD_PLACES, rounding=ROUND_HALF_UP):
        raise errors.precision(field, str(value), "QBO", 7)
    return value


AMOUNT_FIELDS = frozenset({"Amount", "TotalAmt", "TotalTax", "CashBack"})


def rounded_amounts(value: Any, currency: str) -> Any:
    """``value`` with every amount rounded half-up to QBO's precision and every Qty/UnitPrice
    to 7 places: what QBO would keep if it rounds rather than refuses (``round_amounts``)."""
    if isinstance(value, list):
        return [rounded_amounts(item, currency) for item in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, item in value.items():
        if key in AMOUNT_FIELDS and isinstance(item, int | Decimal | str):
            out[key] = _round(item, quantum(currency))
        elif key in ("Qty", "UnitPrice") and isinstance(item, int | Decimal | str):
            out[key] = _round(item, RATE_FIELD_PLACES)
        else:
            out[key] = rounded_amounts(item, currency)
    return out


def _round(value: object, places: Decimal) -> object:
    try:
        return Decimal(str(value)).quantize(places, rounding=ROUND_HALF_UP)
    except ArithmeticError:
        return value  # not a number: the rules refuse it as they would have


def ref(currency: str) -> dict[str, str]:
    return {"value": currency, "name": NAMES.get(currency, currency)}


def usd_rate(currency: str) -> Decimal:
    """The seeded rate, or one derived from the code so that every currency has a rate."""
    seeded = USD_RATES.get(currency)
    if seeded is not None:
        return seeded
    digest = int.from_bytes(hashlib.sha256(currency.encode()).digest()[:4], "big")
    return Decimal(1 + digest % 150_000) / Decimal(100_000)  # 0.00001 .. 1.5


class RateTable:
    """Home-currency units per unit of a currency, per date; overrides win over the seed."""

    def __init__(self, home: str) -> None:
        self.home = home
        self._overrides: dict[tuple[str, str | None], Decimal] = {}

    def set(self, currency: str, rate: Decimal, as_of: str | None = None) -> None:
        """Pin a rate (for one date, or for every date when ``as_of`` is None)."""
        self._overrides[(code(currency), as_of)] = rate

    def known(self) -> frozenset[str]:
        """The currencies the company has a rate for: the seeded ones and any pinned."""
        return frozenset(USD_RATES) | {code for code, _ in self._overrides} | {self.home}

    def rate(self, currency: str, as_of: str) -> Decimal:
        currency = code(currency)
        if currency == self.home:
            return Decimal(1)
        for key in ((currency, as_of), (currency, None)):
            if key in self._overrides:
                return self._overrides[key]
        if self.home == "USD":
            return usd_rate(currency)
        ratio = usd_rate(currency) / usd_rate(self.home)
        return ratio.quantize(RATE_PLACES, rounding=ROUND_HALF_UP).normalize()
