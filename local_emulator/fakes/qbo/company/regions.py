"""The other regions' companies: us-ast (automated sales tax), ca (GST/HST/PST/QST), uk (VAT),
au (GST), with the tax agencies, rates and codes QBO sets up for them.

Sources, by element (UNCONFIRMED marks what no vendor artifact shows):
- Code names: Canada, QuickBooks community "Common sales tax codes" (Z, E, Out of scope, GST,
  GST/PST BC, PST BC, GST/PST MB, PST MB, HST ON, HST NB, HST NL, HST NS, HST (PEI), GST/QST QC,
  QST QC, GST/PST SK, PST SK); UK, QuickBooks UK help "QuickBooks VAT codes" (20.0% S, 5.0% R,
  0.0% Z, Exempt, No VAT); Australia, QuickBooks AU help on domestic sales tax codes (GST, GST
  free, Input taxed, Out of Scope). A CA zero-rated code references rate "GST/HST ZR"
  (ruckus/quickbooks-ruby#529); rates made through TaxService are named "<name> (Sales)"
  (ruckus/quickbooks-ruby#322).
- Rates are provincial and national law, not QBO facts: GST 5 %, HST ON 13 %, NB/NL/PE 15 %,
  NS 14 % since 2025-04-01 (15 % before: EffectiveTaxRate keeps the history), PST BC 7 %,
  MB 7 %, SK 6 %, QST 9.975 %; UK VAT 20 % / 5 % / 0 %; AU GST 10 %.
- Agency names and liability account names: UNCONFIRMED (the account subtype, GlobalTaxPayable,
  is Finance.xsd's). CompanyInfo.Country "CA", "GB", "AU": UNCONFIRMED.
- us-ast: automated sales tax makes its own agencies and codes from the company's address
  (Intuit blog 2017-12-11); the names and the 8.25 % here are invented for the fake.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from decimal import Decimal

from local_emulator.fakes.qbo.company.profile import (
    CLASSES,
    DEPARTMENTS,
    NEWER_COMPANY_ACCOUNTS,
    PAYMENT_METHODS,
    TERMS,
    TRACKING_PREFERENCES,
    US_COMPANY_INFO,
    CompanyProfile,
    JsonDict,
    TaxSetup,
    merge,
)

EMPTY: JsonDict = {"TaxRateDetail": []}
# The chart of a newer company outside the US: no US "Sales Tax Payable"; each agency's
# liability account comes with the agency.
_BASE_ACCOUNTS = tuple(a for a in NEWER_COMPANY_ACCOUNTS if a[2] != "SalesTaxPayable")


def agency(agency_id: str, name: str, account: str) -> JsonDict:
    """``TaxTrackedOnSalesAccountRef`` names its liability account; the seeder finds its Id."""
    return {"Id": agency_id, "DisplayName": name, "TaxTrackedOnSales": True,
            "TaxTrackedOnPurchases": False,
            "TaxTrackedOnSalesAccountRef": {"value": "", "name": account}}  # fmt: skip


def rate(
    rate_id: str,
    name: str,
    value: str,
    agency_id: str,
    *,
    special: str = "NONE",
    history: Sequence[tuple[str, str, str]] = (),
) -> JsonDict:
    """``history``: (RateValue, EffectiveDate, EndDate or "") from oldest to newest."""
    doc: JsonDict = {"Id": rate_id, "Name": name, "Description": name, "Active": True,
                     "RateValue": Decimal(value), "AgencyRef": {"value": agency_id},
                     "SpecialTaxType": special, "DisplayType": "ReadOnly"}  # fmt: skip
    if history:
        doc["EffectiveTaxRate"] = [
            {"RateValue": Decimal(v), "EffectiveDate": f"{start}T00:00:00Z",
             **({"EndDate": f"{end}T23:59:59Z"} if end else {})}
            for v, start, end in history
        ]  # fmt: skip
    return doc


def code(
    code_id: str, name: str, rates: Sequence[tuple[str, str]], *, group: bool = False
) -> JsonDict:
    """``rates``: (TaxRate Id, its Name) of the code's sales rates, all on the amount."""
    details = [
        {"TaxRateRef": {"value": rid, "name": rname}, "TaxTypeApplicable": "TaxOnAmount",
         "TaxOrder": order}
        for order, (rid, rname) in enumerate(rates)
    ]  # fmt: skip
    return {"Id": code_id, "Name": name, "Description": name, "Active": True,
            "Taxable": True, "TaxGroup": group or len(rates) > 1,
            "SalesTaxRateList": {"TaxRateDetail": details},
            "PurchaseTaxRateList": EMPTY}  # fmt: skip


