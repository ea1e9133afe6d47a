"""Exact money: minor units to Decimal and back, for 0-, 2- and 3-decimal currencies."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.domain.money import (
    UnknownCurrencyError,
    decimal_from_minor,
    exponent,
    minor_from_decimal,
    round_half_up,
)


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (1234, "usd", Decimal("12.34")),
        (1234, "USD", Decimal("12.34")),
        (5, "eur", Decimal("0.05")),
        (-250, "gbp", Decimal("-2.50")),
        (1234, "jpy", Decimal("1234")),
        (1234, "krw", Decimal("1234")),
        (1234, "kwd", Decimal("1.234")),
        (1, "bhd", Decimal("0.001")),
        (0, "usd", Decimal("0.00")),
    ],
)
def test_decimal_from_minor(amount: int, currency: str, expected: Decimal) -> None:
    result = decimal_from_minor(amount, currency)
    assert result == expected
    assert result.as_tuple().exponent == -exponent(currency)


def test_float_and_bool_are_refused() -> None:
    with pytest.raises(TypeError):
        decimal_from_minor(12.5, "usd")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        decimal_from_minor(True, "usd")
    with pytest.raises(TypeError):
        minor_from_decimal(12.5, "usd")  # type: ignore[arg-type]


def test_precision_finer_than_minor_unit_is_refused() -> None:
    with pytest.raises(ValueError, match="more precision"):
        minor_from_decimal(Decimal("1.005"), "usd")
    with pytest.raises(ValueError, match="more precision"):
        minor_from_decimal(Decimal("1.5"), "jpy")


@pytest.mark.parametrize("bad", ["", "us", "usdx", "12a", "u$d"])
def test_unknown_currency_codes(bad: str) -> None:
    with pytest.raises(UnknownCurrencyError):
        exponent(bad)


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (Decimal("2.345"), "usd", Decimal("2.35")),
        (Decimal("2.344"), "usd", Decimal("2.34")),
        (Decimal("-2.345"), "usd", Decimal("-2.35")),
        (Decimal("1234.5"), "jpy", Decimal("1235")),
        (Decimal("1.2345"), "kwd", Decimal("1.235")),
    ],
)
def test_round_half_up(amount: Decimal, currency: str, expected: Decimal) -> None:
    assert round_half_up(amount, currency) == expected


@given(
    st.integers(min_value=-(10**15), max_value=10**15),
    st.sampled_from(["usd", "jpy", "kwd", "eur", "bhd", "krw"]),
)
def test_round_trip_is_exact(amount: int, currency: str) -> None:
    assert minor_from_decimal(decimal_from_minor(amount, currency), currency) == amount
