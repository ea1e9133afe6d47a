"""Exact money: Stripe's integer minor units to and from QBO's Decimal amounts."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

# Stripe's currency exponents (https://docs.stripe.com/currencies#zero-decimal and
# #three-decimal); every other currency has two decimals.
ZERO_DECIMAL = frozenset("bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split())
THREE_DECIMAL = frozenset("bhd jod kwd omr tnd".split())


class UnknownCurrencyError(ValueError):
    """A currency code that is not three ASCII letters."""


def normalize_currency(currency: str) -> str:
    code = currency.strip().lower()
    if len(code) != 3 or not code.isascii() or not code.isalpha():
        raise UnknownCurrencyError(f"not an ISO 4217 currency code: {currency!r}")
    return code


def exponent(currency: str) -> int:
    code = normalize_currency(currency)
    if code in ZERO_DECIMAL:
        return 0
    if code in THREE_DECIMAL:
        return 3
    return 2


def quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-exponent(currency))


def decimal_from_minor(amount: int, currency: str) -> Decimal:
    """1234 usd -> Decimal('12.34'); 1234 jpy -> Decimal('1234'); 1234 kwd -> Decimal('1.234')."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError(f"minor units must be int, got {type(amount).__name__}")
    return Decimal(amount).scaleb(-exponent(currency)).quantize(quantum(currency))


def minor_from_decimal(amount: Decimal, currency: str) -> int:
    """The inverse of decimal_from_minor; refuses amounts finer than the currency's minor unit."""
    if not isinstance(amount, Decimal):
        raise TypeError(f"amount must be Decimal, got {type(amount).__name__}")
    scaled = amount.scaleb(exponent(currency))
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount} has more precision than {currency.upper()} allows")
    return int(scaled)


def round_half_up(amount: Decimal, currency: str) -> Decimal:
    """Round to the currency's minor unit, half away from zero (the commercial rule)."""
    return amount.quantize(quantum(currency), rounding=ROUND_HALF_UP)