def _pseudo_codes() -> tuple[JsonDict, ...]:
    """A US company's line codes: TAX and NON (Intuit, "Manage sales tax for US locales")."""
    return tuple(
        {"Id": c, "Name": c, "Description": c, "Active": True, "Taxable": c == "TAX",
         "TaxGroup": False, "SalesTaxRateList": EMPTY, "PurchaseTaxRateList": EMPTY}
        for c in ("TAX", "NON")
    )  # fmt: skip


def _us_ast() -> CompanyProfile:
    rates = (
        rate("1", "California", "6", "1"),
        rate("2", "Alameda County", "0.25", "1"),
        rate("3", "Springfield City District", "2", "2"),
    )
    return CompanyProfile(
        key="us-ast", country="US", home_currency="USD", multicurrency=True,
        company_name="Fake Company (US, automated sales tax)",
        accounts=NEWER_COMPANY_ACCOUNTS,
        tax_agencies=(
            agency("1", "California Department of Tax and Fee Administration",
                   "Sales Tax Payable"),
            agency("2", "Springfield Tax District", "Sales Tax Payable"),
        ),
        tax_rates=rates,
        tax_codes=(*_pseudo_codes(), code("3", "CA Springfield", [
            ("1", "California"), ("2", "Alameda County"), ("3", "Springfield City District")])),
        payment_methods=PAYMENT_METHODS, terms=TERMS,
        preferences={"TaxPrefs": {"UsingSalesTax": True, "PartnerTaxEnabled": True}},
        company_info=US_COMPANY_INFO,
        tax=TaxSetup(model="us-ast", rounding="document", ast_code="3"),
    )  # fmt: skip


def _ca() -> CompanyProfile:
    agencies = (
        agency("1", "Canada Revenue Agency", "GST/HST Payable"),
        agency("2", "Revenu Quebec", "QST Payable"),
        agency("3", "Minister of Finance (BC)", "PST Payable (BC)"),
        agency("4", "Manitoba Finance", "PST Payable (MB)"),
        agency("5", "Saskatchewan Finance", "PST Payable (SK)"),
    )
    rates = (
        rate("1", "GST", "5", "1"),
        rate("2", "HST ON", "13", "1"),
        rate("3", "HST NB", "15", "1"),
        rate("4", "HST NL", "15", "1"),
        rate("5", "HST NS", "14", "1",
             history=(("15", "2016-07-01", "2025-03-31"), ("14", "2025-04-01", ""))),
        rate("6", "HST PE", "15", "1"),
        rate("7", "PST BC", "7", "3"),
        rate("8", "PST MB", "7", "4"),
        rate("9", "PST SK", "6", "5"),
        rate("10", "QST", "9.975", "2"),
        rate("11", "GST/HST ZR", "0", "1", special="ZERO_RATE"),
        rate("12", "Exempt", "0", "1"),
        rate("13", "Out of scope", "0", "1"),
    )  # fmt: skip
    name = {str(r["Id"]): str(r["Name"]) for r in rates}

    def of(*ids: str) -> list[tuple[str, str]]:
        return [(i, name[i]) for i in ids]

    codes = (
        code("2", "GST", of("1")), code("3", "HST ON", of("2")), code("4", "HST NB", of("3")),
        code("5", "HST NL", of("4")), code("6", "HST NS", of("5")), code("7", "HST", of("6")),
        code("8", "GST/PST BC", of("1", "7")), code("9", "PST BC", of("7")),
        code("10", "GST/PST MB", of("1", "8")), code("11", "PST MB", of("8")),
        code("12", "GST/PST SK", of("1", "9")), code("13", "PST SK", of("9")),
        code("14", "GST/QST QC", of("1", "10")), code("15", "QST QC", of("10")),
        code("16", "Z", of("11")), code("17", "E", of("12")),
        code("18", "Out of scope", of("13")),
    )  # fmt: skip
    company = _global(
        "ca", country="CA", home="CAD", name="Fake Company (Canada)", agencies=agencies,
        rates=rates, codes=codes, missing_code="GST/HST",
        address={"Line1": "1 King Street West", "City": "Toronto",
                 "CountrySubDivisionCode": "ON", "PostalCode": "M5H 1A1", "Country": "CA"},
        time_zone="America/Toronto",
    )  # fmt: skip
    return replace(
        company,
        classes=CLASSES,
        departments=DEPARTMENTS,
        preferences=merge(company.preferences, TRACKING_PREFERENCES),
    )


