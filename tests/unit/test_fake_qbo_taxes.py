"""Sales tax in the fake QBO, per company profile: the codes each region's company has, what it
refuses (with QBO's Fault bodies), and how QBO computes and keeps tax (fakes/qbo/taxes.py)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from local_emulator.fakes.qbo import FakeQbo, QboFault
from local_emulator.fakes.qbo.company.profile import BUILT_IN, profile_keys
from local_emulator.fakes.qbo.schema.check import check_body
from shared.adapters.clock import ManualClock

JsonDict = dict[str, Any]
D = Decimal
PROFILES = {"us": ("US", "USD"), "us-ast": ("US", "USD"), "ca": ("CA", "CAD"),
            "uk": ("GB", "GBP"), "au": ("AU", "AUD")}  # fmt: skip


def company(profile: str) -> FakeQbo:
    return FakeQbo(clock=ManualClock(), profile=profile)


def named(fake: FakeQbo, entity: str, name: str) -> str:
    (found,) = [d for d in fake.books.all(entity) if name in (d.get("Name"), d.get("DisplayName"))]
    return str(found["Id"])


def setup(fake: FakeQbo) -> tuple[str, str]:
    customer = fake.create("Customer", {"DisplayName": "Customer A"})["Customer"]["Id"]
    income = named(fake, "Account", "Sales")
    item = fake.create("Item", {"Name": "Widget", "IncomeAccountRef": {"value": income}})
    return str(customer), str(item["Item"]["Id"])


def line(item: str, amount: str, code: str | None = None, **detail: Any) -> JsonDict:
    body: JsonDict = {"ItemRef": {"value": item}, **detail}
    if code is not None:
        body["TaxCodeRef"] = {"value": code}
    return {"Amount": D(amount), "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": body}


def tax_line(rate: str, amount: str) -> JsonDict:
    return {"Amount": D(amount), "DetailType": "TaxLineDetail",
            "TaxLineDetail": {"TaxRateRef": {"value": rate}, "PercentBased": True}}  # fmt: skip


def refusal(excinfo: pytest.ExceptionInfo[QboFault]) -> JsonDict:
    return excinfo.value.fault()


CALCULATING = {
    "Error": [{
        "Message": "A business validation error has occurred while processing your request",
        "Detail": "Business Validation Error: We're sorry, QuickBooks encountered an error while "
        "calculating tax. Try reselecting the tax rate or reentering the product/service item "
        "and saving the form again.",
        "code": "6000", "element": "",
    }],
    "type": "ValidationFault",
}  # fmt: skip


def test_every_region_is_a_built_in_profile() -> None:
    from local_emulator.cli.run import COMPANIES

    assert set(BUILT_IN) <= set(profile_keys())
    assert COMPANIES == BUILT_IN  # what --company offers


@pytest.mark.parametrize("profile", BUILT_IN)
def test_each_profile_company_as_qbo_keeps_it(profile: str) -> None:
    fake = company(profile)
    country, home = PROFILES[profile]
    prefs = fake.preferences()["Preferences"]
    assert prefs["CurrencyPrefs"]["HomeCurrency"] == {"value": home}
    assert prefs["TaxPrefs"]["UsingSalesTax"] is True
    # PartnerTaxEnabled: present and true in an automated sales tax company only
    assert prefs["TaxPrefs"].get("PartnerTaxEnabled") is (True if profile == "us-ast" else None)
    assert fake.read("CompanyInfo", fake.realm_id)["CompanyInfo"]["Country"] == country
    state = fake.state_json()
    for entity, documents in state.items():
        for document in documents:
            # QBO's own codes outgrow the XSD's 10 for Name ("Out of scope"); the API can never
            # write a TaxCode, so the maximum never applies to them.
            short = {"Name": str(document.get("Name"))[:10]} if entity == "TaxCode" else {}
            check_body(entity, {**document, **short}, create=False)
    rates = {r["Id"]: r for r in state["TaxRate"]}
    agencies = {a["Id"]: a for a in state["TaxAgency"]}
    accounts = {a["Id"]: a for a in state["Account"]}
    for rate in rates.values():  # every rate's tax lands on its agency's liability account
        agency = agencies[rate["AgencyRef"]["value"]]
        account = accounts[agency["TaxTrackedOnSalesAccountRef"]["value"]]
        assert account["AccountType"] == "Other Current Liability"
        subtype = "SalesTaxPayable" if country == "US" else "GlobalTaxPayable"
        assert account["AccountSubType"] == subtype
    for code in state["TaxCode"]:
        for detail in code["SalesTaxRateList"]["TaxRateDetail"]:
            assert detail["TaxRateRef"]["value"] in rates


@pytest.mark.parametrize(("profile", "word"), [("ca", "GST/HST"), ("uk", "VAT"), ("au", "GST")])
def test_a_line_without_a_tax_code_is_refused_outside_the_us(profile: str, word: str) -> None:
    fake = company(profile)
    customer, item = setup(fake)
    with pytest.raises(QboFault) as excinfo:
        fake.create("Invoice", {"CustomerRef": {"value": customer}, "Line": [line(item, "10")]})
    assert refusal(excinfo) == {
        "Error": [{
            "Message": "A business validation error has occurred while processing your request",
            "Detail": f"Business Validation Error: Make sure all your transactions have a {word} "
            "rate before you save.",
            "code": "6000", "element": "",
        }],
        "type": "ValidationFault",
    }  # fmt: skip
    for entity in ("SalesReceipt", "CreditMemo"):
        with pytest.raises(QboFault):
            fake.create(entity, {"CustomerRef": {"value": customer}, "Line": [line(item, "10")]})


def test_canada_computes_per_line_and_rate_and_books_each_agency() -> None:
    fake = company("ca")
    customer, item = setup(fake)
    bc, on = named(fake, "TaxCode", "GST/PST BC"), named(fake, "TaxCode", "HST ON")
    body = {
        "CustomerRef": {"value": customer},
        "TxnDate": "2026-01-10",
        "Line": [line(item, "10.05", bc), line(item, "10.05", bc), line(item, "3.33", on)],
    }
    invoice = fake.create("Invoice", body)["Invoice"]
    taxes = {
        t["TaxLineDetail"]["TaxRateRef"]["value"]: t for t in invoice["TxnTaxDetail"]["TaxLine"]
    }
    gst, pst, hst = (named(fake, "TaxRate", n) for n in ("GST", "PST BC", "HST ON"))
    # per line: GST 0.5025 -> 0.50 twice (the document's 1.005 would round to 1.01), PST 0.70
    assert taxes[gst]["Amount"] == D("1.00") and taxes[gst]["TaxLineDetail"][
        "NetAmountTaxable"
    ] == D("20.10")
    assert taxes[pst]["Amount"] == D("1.40")
    assert taxes[hst]["Amount"] == D("0.43")
    assert invoice["TxnTaxDetail"]["TotalTax"] == D("2.83")
    assert invoice["TotalAmt"] == D("26.26")
    balances = fake.home_balances()
    assert balances["GST/HST Payable"] == D("1.43") and balances["PST Payable (BC)"] == D("1.40")
    assert fake.books.trial_balance() == 0


def test_a_supplied_tax_line_is_kept_and_its_difference_recorded() -> None:
    """9.975 % of 4495.16 is 448.39 to QBO on one line; the seller's 448.40 is kept."""
    fake = company("ca")
    customer, item = setup(fake)
    qc = named(fake, "TaxCode", "QST QC")
    qst = named(fake, "TaxRate", "QST")
    body = {
        "CustomerRef": {"value": customer},
        "Line": [line(item, "4495.16", qc)],
        "TxnTaxDetail": {"TotalTax": D("448.40"), "TaxLine": [tax_line(qst, "448.40")]},
    }
    invoice = fake.create("Invoice", body)["Invoice"]
    (kept,) = invoice["TxnTaxDetail"]["TaxLine"]
    assert kept["Amount"] == D("448.40")
    assert kept["TaxLineDetail"]["OverrideDeltaAmount"] == D("0.01")
    assert invoice["TotalAmt"] == D("4943.56")
    del body["TxnTaxDetail"]
    assert fake.create("Invoice", body)["Invoice"]["TotalAmt"] == D("4943.55")


