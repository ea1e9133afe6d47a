"""Company profiles: the reference data a real QBO company answers with before any sync writes.

A profile is data only (chart of accounts, tax agencies, rates and codes, payment methods, terms,
classes, departments, preferences, company info); ``seed.py`` loads one into a fake company. The
default, ``us``, is a newer US company with manual sales tax: its undeposited-funds account is
"Payments to deposit" (QBO renamed "Undeposited Funds" in newer companies; the sync must find it
by AccountType/AccountSubType, not by name). Other profiles (us-ast, ca, uk, au for the tax work)
are registered with ``register_profile``.

Shapes follow Intuit's XSD (Preferences, CompanyInfo, TaxCode, TaxRate, TaxAgency, PaymentMethod,
Term) and real sandbox records (Airbyte's QBO records: TaxCodeRef "TAX"/"NON", TaxRateRef, a
PaymentMethod with Type "CREDIT_CARD"); names and values are this project's own.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

JsonDict = dict[str, Any]
TaxModel = Literal["us", "us-ast", "global"]


@dataclass(frozen=True)
class TaxSetup:
    """How the company's sales tax works, as QBO behaves for its region.

    ``model``: "us" (manual sales tax: lines say TAX or NON, the document names one tax code in
    TxnTaxDetail.TxnTaxCodeRef: Intuit, "Manage sales tax for US locales"), "us-ast" (automated
    sales tax computes from addresses; an explicit TotalTax is honoured and prorated over the
    AST-assigned code: Intuit blog 2017-12-11, "Using QuickBooks Online API: Automated Sales
    Tax"), or "global" (every line names a tax code; tax per line and rate: Intuit, "Manage
    sales tax for non-US locales"). ``rounding``: per "line" (each line's tax rounded to the
    currency, then summed: Intuit community answers for Canadian companies; assumed for UK and
    AU) or per "document" (each rate on the taxable total; assumed for US companies).
    ``missing_code``: the word a non-US company's refusal uses for a line without a tax code
    ("GST/HST" in Canada, "VAT" in the UK: real Fault bodies, activepieces#8539 and
    intuit/quickbooks-online-mcp-server#94; "GST" in Australia is UNCONFIRMED).
    ``ast_code``: the TaxCode Id automated sales tax assigns from the company's address.
    """

    model: TaxModel = "us"
    rounding: Literal["line", "document"] = "document"
    missing_code: str = ""
    ast_code: str = ""


@dataclass(frozen=True)
class CompanyProfile:
    key: str
    country: str
    home_currency: str
    multicurrency: bool
    company_name: str
    # (Name, AccountType, AccountSubType), in the order QBO gives them Ids
    accounts: tuple[tuple[str, str, str], ...]
    # Documents as QBO keeps them, without Id/SyncToken/MetaData. A TaxCode may carry "Id" (a US
    # company's "TAX" and "NON"); references between them use the Ids given here.
    tax_agencies: tuple[JsonDict, ...] = ()
    tax_rates: tuple[JsonDict, ...] = ()
    tax_codes: tuple[JsonDict, ...] = ()
    payment_methods: tuple[JsonDict, ...] = ()
    terms: tuple[JsonDict, ...] = ()
    classes: tuple[JsonDict, ...] = ()
    departments: tuple[JsonDict, ...] = ()
    # Deep-merged over the default Preferences (a UK profile changes TaxPrefs, say).
    preferences: JsonDict = field(default_factory=dict)
    company_info: JsonDict = field(default_factory=dict)
    tax: TaxSetup = TaxSetup()

    def with_currency(self, home: str | None, multicurrency: bool | None) -> CompanyProfile:
        return replace(
            self,
            home_currency=home.upper() if home else self.home_currency,
            multicurrency=self.multicurrency if multicurrency is None else multicurrency,
        )


def merge(base: JsonDict, overrides: JsonDict) -> JsonDict:
    """``overrides`` deep-merged into a copy of ``base`` (objects merge, anything else replaces)."""
    out = copy.deepcopy(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


NEWER_COMPANY_ACCOUNTS: tuple[tuple[str, str, str], ...] = (
    ("Accounts Receivable (A/R)", "Accounts Receivable", "AccountsReceivable"),
    ("Payments to deposit", "Other Current Asset", "UndepositedFunds"),
    ("Checking", "Bank", "Checking"),
    ("Sales", "Income", "SalesOfProductIncome"),
    ("Discounts given", "Income", "DiscountsRefundsGiven"),
    ("Sales Tax Payable", "Other Current Liability", "SalesTaxPayable"),
    ("Services", "Income", "ServiceFeeIncome"),
    ("Opening Balance Equity", "Equity", "OpeningBalanceEquity"),
    ("Retained Earnings", "Equity", "RetainedEarnings"),
)
PAYMENT_METHODS = tuple(
    {"Name": name, "Active": True, "Type": kind}
    for name, kind in (
        ("Cash", "NON_CREDIT_CARD"), ("Check", "NON_CREDIT_CARD"), ("Visa", "CREDIT_CARD"),
        ("MasterCard", "CREDIT_CARD"), ("American Express", "CREDIT_CARD"),
        ("Discover", "CREDIT_CARD"),
    )
)  # fmt: skip
TERMS = tuple(
    {"Name": name, "Active": True, "Type": "STANDARD", "DueDays": days, "DiscountDays": 0}
    for name, days in (("Due on receipt", 0), ("Net 15", 15), ("Net 30", 30), ("Net 60", 60))
)


# A company on manual sales tax has no PartnerTaxEnabled element at all (present, true: automated
# sales tax set up; present, false: automated sales tax without sales tax set up; Intuit blog
# 2018-05-11, "Automated Sales Tax FAQ").
US_PREFERENCES: JsonDict = {
    "TaxPrefs": {"UsingSalesTax": True, "TaxGroupCodeRef": {"value": "2"}},
}
# Class per line and location (Department) per document, as a company that tracks them has
# turned on in its settings (Finance.xsd CompanyAccountingPrefs); us and ca track them.
TRACKING_PREFERENCES: JsonDict = {
    "AccountingInfoPrefs": {"TrackDepartments": True, "ClassTrackingPerTxnLine": True},
}
CLASSES = ({"Name": "Services", "Active": True}, {"Name": "Products", "Active": True})
DEPARTMENTS = ({"Name": "East", "Active": True}, {"Name": "West", "Active": True})
US_COMPANY_INFO: JsonDict = {
    "CompanyAddr": {"Line1": "1 Main Street", "City": "Springfield",
                    "CountrySubDivisionCode": "CA", "PostalCode": "94000", "Country": "US"},
    "DefaultTimeZone": "America/Los_Angeles",
}  # fmt: skip


def _us() -> CompanyProfile:
    agency = {"DisplayName": "State Board of Equalization", "TaxTrackedOnSales": True,
              "TaxTrackedOnPurchases": False, "Id": "1",
              "TaxTrackedOnSalesAccountRef": {"value": "", "name": "Sales Tax Payable"},
              }  # fmt: skip
    rate = {"Id": "1", "Name": "State sales tax", "Description": "Sales tax", "Active": True,
            "RateValue": 8, "AgencyRef": {"value": "1"}, "SpecialTaxType": "NONE",
            "DisplayType": "ReadOnly"}  # fmt: skip
    empty: JsonDict = {"TaxRateDetail": []}
    codes = (
        {"Id": "TAX", "Name": "TAX", "Description": "TAX", "Active": True, "Taxable": True,
         "TaxGroup": False, "SalesTaxRateList": empty, "PurchaseTaxRateList": empty},
        {"Id": "NON", "Name": "NON", "Description": "NON", "Active": True, "Taxable": False,
         "TaxGroup": False, "SalesTaxRateList": empty, "PurchaseTaxRateList": empty},
        {"Id": "2", "Name": "State", "Description": "State sales tax", "Active": True,
         "Taxable": True, "TaxGroup": True, "PurchaseTaxRateList": empty,
         "SalesTaxRateList": {"TaxRateDetail": [
             {"TaxRateRef": {"value": "1", "name": "State sales tax"},
              "TaxTypeApplicable": "TaxOnAmount", "TaxOrder": 0}]}},
    )  # fmt: skip
    return CompanyProfile(
        key="us",
        country="US",
        home_currency="USD",
        multicurrency=True,
        company_name="Fake Company (US)",
        accounts=NEWER_COMPANY_ACCOUNTS,
        tax_agencies=(agency,),
        tax_rates=(rate,),
        tax_codes=codes,
        payment_methods=PAYMENT_METHODS,
        terms=TERMS,
        classes=CLASSES,
        departments=DEPARTMENTS,
        preferences=merge(US_PREFERENCES, TRACKING_PREFERENCES),
        company_info=US_COMPANY_INFO,
    )


_PROFILES: dict[str, Callable[[], CompanyProfile]] = {"us": _us}
# The regions' profiles (us-ast, ca, uk, au: company/regions.py), registered on first use.
BUILT_IN = ("us", "us-ast", "ca", "uk", "au")


def register_profile(key: str, factory: Callable[[], CompanyProfile]) -> None:
    """Add a profile (a test's variant of one, say)."""
    _PROFILES[key] = factory


def _load_regions() -> None:
    from local_emulator.fakes.qbo.company import regions

    for key, factory in regions.PROFILES.items():
        _PROFILES.setdefault(key, factory)


def company_profile(key: str = "us") -> CompanyProfile:
    _load_regions()
    try:
        return _PROFILES[key]()
    except KeyError:
        known = ", ".join(sorted(_PROFILES))
        raise ValueError(f"unknown company profile {key!r}; known: {known}") from None


def profile_keys() -> list[str]:
    _load_regions()
    return sorted(_PROFILES)
