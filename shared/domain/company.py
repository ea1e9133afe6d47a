"""What the sync needs to know of the QBO company it writes to, read from the company itself
(Preferences and CompanyInfo), never from settings that could disagree with it.

Tax model (README, "Sales tax per company"):
- ``us-ast``: ``TaxPrefs.PartnerTaxEnabled`` true, automated sales tax is set up (Intuit blog
  2018-05-11, "Automated Sales Tax FAQ": true = on and set up, false = on without sales tax set
  up, absent = not on automated sales tax).
- ``global``: a company outside the US that uses sales tax (GST, HST, PST, QST, VAT): QBO wants a
  tax code on every line (Intuit, "Manage sales tax for non-US locales").
- ``us``: everything else (a US company on manual sales tax, or not using sales tax at all, and
  a non-US company not using sales tax): tax posts as a line on the tax item.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from shared.errors import MappingGapError

TaxModel = Literal["us", "us-ast", "global"]
US = frozenset({"US", "USA"})
JsonDict = dict[str, Any]


@dataclass(frozen=True)
class Company:
    country: str
    home_currency: str  # lower case, as Stripe writes currencies
    multicurrency: bool
    tax_model: TaxModel
    auto_apply_credit: bool
    class_per_line: bool
    class_per_txn: bool
    departments: bool


def _section(prefs: JsonDict, name: str) -> JsonDict:
    value = prefs.get(name)
    return value if isinstance(value, dict) else {}


def company_from_qbo(preferences: JsonDict, company_info: JsonDict) -> Company:
    """The company as its Preferences and CompanyInfo describe it."""
    currency = _section(preferences, "CurrencyPrefs")
    home = currency.get("HomeCurrency")
    code = home.get("value") if isinstance(home, dict) else home
    if not isinstance(code, str) or not code:
        raise MappingGapError(
            "the QBO company's Preferences name no home currency (CurrencyPrefs.HomeCurrency)",
            code="company_setup",
        )
    address = company_info.get("CompanyAddr")
    country = str(
        company_info.get("Country")
        or (address.get("Country") if isinstance(address, dict) else "")
        or "US"
    ).upper()
    tax = _section(preferences, "TaxPrefs")
    using = tax.get("UsingSalesTax") is True
    model: TaxModel = "us"
    if tax.get("PartnerTaxEnabled") is True:
        model = "us-ast"
    elif country not in US and using:
        model = "global"
    accounting = _section(preferences, "AccountingInfoPrefs")
    sales = _section(preferences, "SalesFormsPrefs")
    return Company(
        country=country,
        home_currency=code.lower(),
        multicurrency=currency.get("MultiCurrencyEnabled") is True,
        tax_model=model,
        # when QBO does not say, taken as on (a new company's default), safe either way
        auto_apply_credit=sales.get("AutoApplyCredit") is not False,
        class_per_line=accounting.get("ClassTrackingPerTxnLine") is True,
        class_per_txn=accounting.get("ClassTrackingPerTxn") is True,
        departments=accounting.get("TrackDepartments") is True,
    )