@pytest.mark.parametrize(
    "tax_detail",
    [
        {"TotalTax": D("1.00"), "TaxLine": [{"rate": "GST", "amount": "0.50"}]},  # not the sum
        {"TaxLine": [{"rate": "PST BC", "amount": "0.70"}]},  # no line's code has it
        {"TaxLine": [{"rate": "GST", "amount": "0.50"}, {"rate": "GST", "amount": "0.50"}]},
    ],
)
def test_an_inconsistent_tax_detail_is_refused(tax_detail: JsonDict) -> None:
    fake = company("ca")
    customer, item = setup(fake)
    lines = [
        tax_line(named(fake, "TaxRate", t["rate"]), t["amount"]) for t in tax_detail["TaxLine"]
    ]
    detail = {**tax_detail, "TaxLine": lines}
    body = {
        "CustomerRef": {"value": customer},
        "Line": [line(item, "10", named(fake, "TaxCode", "GST"))],
        "TxnTaxDetail": detail,
    }
    with pytest.raises(QboFault) as excinfo:
        fake.create("Invoice", body)
    assert refusal(excinfo) == CALCULATING


def test_a_tax_line_without_its_detail_type_is_refused() -> None:
    fake = company("uk")
    customer, item = setup(fake)
    standard = named(fake, "TaxCode", "20.0% S")
    bad = {"Amount": D("2"), "TaxLineDetail": {"TaxRateRef": {"value": "1"}}}
    body = {
        "CustomerRef": {"value": customer},
        "Line": [line(item, "10", standard)],
        "TxnTaxDetail": {"TaxLine": [bad]},
    }
    with pytest.raises(QboFault) as excinfo:
        fake.create("Invoice", body)
    assert excinfo.value.code == "2020"


