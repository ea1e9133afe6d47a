"""The company's reference entities: what a sync reads from a real company.

TaxCode, TaxRate, TaxAgency and CompanyInfo are read and queried; the v3 API does not create or
change them (tax codes and rates come from the TaxService endpoint or the UI: Intuit API
reference, TaxCode "read only", TaxRate "read only"). Preferences is read, and updated (never
created). PaymentMethod, Term, Class and Department are plain name lists. ExchangeRate is
answered from the company's rate table, by ``GET exchangerate`` and by query.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from local_emulator.fakes.qbo import currency, errors
from local_emulator.fakes.qbo.books import Books, JsonDict, ref_value
from local_emulator.fakes.qbo.query import Query
from local_emulator.fakes.qbo.rules import EntityRule, NameRule


class ReferenceRule(EntityRule):
    """Read and queried only; QBO itself keeps them (seeded from the company profile)."""

    creatable = False
    updatable = False


class TaxCodeRule(ReferenceRule):
    entity = "TaxCode"


class TaxRateRule(ReferenceRule):
    entity = "TaxRate"


class TaxAgencyRule(ReferenceRule):
    entity = "TaxAgency"


class CompanyInfoRule(ReferenceRule):
    entity = "CompanyInfo"


class ExchangeRateRule(ReferenceRule):
    """Documents made on demand from the rate table (``exchange_rates``), never stored."""

    entity = "ExchangeRate"


class PreferencesRule(EntityRule):
    """One per company (Id 1): updated, never created. The home currency never changes, and
    multicurrency, once on, cannot be turned off (QBO: "Once you turn on multicurrency, you
    can't turn it off", QuickBooks Online help, Multicurrency)."""

    entity = "Preferences"
    creatable = False

    def prepare(self, doc: JsonDict, books: Books, old: JsonDict | None) -> JsonDict:
        prefs = doc.get("CurrencyPrefs") or {}
        home = ref_value(prefs, "HomeCurrency")
        if old is not None and home is not None and currency.code(home) != books.home:
            raise errors.business_rule("the home currency of a company cannot be changed")
        enabled = prefs.get("MultiCurrencyEnabled")
        if enabled is False and books.multicurrency and old is not None:
            raise errors.business_rule("multicurrency cannot be turned off once it is on")
        if enabled is True:
            books.multicurrency = True
        doc["CurrencyPrefs"] = {
            "MultiCurrencyEnabled": books.multicurrency,
            "HomeCurrency": {"value": books.home},
        }
        return doc


class _ListRule(NameRule):
    """A name list without FullyQualifiedName (PaymentMethod and Term have none in the XSD)."""

    hierarchical: ClassVar[bool] = False

    def prepare(self, doc: JsonDict, books: Books, old: JsonDict | None) -> JsonDict:
        doc = super().prepare(doc, books, old)
        if not self.hierarchical:
            doc.pop("FullyQualifiedName", None)
        return doc


class PaymentMethodRule(_ListRule):
    entity = "PaymentMethod"


class TermRule(_ListRule):
    entity = "Term"


class ClassRule(_ListRule):
    entity = "Class"
    hierarchical = True


class DepartmentRule(_ListRule):
    entity = "Department"
    hierarchical = True


def exchange_rates(books: Books, query: Query, now_iso: str) -> list[JsonDict]:
    """``select * from ExchangeRate [where SourceCurrencyCode = 'EUR'] [and AsOfDate = '...']``:
    one rate per currency the company knows (its rate table), for the date asked (today if not
    said); filtering and paging are the query's own."""
    day = books.today()
    for condition in query.conditions:
        if condition.field.lower() == "asofdate" and condition.op == "=":
            try:
                day = date.fromisoformat(str(condition.values[0])).isoformat()
            except ValueError:
                raise errors.invalid_query(f"invalid AsOfDate {condition.values[0]!r}") from None
    return [
        exchange_rate_document(books, code, day, now_iso)
        for code in sorted(books.rates.known() - {books.home})
    ]


def exchange_rate_document(books: Books, code: str, day: str, now_iso: str) -> JsonDict:
    return {
        "SourceCurrencyCode": code,
        "TargetCurrencyCode": books.home,
        "Rate": books.rates.rate(code, day),
        "AsOfDate": day,
        "SyncToken": "0",
        "domain": "QBO",
        "sparse": False,
        "MetaData": {"LastUpdatedTime": now_iso},
    }


REFERENCE_RULES: tuple[EntityRule, ...] = (
    TaxCodeRule(), TaxRateRule(), TaxAgencyRule(), CompanyInfoRule(), ExchangeRateRule(),
    PreferencesRule(), PaymentMethodRule(), TermRule(), ClassRule(), DepartmentRule(),
)  # fmt: skip