def _uk() -> CompanyProfile:
    agencies = (agency("1", "HMRC", "VAT Control"),)
    rates = (
        rate("1", "20.0% S (Sales)", "20", "1"),
        rate("2", "5.0% R (Sales)", "5", "1"),
        rate("3", "0.0% Z (Sales)", "0", "1", special="ZERO_RATE"),
        rate("4", "Exempt (Sales)", "0", "1"),
        rate("5", "No VAT (Sales)", "0", "1"),
    )
    codes = tuple(
        code(str(n + 2), label, [(str(n + 1), str(rates[n]["Name"]))])
        for n, label in enumerate(("20.0% S", "5.0% R", "0.0% Z", "Exempt", "No VAT"))
    )
    return _global(
        "uk", country="GB", home="GBP", name="Fake Company (UK)", agencies=agencies,
        rates=rates, codes=codes, missing_code="VAT",
        address={"Line1": "1 High Street", "City": "London", "PostalCode": "EC1A 1AA",
                 "Country": "GB"},
        time_zone="Europe/London",
    )  # fmt: skip


def _au() -> CompanyProfile:
    agencies = (agency("1", "Australian Taxation Office", "GST Payable"),)
    rates = (
        rate("1", "GST (Sales)", "10", "1"),
        rate("2", "GST free (Sales)", "0", "1", special="ZERO_RATE"),
        rate("3", "Input taxed (Sales)", "0", "1"),
        rate("4", "Out of Scope (Sales)", "0", "1"),
    )
    codes = tuple(
        code(str(n + 2), label, [(str(n + 1), str(rates[n]["Name"]))])
        for n, label in enumerate(("GST", "GST free", "Input taxed", "Out of Scope"))
    )
    return _global(
        "au", country="AU", home="AUD", name="Fake Company (Australia)", agencies=agencies,
        rates=rates, codes=codes, missing_code="GST",
        address={"Line1": "1 George Street", "City": "Sydney",
                 "CountrySubDivisionCode": "NSW", "PostalCode": "2000", "Country": "AU"},
        time_zone="Australia/Sydney",
    )  # fmt: skip


def _global(
    key: str,
    *,
    country: str,
    home: str,
    name: str,
    agencies: tuple[JsonDict, ...],
    rates: tuple[JsonDict, ...],
    codes: tuple[JsonDict, ...],
    missing_code: str,
    address: JsonDict,
    time_zone: str,
) -> CompanyProfile:
    liabilities = tuple(
        dict.fromkeys(
            (str(a["TaxTrackedOnSalesAccountRef"]["name"]), "Other Current Liability",
             "GlobalTaxPayable")
            for a in agencies
        )
    )  # fmt: skip
    return CompanyProfile(
        key=key, country=country, home_currency=home, multicurrency=True,
        company_name=name, accounts=(*_BASE_ACCOUNTS, *liabilities),
        tax_agencies=agencies, tax_rates=rates, tax_codes=codes,
        payment_methods=PAYMENT_METHODS, terms=TERMS,
        preferences={"TaxPrefs": {"UsingSalesTax": True}},
        company_info={"CompanyAddr": address, "DefaultTimeZone": time_zone},
        tax=TaxSetup(model="global", rounding="line", missing_code=missing_code),
    )  # fmt: skip


PROFILES: dict[str, Callable[[], CompanyProfile]] = {
    "us-ast": _us_ast,
    "ca": _ca,
    "uk": _uk,
    "au": _au,
}