def test_inclusive_prices_keep_the_net_amount_and_the_gross_beside_it() -> None:
    fake = company("uk")
    customer, item = setup(fake)
    standard = named(fake, "TaxCode", "20.0% S")
    good = line(item, "8.33", standard, TaxInclusiveAmt=D("10.00"))
    body = {
        "CustomerRef": {"value": customer},
        "GlobalTaxCalculation": "TaxInclusive",
        "Line": [good],
    }
    receipt = fake.create("SalesReceipt", body)["SalesReceipt"]
    assert receipt["TxnTaxDetail"]["TotalTax"] == D("1.67") and receipt["TotalAmt"] == D("10.00")
    body["Line"] = [line(item, "8.33", standard, TaxInclusiveAmt=D("10.50"))]
    with pytest.raises(QboFault) as excinfo:
        fake.create("SalesReceipt", body)
    assert refusal(excinfo) == CALCULATING


def test_a_rate_that_changed_applies_by_the_transaction_date() -> None:
    fake = company("ca")
    customer, item = setup(fake)
    ns = named(fake, "TaxCode", "HST NS")
    for day, tax in (("2025-03-31", "15.00"), ("2025-04-01", "14.00")):
        body = {"CustomerRef": {"value": customer}, "TxnDate": day, "Line": [line(item, "100", ns)]}
        assert fake.create("Invoice", body)["Invoice"]["TxnTaxDetail"]["TotalTax"] == D(tax)


def test_zero_rated_and_exempt_codes_carry_zero_tax_lines() -> None:
    fake = company("ca")
    customer, item = setup(fake)
    lines = [line(item, "10", named(fake, "TaxCode", c)) for c in ("Z", "E", "Out of scope")]
    invoice = fake.create("Invoice", {"CustomerRef": {"value": customer}, "Line": lines})["Invoice"]
    assert [t["Amount"] for t in invoice["TxnTaxDetail"]["TaxLine"]] == [D("0.00")] * 3
    assert invoice["TotalAmt"] == D("30")


def test_a_discount_line_with_tax_codes_is_refused_by_the_fake() -> None:
    fake = company("au")
    customer, item = setup(fake)
    gst = named(fake, "TaxCode", "GST")
    discount = {"Amount": D("1"), "DetailType": "DiscountLineDetail",
                "DiscountLineDetail": {"PercentBased": False}}  # fmt: skip
    body = {"CustomerRef": {"value": customer}, "Line": [line(item, "10", gst), discount]}
    with pytest.raises(QboFault):
        fake.create("Invoice", body)
    negative = line(item, "-1", gst)  # the sync's form: a negative line with the code
    body["Line"] = [line(item, "10", gst), negative]
    assert fake.create("Invoice", body)["Invoice"]["TotalAmt"] == D("9.90")


