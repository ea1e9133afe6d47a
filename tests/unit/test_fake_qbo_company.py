"""What a sync reads from a real company: Preferences in full, CompanyInfo, tax codes, rates and
agencies, payment methods, terms, classes, departments and exchange rates, from a profile."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from local_emulator.fakes.qbo import FakeQbo, QboFault
from local_emulator.fakes.qbo.company.profile import (
    company_profile,
    profile_keys,
    register_profile,
)
from local_emulator.fakes.qbo.schema.check import check_body
from shared.adapters.clock import ManualClock

REALM = "9130350000000001"


@pytest.fixture
def fake() -> FakeQbo:
    return FakeQbo(REALM, clock=ManualClock())


def rows(fake: FakeQbo, statement: str) -> list[dict[str, object]]:
    answer = fake.query(statement)["QueryResponse"]
    found = [v for k, v in answer.items() if isinstance(v, list)]
    return list(found[0]) if found else []


def test_every_seeded_document_has_the_xsd_shape(fake: FakeQbo) -> None:
    """As QBO itself would write them: every element known, every value of its type."""
    for entity, documents in fake.state_json().items():
        for document in documents:
            check_body(entity, document, create=False)


def test_preferences_in_full(fake: FakeQbo) -> None:
    prefs = fake.preferences()["Preferences"]
    assert set(prefs) >= {
        "AccountingInfoPrefs", "ProductAndServicesPrefs", "SalesFormsPrefs",
        "EmailMessagesPrefs", "VendorAndPurchasesPrefs", "TimeTrackingPrefs", "TaxPrefs",
        "CurrencyPrefs", "ReportPrefs", "OtherPrefs", "Id", "SyncToken", "MetaData",
    }  # fmt: skip
    assert prefs["CurrencyPrefs"] == {
        "MultiCurrencyEnabled": True,
        "HomeCurrency": {"value": "USD"},
    }
    # on in a new real company; off in the fake's, as the README recommends (autoapply.py)
    assert prefs["SalesFormsPrefs"]["AutoApplyCredit"] is False
    net_30 = rows(fake, "select * from Term where Name = 'Net 30'")[0]
    assert prefs["SalesFormsPrefs"]["DefaultTerms"] == {"value": net_30["Id"]}
    assert rows(fake, "select * from Preferences") == [prefs]


def test_preferences_are_updated_never_created(fake: FakeQbo) -> None:
    prefs = fake.preferences()["Preferences"]
    sparse = {
        "Id": "1", "SyncToken": prefs["SyncToken"], "sparse": True,
        "SalesFormsPrefs": {**prefs["SalesFormsPrefs"], "AutoApplyCredit": True},
    }  # fmt: skip
    updated = fake.update("Preferences", sparse)["Preferences"]
    assert updated["SalesFormsPrefs"]["AutoApplyCredit"] is True
    assert fake.books.auto_apply_credit  # the company now applies credits by itself
    assert updated["SyncToken"] == "1"
    with pytest.raises(QboFault) as excinfo:
        fake.create("Preferences", {"TaxPrefs": {"UsingSalesTax": False}})
    assert excinfo.value.code == "500"
    home = {"Id": "1", "SyncToken": "1", "sparse": True,
            "CurrencyPrefs": {"HomeCurrency": {"value": "EUR"}}}  # fmt: skip
    with pytest.raises(QboFault) as excinfo:
        fake.update("Preferences", home)
    assert excinfo.value.code == "6000"


def test_company_info_by_realm_and_by_query(fake: FakeQbo) -> None:
    info = fake.read("CompanyInfo", REALM)["CompanyInfo"]
    assert info["Id"] == "1" and info["Country"] == "US"
    assert info["CompanyName"] and info["FiscalYearStartMonth"] == "January"
    assert rows(fake, "select * from CompanyInfo") == [info]


def test_tax_codes_rates_and_agencies(fake: FakeQbo) -> None:
    codes = {str(c["Id"]): c for c in rows(fake, "select * from TaxCode")}
    assert {"TAX", "NON"} <= set(codes)  # a US company's pseudo codes (real Invoice lines)
    assert codes["NON"]["Taxable"] is False
    group = next(c for c in codes.values() if c.get("TaxGroup"))
    rate_ref = group["SalesTaxRateList"]["TaxRateDetail"][0]["TaxRateRef"]  # type: ignore[index]
    rate = fake.read("TaxRate", rate_ref["value"])["TaxRate"]
    assert rate["RateValue"] == 8
    agency = fake.read("TaxAgency", rate["AgencyRef"]["value"])["TaxAgency"]
    assert agency["DisplayName"]
    with pytest.raises(QboFault) as excinfo:
        fake.create("TaxCode", {"Name": "Mine"})
    assert excinfo.value.code == "500"


def test_name_lists(fake: FakeQbo) -> None:
    methods = rows(fake, "select * from PaymentMethod")
    assert {m["Type"] for m in methods} == {"CREDIT_CARD", "NON_CREDIT_CARD"}
    assert [t["Name"] for t in rows(fake, "select * from Term orderby DueDays")][:2] == [
        "Due on receipt",
        "Net 15",
    ]
    # the us profile tracks classes per line and locations (Services, Products; East, West)
    assert [c["Name"] for c in rows(fake, "select * from Class")] == ["Services", "Products"]
    created = fake.create("Department", {"Name": "North"})["Department"]
    assert created["FullyQualifiedName"] == "North"
    assert rows(fake, "select * from Department")[-1] == created
    assert (
        FakeQbo(REALM, clock=ManualClock(), profile="uk").query("select * from Class")[
            "QueryResponse"
        ]
        == {}
    )  # none in a company that does not track classes


def test_exchange_rate_queries(fake: FakeQbo) -> None:
    fake.set_exchange_rate("EUR", Decimal("1.10"), "2026-01-15")
    (eur,) = rows(
        fake,
        "select * from ExchangeRate where SourceCurrencyCode = 'EUR' and AsOfDate = '2026-01-15'",
    )
    assert (eur["Rate"], eur["TargetCurrencyCode"], eur["AsOfDate"]) == (
        Decimal("1.10"),
        "USD",
        "2026-01-15",
    )
    every = rows(fake, "select * from ExchangeRate")
    assert "USD" not in {r["SourceCurrencyCode"] for r in every} and len(every) > 3


def test_a_profile_replaces_the_reference_data() -> None:
    """The tax work adds profiles (us-ast, ca, uk, au) the same way."""
    base = company_profile("us")
    register_profile(
        "test-gb",
        lambda: replace(
            base, key="test-gb", country="GB", home_currency="GBP", tax_codes=(),
            preferences={"TaxPrefs": {"UsingSalesTax": True, "PartnerTaxEnabled": True}},
        ),
    )  # fmt: skip
    assert "test-gb" in profile_keys()
    fake = FakeQbo(clock=ManualClock(), profile="test-gb")
    prefs = fake.preferences()["Preferences"]
    assert prefs["CurrencyPrefs"]["HomeCurrency"] == {"value": "GBP"}
    assert prefs["TaxPrefs"]["PartnerTaxEnabled"] is True
    assert fake.books.home == "GBP"
    assert "TaxCode" not in fake.state_json()
    with pytest.raises(ValueError, match="unknown company profile"):
        company_profile("nowhere")


def test_a_newer_company_names_undeposited_funds_payments_to_deposit(fake: FakeQbo) -> None:
    (account,) = rows(fake, "select * from Account where AccountType = 'Other Current Asset'")
    assert (account["Name"], account["AccountSubType"]) == (
        "Payments to deposit",
        "UndepositedFunds",
    )
