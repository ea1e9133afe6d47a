"""The sync reads the QBO company it writes to: home currency, tax model, tracking and tax
setup come from the company's Preferences, CompanyInfo and tax entities, never from settings."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from local_emulator.fakes.qbo import FakeQbo
from local_emulator.fakes.qbo.gateway import InMemoryQboGateway
from shared.adapters.clock import ManualClock
from shared.domain.company import company_from_qbo
from shared.errors import MappingGapError
from shared.services.company import CompanyReader

EXPECTED = {
    "us": ("US", "usd", "us", True),
    "us-ast": ("US", "usd", "us-ast", False),
    "ca": ("CA", "cad", "global", True),
    "uk": ("GB", "gbp", "global", False),
    "au": ("AU", "aud", "global", False),
}


@pytest.mark.parametrize("profile", sorted(EXPECTED))
def test_the_company_as_qbo_describes_it(profile: str) -> None:
    fake = FakeQbo(clock=ManualClock(), profile=profile)
    reader = CompanyReader(InMemoryQboGateway(fake))
    company = reader.company()
    country, home, model, tracks = EXPECTED[profile]
    assert (company.country, company.home_currency, company.tax_model) == (country, home, model)
    assert company.class_per_line is tracks and company.departments is tracks
    assert company.auto_apply_credit is False  # the fake's companies, as the README advises
    book = reader.tax_book()
    assert {c.id for c in book.codes} == {str(c["Id"]) for c in fake.books.all("TaxCode")}
    if profile == "ca":
        bc = book.code("gst/pst bc")
        assert bc is not None
        assert [book.rates[r].name for r in bc.sales_rates] == ["GST", "PST BC"]
        assert book.rates[bc.sales_rates[0]].agency == "Canada Revenue Agency"
        hst_ns = book.rates[book.code("HST NS").sales_rates[0]]  # type: ignore[union-attr]
        assert hst_ns.percent_on(date(2025, 3, 31)) == Decimal(15)
        assert hst_ns.percent_on(date(2026, 1, 1)) == Decimal(14)


def test_tax_models_from_preferences() -> None:
    info = {"Country": "US"}

    def model(tax: dict[str, object], country: str = "US") -> str:
        prefs = {"CurrencyPrefs": {"HomeCurrency": {"value": "USD"}}, "TaxPrefs": tax}
        return company_from_qbo(prefs, {**info, "Country": country}).tax_model

    assert model({"UsingSalesTax": True}) == "us"
    assert model({"UsingSalesTax": True, "PartnerTaxEnabled": True}) == "us-ast"
    # automated sales tax on, but no sales tax set up: nothing for QBO to compute
    assert model({"UsingSalesTax": False, "PartnerTaxEnabled": False}) == "us"
    assert model({"UsingSalesTax": True}, "GB") == "global"
    assert model({"UsingSalesTax": False}, "GB") == "us"  # no codes wanted there
    with pytest.raises(MappingGapError, match="home currency"):
        company_from_qbo({}, info)


def test_read_once_then_again_after_its_time() -> None:
    clock = ManualClock()
    fake = FakeQbo(clock=clock, profile="uk")
    gateway = InMemoryQboGateway(fake)
    reader = CompanyReader(gateway, clock, ttl=timedelta(minutes=10))
    reader.company()
    reader.tax_book()
    before = fake.request_counts()
    reader.company()
    reader.tax_book()
    assert fake.request_counts() == before  # cached
    reader.tax_book(fresh=True)  # before a mapping gap is reported: read again now
    assert fake.request_counts()["query"] == before["query"] + 3
    clock.advance(601)
    reader.company()
    assert fake.request_counts()["query"] == before["query"] + 4
