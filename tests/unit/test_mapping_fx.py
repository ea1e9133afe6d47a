"""Pure conversion mapping: the source amount out of its clearing at QBO's rate, Stripe's
settled amount into the settlement clearing exactly, the difference to exchange gain or loss;
from the integers, never from Stripe's float rate."""

from __future__ import annotations

from decimal import Decimal

from shared.domain.mapping import CurrencyTerms
from shared.domain.mapping_fx import (
    FxAccounts,
    conversion_from,
    fx_difference,
    qbo_fx_difference_entry,
    qbo_fx_entry_from_conversion,
)
from shared.domain.qbo_models import QboJournalEntry, Ref
from shared.domain.stripe_payments import StripeBalanceTransaction

T0 = 1_767_225_600
ACCOUNTS = FxAccounts(
    source_clearing=Ref(value="20"),
    settled_clearing=Ref(value="8"),
    gain_loss=Ref(value="30"),
    via=Ref(value="8"),  # settlement in the home currency: its clearing account
)
USD = CurrencyTerms("usd", "usd")


def txn(
    amount: int, currency: str = "usd", rate: float | None = 1.0812
) -> StripeBalanceTransaction:
    return StripeBalanceTransaction.model_validate(
        {
            "id": "txn_1",
            "amount": amount,
            "fee": 0,
            "currency": currency,
            "type": "charge",
            "created": T0,
            "source": "ch_1",
            "exchange_rate": rate,
        }
    )


def lines(entry: QboJournalEntry) -> list[tuple[str, str, Decimal]]:
    return [
        (
            ln.JournalEntryLineDetail.AccountRef.value,
            ln.JournalEntryLineDetail.PostingType,
            ln.Amount,
        )
        for ln in entry.Line
    ]


def test_a_eur_charge_settled_in_usd() -> None:
    """Stripe's EUR 100.00 became USD 108.12; QBO values EUR 100.00 at 108.00: a 0.12 gain."""
    conversion = conversion_from(txn(10_812), "ch_1", "eur", 10_000)
    assert conversion is not None and conversion.source_amount == 10_000
    eur = CurrencyTerms("eur", "usd", Decimal("1.08"))
    entry = qbo_fx_entry_from_conversion(conversion, ACCOUNTS, eur)
    assert lines(entry) == [("8", "Debit", Decimal("100.00")), ("20", "Credit", Decimal("100.00"))]
    assert entry.ExchangeRate == Decimal("1.08") and entry.PrivateNote == "Stripe fx txn_1"
    difference = fx_difference(conversion, Decimal("108.00"), Decimal("108.12"))
    assert difference == Decimal("0.12")
    diff = qbo_fx_difference_entry(conversion, difference, ACCOUNTS, USD)
    assert diff is not None and diff.CurrencyRef is None
    assert lines(diff) == [("8", "Debit", Decimal("0.12")), ("30", "Credit", Decimal("0.12"))]


def test_a_refund_converted_back_at_a_worse_rate_is_a_loss() -> None:
    """A EUR 30.00 refund cost USD 32.70; QBO values EUR 30.00 at 32.40: a 0.30 loss."""
    conversion = conversion_from(txn(-3_270), "re_1", "eur", 3_000)
    assert conversion is not None and conversion.source_amount == -3_000
    entry = qbo_fx_entry_from_conversion(
        conversion, ACCOUNTS, CurrencyTerms("eur", "usd", Decimal("1.08"))
    )
    assert lines(entry) == [("8", "Credit", Decimal("30.00")), ("20", "Debit", Decimal("30.00"))]
    difference = fx_difference(conversion, Decimal("32.40"), Decimal("32.70"))
    assert difference == Decimal("-0.30")
    diff = qbo_fx_difference_entry(conversion, difference, ACCOUNTS, USD)
    assert diff is not None
    assert lines(diff) == [("8", "Credit", Decimal("0.30")), ("30", "Debit", Decimal("0.30"))]


def test_zero_decimal_source_and_no_difference() -> None:
    """JPY 12,000 (no minor unit) settled as USD 80.40, exactly QBO's value: no second entry."""
    conversion = conversion_from(txn(8_040, rate=0.0067), "ch_1", "jpy", 12_000)
    assert conversion is not None
    jpy = CurrencyTerms("jpy", "usd", Decimal("0.0067"))
    assert lines(qbo_fx_entry_from_conversion(conversion, ACCOUNTS, jpy))[0][2] == Decimal(12000)
    assert fx_difference(conversion, Decimal("80.40"), Decimal("80.40")) == 0
    assert qbo_fx_difference_entry(conversion, Decimal(0), ACCOUNTS, USD) is None


def test_the_same_currency_is_no_conversion_and_the_float_rate_is_never_used() -> None:
    assert conversion_from(txn(10_000, rate=None), "ch_1", "usd", 10_000) is None
    wild = conversion_from(txn(10_812, rate=99.0), "ch_1", "eur", 10_000)  # a rate nobody uses
    assert wild is not None and fx_difference(
        wild, Decimal("108.00"), Decimal("108.12")
    ) == Decimal("0.12")


def test_between_two_foreign_currencies_through_the_conversion_account() -> None:
    """GBP 50.00 settled as EUR 58.50 in a USD company: GBP clearing out and the conversion
    account in (QBO: 63.50 USD), EUR clearing in by exactly 58.50 and the conversion account
    out (QBO: 63.18 USD); the 0.32 left on the conversion account is a loss."""
    from shared.domain.mapping_fx import qbo_fx_in_entry_from_conversion

    accounts = FxAccounts(
        source_clearing=Ref(value="21"),
        settled_clearing=Ref(value="22"),
        gain_loss=Ref(value="30"),
        via=Ref(value="40"),
    )
    conversion = conversion_from(txn(5_850, "eur", 1.17), "ch_2", "gbp", 5_000)
    assert conversion is not None
    out = qbo_fx_entry_from_conversion(
        conversion, accounts, CurrencyTerms("gbp", "usd", Decimal("1.27"))
    )
    assert lines(out) == [("40", "Debit", Decimal("50.00")), ("21", "Credit", Decimal("50.00"))]
    eur = CurrencyTerms("eur", "usd", Decimal("1.08"))
    entry_in = qbo_fx_in_entry_from_conversion(conversion, accounts, eur)
    assert entry_in.CurrencyRef is not None and entry_in.PrivateNote == "Stripe fx_in txn_1"
    assert lines(entry_in) == [
        ("22", "Debit", Decimal("58.50")),
        ("40", "Credit", Decimal("58.50")),
    ]
    difference = fx_difference(conversion, Decimal("63.50"), Decimal("63.18"))
    assert difference == Decimal("-0.32")
    diff = qbo_fx_difference_entry(conversion, difference, accounts, USD)
    assert diff is not None
    assert lines(diff) == [("40", "Credit", Decimal("0.32")), ("30", "Debit", Decimal("0.32"))]
