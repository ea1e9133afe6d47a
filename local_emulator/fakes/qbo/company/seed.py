"""Load a company profile into a fake company: what QBO has before the first request."""

from __future__ import annotations

from typing import TYPE_CHECKING

from local_emulator.fakes.qbo.company.documents import (
    company_info_document,
    preferences_document,
)
from local_emulator.fakes.qbo.company.profile import CompanyProfile, JsonDict

if TYPE_CHECKING:
    from local_emulator.fakes.qbo.engine import FakeQbo


def seed_company(fake: FakeQbo, profile: CompanyProfile) -> None:
    accounts: dict[str, str] = {}
    for name, account_type, subtype in profile.accounts:
        body = {"Name": name, "AccountType": account_type, "AccountSubType": subtype}
        accounts[name] = str(fake.seed("Account", body)["Id"])
    for agency in profile.tax_agencies:
        fake.seed("TaxAgency", _with_account_ids(agency, accounts))
    for entity, documents in (
        ("TaxRate", profile.tax_rates),
        ("TaxCode", profile.tax_codes),
        ("PaymentMethod", profile.payment_methods),
        ("Term", profile.terms),
        ("Class", profile.classes),
        ("Department", profile.departments),
    ):
        for document in documents:
            fake.seed(entity, document)
    terms = {str(t["Name"]): str(t["Id"]) for t in fake.books.all("Term")}
    fake.seed("CompanyInfo", {"Id": "1", **company_info_document(profile)})
    fake.seed("Preferences", {"Id": "1", **preferences_document(profile, terms)})


def _with_account_ids(agency: JsonDict, accounts: dict[str, str]) -> JsonDict:
    """A profile names an agency's liability account; QBO's reference carries its Id."""
    out = dict(agency)
    for field in ("TaxTrackedOnSalesAccountRef", "TaxOnPurchasesAccountRef"):
        ref = out.get(field)
        if isinstance(ref, dict) and not ref.get("value") and ref.get("name"):
            out[field] = {"value": accounts[str(ref["name"])], "name": ref["name"]}
    return out
