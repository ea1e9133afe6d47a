"""Generated tax per company profile: Stripe's arithmetic (exclusive on top, inclusive inside,
zero entries with their reason), totals that add up, rates that exist, scenario files current."""

from __future__ import annotations

from pathlib import Path

import pytest

from local_emulator.generator import generate_month
from local_emulator.generator.invoices import line_taxes
from local_emulator.generator.taxes import CATALOG, HOME_CURRENCY, TaxCatalog, TaxSpec
from local_emulator.scenarios import tax_build


def spec(company: str, key: str, reason: str = "standard_rated") -> TaxSpec:
    return TaxSpec(TaxCatalog(company, "t", 0).rates[key], reason)


def test_exclusive_tax_goes_on_top_and_inclusive_tax_is_inside() -> None:
    (gst, pst) = line_taxes(10_000, (spec("ca", "ca_gst"), spec("ca", "ca_pst_bc")))
    assert (gst["amount"], pst["amount"], gst["taxable_amount"]) == (500, 700, 10_000)
    (inside,) = line_taxes(11_000, (spec("au", "au_gst_incl"),))
    assert (inside["amount"], inside["taxable_amount"]) == (1_000, 10_000)
    assert inside["tax_behavior"] == "inclusive"
    (zero,) = line_taxes(5_000, (spec("uk", "uk_zero", "reverse_charge"),))
    assert (zero["amount"], zero["taxability_reason"]) == (0, "reverse_charge")


@pytest.mark.parametrize("company", sorted(CATALOG))
def test_a_company_month_adds_up_and_names_rates_that_exist(company: str) -> None:
    lines = generate_month(
        2, customers=4, invoices=15, currencies=(HOME_CURRENCY[company],), company=company
    )
    rates = {x["id"] for x in lines if x.get("object") == "tax_rate"}
    invoices = {
        e["data"]["object"]["id"]: e["data"]["object"]
        for e in lines
        if e.get("object") == "event" and e["data"]["object"].get("object") == "invoice"
    }
    assert invoices
    for invoice in invoices.values():
        assert invoice["currency"] == HOME_CURRENCY[company]
        taxes = [t for line in invoice["lines"]["data"] for t in line["taxes"]]
        assert {t["tax_rate_details"]["tax_rate"] for t in taxes} <= rates
        on_top = sum(t["amount"] for t in taxes if t["tax_behavior"] == "exclusive")
        shipping = invoice["shipping_cost"] or {"amount_total": 0}
        pretax = sum(c["amount"] for c in invoice["total_pretax_credit_amounts"])
        assert invoice["total"] == (
            invoice["subtotal"] - pretax + on_top + shipping["amount_total"]
        ), invoice["id"]


def test_the_tax_scenarios_are_up_to_date(tmp_path: Path) -> None:
    assert tax_build.main([str(tmp_path)]) == 0
    for company in tax_build.PROFILES:
        name = f"{company}.jsonl"
        committed = tax_build.HERE / name
        assert committed.read_bytes() == (tmp_path / name).read_bytes(), f"rebuild {name}"
