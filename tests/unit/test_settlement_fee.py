"""Fee, credit and tax arithmetic of settlements, and the validation of ledger rows."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from shared.domain.settlement import (
    MAX_CREDITS_PER_INVOICE,
    OpenCredit,
    SettlementRejectedError,
    contributions_from_json,
    credit_applications_from_open_credits,
    fee_from_settlement,
    invoice_plan_from_settlement,
    settlement_from_row,
    tax_from_amount,
    uplift_from_settlement,
)
from shared.domain.settlement_invoice import (
    idempotency_key,
    invoice_item_params_from_plan,
    invoice_params_from_plan,
    invoice_plan_from_metadata,
    metadata_from_invoice_plan,
    money_text,
    rate_text,
)
from tests.functional.settlement_fakes import TAX_RATES, settlement_row


def settle(**overrides: object) -> object:
    return settlement_from_row(settlement_row("set_1", **overrides))


def credit(credit_id: str, amount: str, currency: str = "usd") -> OpenCredit:
    return OpenCredit(credit_id, "rollback", currency, Decimal(amount))


def revenue(baseline: str, actual: str) -> dict[str, Decimal]:
    return {
        "baseline_revenue": Decimal(baseline),
        "actual_revenue": Decimal(actual),
        "incremental_revenue": Decimal(actual) - Decimal(baseline),
    }


# --- the fee ---------------------------------------------------------------------------------


def test_fee_is_rate_times_incremental() -> None:
    s = settlement_from_row(settlement_row("s"))
    assert fee_from_settlement(s) == Decimal("2000.00")


@pytest.mark.parametrize(
    ("incremental", "rate", "currency", "fee"),
    [
        ("100.025", "1", "usd", "100.03"),  # half rounds up
        ("0.125", "0.2", "usd", "0.03"),  # 0.025 -> 0.03
        ("0.115", "0.2", "usd", "0.02"),  # 0.023 -> 0.02
        ("1234567", "0.15", "jpy", "185185"),  # 185185.05: zero-decimal currency
        ("1234563", "0.15", "jpy", "185184"),  # 185184.45 rounds down
        ("100", "0.1235", "jpy", "12"),  # 12.35 -> 12
        ("1000.005", "0.5", "kwd", "500.003"),  # three decimals: 500.0025 -> 500.003
        ("33.33", "0.333333333", "eur", "11.11"),
    ],
)
def test_fee_rounds_half_up_to_the_minor_unit(
    incremental: str, rate: str, currency: str, fee: str
) -> None:
    s = settle(
        **revenue("1000", str(Decimal("1000") + Decimal(incremental))),
        fee_rate=Decimal(rate),
        currency=currency,
    )
    assert fee_from_settlement(s) == Decimal(fee)
    assert str(fee_from_settlement(s)) == fee


@pytest.mark.parametrize(("baseline", "actual"), [("500", "500"), ("500", "400.01")])
def test_no_increase_means_no_fee_and_no_plan(baseline: str, actual: str) -> None:
    s = settle(**revenue(baseline, actual))
    assert fee_from_settlement(s) == 0
    assert invoice_plan_from_settlement(s, [credit("c", "10")], TAX_RATES) is None


def test_a_fee_that_rounds_to_zero_gives_no_plan() -> None:
    s = settle(**revenue("100", "100.02"), fee_rate=Decimal("0.2"))  # 0.004
    assert invoice_plan_from_settlement(s, [], TAX_RATES) is None


def test_uplift_is_incremental_over_baseline_and_absent_without_baseline() -> None:
    assert uplift_from_settlement(settle(**revenue("30000", "40000"))) == Decimal("33.33")
    assert uplift_from_settlement(settle(**revenue("0", "10"))) is None


# --- credits ---------------------------------------------------------------------------------


def test_credits_apply_oldest_first_up_to_the_fee() -> None:
    applied = credit_applications_from_open_credits(
        [credit("c1", "300"), credit("c2", "500"), credit("c3", "100")], 70000, "usd"
    )
    assert [(a.credit_id, a.amount_minor) for a in applied] == [("c1", 30000), ("c2", 40000)]


def test_a_credit_larger_than_the_fee_applies_partly() -> None:
    s = settle()  # fee 2,000.00
    plan = invoice_plan_from_settlement(s, [credit("big", "5000.00")], TAX_RATES)
    assert plan is not None
    assert [(c.credit_id, c.amount_minor) for c in plan.credits] == [("big", 200000)]
    assert plan.subtotal_minor == 0
    assert plan.tax_minor == 0
    assert plan.total_minor == 0


def test_credits_in_another_currency_or_finer_than_a_cent_are_safe() -> None:
    applied = credit_applications_from_open_credits(
        [credit("eur", "10", "eur"), credit("fine", "1.009")], 100000, "usd"
    )
    assert [(a.credit_id, a.amount_minor) for a in applied] == [("fine", 100)]  # floor, not 101


def test_zero_decimal_credit() -> None:
    applied = credit_applications_from_open_credits([credit("j", "1500", "JPY")], 1000, "jpy")
    assert [(a.credit_id, a.amount_minor) for a in applied] == [("j", 1000)]


def test_at_most_the_credits_an_invoice_can_show() -> None:
    many = [credit(f"c{i}", "1") for i in range(MAX_CREDITS_PER_INVOICE + 3)]
    assert len(credit_applications_from_open_credits(many, 10**9, "usd")) == (
        MAX_CREDITS_PER_INVOICE
    )


# --- tax and total ---------------------------------------------------------------------------


def test_tax_is_on_fee_minus_credits_rounded_half_up() -> None:
    s = settle()  # fee 2,000.00
    plan = invoice_plan_from_settlement(s, [credit("c1", "123.45")], TAX_RATES)
    assert plan is not None
    assert plan.fee_minor == 200000
    assert plan.credit_minor == 12345
    # (2000.00 - 123.45) * 0.0725 = 136.049875 -> 136.05
    assert plan.tax_minor == 13605
    assert plan.total_minor == 200000 - 12345 + 13605


@pytest.mark.parametrize(
    ("amount_minor", "rate", "currency", "tax"),
    [
        (1000, "0.0725", "usd", 73),  # 0.725 -> 0.73
        (999, "0.0725", "usd", 72),  # 0.724275 -> 0.72
        (185185, "0.10", "jpy", 18519),  # 18518.5 -> 18519
        (1000, "0", "usd", 0),
        (1, "0.2", "kwd", 0),  # 0.0002 -> 0.000
    ],
)
def test_tax_rounding(amount_minor: int, rate: str, currency: str, tax: int) -> None:
    assert tax_from_amount(amount_minor, Decimal(rate), currency) == tax


def test_unknown_jurisdiction_is_rejected() -> None:
    s = settle(tax_jurisdiction="XX-NOWHERE")
    with pytest.raises(SettlementRejectedError) as info:
        invoice_plan_from_settlement(s, [], TAX_RATES)
    assert info.value.code == "unknown_tax_jurisdiction"


def test_jurisdiction_keys_ignore_case() -> None:
    plan = invoice_plan_from_settlement(settle(tax_jurisdiction="gb"), [], TAX_RATES)
    assert plan is not None
    assert plan.tax_rate == Decimal("0.20")


# --- bad rows --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"fee_rate": Decimal("-0.1")}, "negative_fee_rate"),
        ({"fee_rate": Decimal("1.5")}, "fee_rate_above_one"),
        ({"fee_rate": None}, "bad_fee_rate"),
        ({"fee_rate": 0.2}, "bad_fee_rate"),  # a float is never money
        ({"currency": "zzz"}, "unknown_currency"),
        ({"currency": "dollars"}, "unknown_currency"),
        ({"currency": None}, "unknown_currency"),
        ({"customer_id": None}, "missing_customer"),
        ({"customer_id": "  "}, "missing_customer"),
        ({"status": "OPEN"}, "not_completed"),
        ({"incremental_revenue": Decimal("1")}, "incremental_mismatch"),
        ({"contributions": "{not json"}, "bad_contributions"),
        ({"period_start": "2026-02-01"}, "bad_period"),
        ({"completed_at": None}, "bad_completed_at"),
        ({"actual_revenue": "NaN"}, "bad_actual_revenue"),
    ],
)
def test_bad_rows_are_rejected_with_a_reason(overrides: dict[str, object], code: str) -> None:
    with pytest.raises(SettlementRejectedError) as info:
        settlement_from_row(settlement_row("bad", **overrides))
    assert info.value.code == code


def test_a_good_row_is_normalized() -> None:
    s = settlement_from_row(settlement_row("s", currency="USD", tax_jurisdiction="us-ca"))
    assert (s.currency, s.tax_jurisdiction) == ("usd", "US-CA")
    assert [c.source for c in s.contributions] == ["Paid search", "Email"]


def test_contributions_accept_objects_lists_and_parsed_json() -> None:
    as_list = json.dumps([{"source": "SEO", "amount": 12.5}])
    assert contributions_from_json(as_list)[0].amount == Decimal("12.5")
    assert contributions_from_json({"SEO": Decimal("3")})[0].amount == Decimal(3)
    assert contributions_from_json(None) == ()


# --- the Stripe invoice ----------------------------------------------------------------------


def test_plan_survives_the_round_trip_through_metadata() -> None:
    s = settle()
    plan = invoice_plan_from_settlement(s, [credit("c1", "10"), credit("c2", "5")], TAX_RATES)
    assert plan is not None
    metadata = metadata_from_invoice_plan(plan)
    assert all(len(k) <= 40 and len(v) <= 500 for k, v in metadata.items())
    assert invoice_plan_from_metadata(metadata, "USD") == plan


def test_invoice_params_carry_terms_custom_fields_and_metadata() -> None:
    s = settle()
    plan = invoice_plan_from_settlement(s, [credit("c1", "10")], TAX_RATES)
    assert plan is not None
    params = invoice_params_from_plan(s, plan)
    assert params["collection_method"] == "send_invoice"
    assert params["days_until_due"] == 30
    assert params["metadata"]["settlement_id"] == "set_1"
    fields = {f["name"]: f["value"] for f in params["custom_fields"]}
    assert fields["Incremental revenue"] == "USD 10,000.00"
    assert fields["Uplift"] == "20.00%"
    assert len(params["custom_fields"]) <= 4
    items = invoice_item_params_from_plan(s, plan, "in_1")
    assert [i["amount"] for i in items] == [200000, -1000, 14428]
    assert sum(i["amount"] for i in items) == plan.total_minor
    assert [i["metadata"]["settlement_line"] for i in items] == ["0", "1", "2"]
    assert idempotency_key("set_1", "item:2") == "settlement:set_1:item:2"


def test_money_and_rate_text() -> None:
    assert money_text(123456789, "usd") == "USD 1,234,567.89"
    assert money_text(-500, "jpy") == "-JPY 500"
    assert money_text(1234, "kwd") == "KWD 1.234"
    assert rate_text(Decimal("0.0725")) == "7.25%"
    assert rate_text(Decimal("0.20")) == "20%"
