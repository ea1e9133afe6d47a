"""Stripe taxes to QBO tax codes: automatic where unambiguous, from the books file otherwise,
zero-tax lines by their reason, and gaps that say what to configure."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from local_emulator.fakes.qbo import FakeQbo
from shared.adapters.clock import ManualClock
from shared.books_settings import TaxMatch, TaxRateMapping, TaxReasons, TaxSettings
from shared.domain.stripe_tax import StripeTax, StripeTaxRate
from shared.domain.tax_book import TaxBook, tax_book_from_qbo
from shared.domain.tax_mapping import line_code
from shared.errors import TaxMappingGapError

DAY = date(2026, 1, 15)
REASONS = TaxReasons(zero_rated="Z", exempt="E", out_of_scope="Out of scope", no_tax="Out of scope")


def book(profile: str) -> TaxBook:
    fake = FakeQbo(clock=ManualClock(), profile=profile)
    state = fake.state_json()
    return tax_book_from_qbo(state["TaxCode"], state["TaxRate"], state["TaxAgency"])


def rate(rate_id: str, percentage: str, **fields: Any) -> StripeTaxRate:
    return StripeTaxRate(id=rate_id, percentage=Decimal(percentage), **fields)


def tax(rate_id: str, amount: int, taxable: int = 1000, reason: str | None = None) -> StripeTax:
    return StripeTax.model_validate(
        {"amount": amount, "tax_behavior": "exclusive", "taxable_amount": taxable,
         "taxability_reason": reason, "type": "tax_rate_details",
         "tax_rate_details": {"tax_rate": rate_id}}
    )  # fmt: skip


RATES = {
    r.id: r
    for r in (
        rate("txr_gst", "5", country="CA", tax_type="gst"),
        rate("txr_pst_bc", "7", country="CA", state="BC", tax_type="pst"),
        rate("txr_pst_mb", "7", country="CA", state="MB", tax_type="pst"),
        rate("txr_hst_nb", "15", country="CA", state="NB", tax_type="hst"),
        rate("txr_hst_pe", "15", country="CA", state="PE", tax_type="hst"),
        rate("txr_hst_ns", "15", country="CA", state="NS", tax_type="hst"),
        rate("txr_hst_any", "15", country="CA", tax_type="hst", display_name="HST"),
        rate("txr_zero", "0", country="CA", tax_type="gst"),
        rate("txr_vat", "20", country="GB", tax_type="vat"),
        rate("txr_vat_r", "5", country="GB", tax_type="vat"),
        rate("txr_gst_au", "10", country="AU", tax_type="gst"),
    )
}


def code_name(profile: str, taxes: list[StripeTax], settings: TaxSettings | None = None,
              day: date = DAY) -> str:  # fmt: skip
    taxbook = book(profile)
    found = line_code(taxes, RATES, taxbook, settings or TaxSettings(reasons=REASONS), day)
    return found.code.name


def test_rates_match_by_percentage_and_codes_by_their_rates() -> None:
    bc = line_code(
        [tax("txr_gst", 50), tax("txr_pst_bc", 70)], RATES, book("ca"),
        TaxSettings(), DAY,
    )  # fmt: skip
    assert bc.code.name == "GST/PST BC"
    assert [(s.stripe_rate, s.amount, s.taxable) for s in bc.shares] == [
        ("txr_gst", 50, 1000), ("txr_pst_bc", 70, 1000),
    ]  # fmt: skip
    assert [s.percent for s in bc.shares] == [Decimal(5), Decimal(7)]
    assert code_name("ca", [tax("txr_gst", 50)]) == "GST"
    assert code_name("uk", [tax("txr_vat", 200)]) == "20.0% S"
    assert code_name("uk", [tax("txr_vat_r", 50)]) == "5.0% R"
    assert code_name("au", [tax("txr_gst_au", 100)]) == "GST"


def test_several_rates_of_one_percentage_are_told_apart_by_place() -> None:
    assert code_name("ca", [tax("txr_gst", 50), tax("txr_pst_mb", 70)]) == "GST/PST MB"
    assert code_name("ca", [tax("txr_hst_nb", 150)]) == "HST NB"
    assert code_name("ca", [tax("txr_hst_pe", 150)]) == "HST"
    # Nova Scotia's HST was 15 % until 2025-03-31 (14 % since): the date decides
    assert code_name("ca", [tax("txr_hst_ns", 150)], day=date(2025, 3, 31)) == "HST NS"


def test_an_ambiguous_rate_is_a_gap_that_says_what_to_add() -> None:
    with pytest.raises(TaxMappingGapError) as excinfo:
        code_name("ca", [tax("txr_hst_any", 150)])
    message = str(excinfo.value)
    assert "txr_hst_any" in message and "HST NB" in message and "HST NL" in message
    assert '[[tax.rates]] stripe_tax_rate = "txr_hst_any"' in message
    assert excinfo.value.code == "tax_mapping"
    mapped = TaxSettings(
        rates=(TaxRateMapping(stripe_tax_rate="txr_hst_any", qbo_tax_code="HST NL"),)
    )
    assert code_name("ca", [tax("txr_hst_any", 150)], mapped) == "HST NL"


def test_a_match_entry_covers_the_rates_stripe_tax_mints() -> None:
    by_match = TaxSettings(
        rates=(
            TaxRateMapping(
                match=TaxMatch(country="CA", tax_type="hst", percentage=Decimal(15)),
                qbo_tax_code="HST NB",
            ),
        )
    )
    assert code_name("ca", [tax("txr_hst_any", 150)], by_match) == "HST NB"


def test_a_mapped_code_with_several_rates_takes_each_tax_by_percentage() -> None:
    mapped = TaxSettings(
        rates=(TaxRateMapping(stripe_tax_rate="txr_pst_bc", qbo_tax_code="GST/PST BC"),)
    )
    found = line_code([tax("txr_gst", 50), tax("txr_pst_bc", 70)], RATES, book("ca"), mapped, DAY)
    names = [book("ca").rates[s.qbo_rate].name for s in found.shares]
    assert found.code.name == "GST/PST BC" and names == ["GST", "PST BC"]


@pytest.mark.parametrize(
    ("reason", "code"),
    [("zero_rated", "Z"), ("product_exempt", "E"), ("customer_exempt", "E"),
     ("not_collecting", "Out of scope"), (None, "Z")],
)  # fmt: skip
def test_untaxed_lines_take_their_reasons_code(reason: str | None, code: str) -> None:
    assert code_name("ca", [tax("txr_zero", 0, reason=reason)]) == code
    assert code_name("ca", []) == "Out of scope"  # no tax entry at all: no_tax


def test_an_unconfigured_reason_is_a_gap_naming_the_setting() -> None:
    with pytest.raises(TaxMappingGapError, match=r"\[tax.reasons\] reverse_charge"):
        code_name("uk", [tax("txr_vat", 0, reason="reverse_charge")])
    with pytest.raises(TaxMappingGapError, match="no active such code"):
        code_name("uk", [], TaxSettings(reasons=TaxReasons(no_tax="Nonexistent")))


def test_a_zero_part_beside_a_charged_tax_does_not_decide_the_code() -> None:
    taxes = [tax("txr_gst", 50), tax("txr_pst_bc", 0, reason="not_collecting")]
    assert code_name("ca", taxes) == "GST"
