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
from typing import Any

JsonDict = dict[str, Any]


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


US_PREFERENCES: JsonDict = {
    "TaxPrefs": {"UsingSalesTax": True, "PartnerTaxEnabled": False,
                 "TaxGroupCodeRef": {"value": "2"}},
}  # fmt: skip
US_COMPANY_INFO: JsonDict = {
    "CompanyAddr": {"Line1": "1 Main Street", "City": "Springfield",
                    "CountrySubDivisionCode": "CA", "PostalCode": "94000", "Country": "US"},
    "DefaultTimeZone": "America/Los_Angeles",
}  # fmt: skip


def _us() -> CompanyProfile:
    agency = {"DisplayName": "State Board of Equalization", "TaxTrackedOnSales": True,
              "TaxTrackedOnPurchases": False, "Id": "1"}  # fmt: skip
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
        preferences=US_PREFERENCES,
        company_info=US_COMPANY_INFO,
    )


_PROFILES: dict[str, Callable[[], CompanyProfile]] = {"us": _us}


def register_profile(key: str, factory: Callable[[], CompanyProfile]) -> None:
    """Add a profile (the tax work adds us-ast, ca, uk, au)."""
    _PROFILES[key] = factory


def company_profile(key: str = "us") -> CompanyProfile:
    try:
        return _PROFILES[key]()
    except KeyError:
        known = ", ".join(sorted(_PROFILES))
        raise ValueError(f"unknown company profile {key!r}; known: {known}") from None


def profile_keys() -> list[str]:
    return sorted(_PROFILES)