def test_us_manual_tax_is_on_the_documents_code_rounded_per_document() -> None:
    fake = company("us")
    customer, item = setup(fake)
    body = {
        "CustomerRef": {"value": customer},
        "TxnTaxDetail": {"TxnTaxCodeRef": {"value": "2"}},
        "Line": [line(item, "10.05", "TAX"), line(item, "10.05", "TAX"), line(item, "5")],
    }
    invoice = fake.create("Invoice", body)["Invoice"]
    assert invoice["TxnTaxDetail"]["TotalTax"] == D("1.61")  # 8 % of 20.10 = 1.608
    assert invoice["Line"][2]["SalesItemLineDetail"]["TaxCodeRef"] == {"value": "NON"}
    assert fake.home_balances()["Sales Tax Payable"] == D("1.61")
    body = {"CustomerRef": {"value": customer}, "Line": [line(item, "10", "GST")]}
    with pytest.raises(QboFault) as excinfo:  # a US line says TAX or NON
        fake.create("Invoice", body)
    assert excinfo.value.code == "2500"
    body = {
        "CustomerRef": {"value": customer},
        "Line": [line(item, "10", "TAX")],
        "TxnTaxDetail": {"TotalTax": D("0.80")},
    }
    with pytest.raises(QboFault) as excinfo:  # tax without a code to record it under
        fake.create("Invoice", body)
    assert refusal(excinfo) == CALCULATING


def test_automated_sales_tax_computes_its_own_unless_the_app_overrides() -> None:
    fake = company("us-ast")
    customer, item = setup(fake)
    body: JsonDict = {"CustomerRef": {"value": customer},
                      "Line": [line(item, "100"), line(item, "50", "NON")]}  # fmt: skip
    computed = fake.create("Invoice", body)["Invoice"]
    assert computed["Line"][0]["SalesItemLineDetail"]["TaxCodeRef"] == {"value": "TAX"}
    assert computed["TxnTaxDetail"]["TxnTaxCodeRef"] == {"value": "3"}  # the company address's
    assert computed["TxnTaxDetail"]["TotalTax"] == D("8.25")
    body["TxnTaxDetail"] = {"TotalTax": D("7.25"), "UseAutomatedSalesTax": False}
    kept = fake.create("Invoice", body)["Invoice"]
    assert kept["TxnTaxDetail"]["TotalTax"] == D("7.25") and kept["TotalAmt"] == D("157.25")
    assert sum(t["Amount"] for t in kept["TxnTaxDetail"]["TaxLine"]) == D("7.25")
    fake.books.partner_tax_override = False  # the company does not let apps override
    recomputed = fake.create("Invoice", body)["Invoice"]
    assert recomputed["TotalAmt"] == D("158.25")


def test_classes_and_locations_only_where_the_company_tracks_them() -> None:
    fake = company("us")
    customer, item = setup(fake)
    services, west = named(fake, "Class", "Services"), named(fake, "Department", "West")
    body = {
        "CustomerRef": {"value": customer},
        "DepartmentRef": {"value": west},
        "Line": [line(item, "10", ClassRef={"value": services})],
    }
    invoice = fake.create("Invoice", body)["Invoice"]
    assert invoice["Line"][0]["SalesItemLineDetail"]["ClassRef"] == {"value": services}
    with pytest.raises(QboFault) as excinfo:
        fake.create("Invoice", {**body, "ClassRef": {"value": services}})  # per line only
    assert excinfo.value.code == "6000"
    body["Line"] = [line(item, "10", ClassRef={"value": "999"})]
    with pytest.raises(QboFault) as excinfo:
        fake.create("Invoice", body)
    assert excinfo.value.code == "2500"
    uk = company("uk")
    customer, item = setup(uk)
    standard = named(uk, "TaxCode", "20.0% S")
    body = {
        "CustomerRef": {"value": customer},
        "DepartmentRef": {"value": "1"},
        "Line": [line(item, "10", standard)],
    }
    with pytest.raises(QboFault):
        uk.create("Invoice", body)


def test_tax_codes_rates_and_agencies_are_read_only() -> None:
    fake = company("ca")
    for entity, body in (("TaxCode", {"Name": "X"}), ("TaxRate", {"Name": "X", "RateValue": 1}),
                         ("TaxAgency", {"DisplayName": "X"})):  # fmt: skip
        with pytest.raises(QboFault) as excinfo:
            fake.create(entity, body)
        assert excinfo.value.code == "500"
