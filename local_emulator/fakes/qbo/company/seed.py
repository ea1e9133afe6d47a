"""Load a company profile into a fake company: what QBO has before the first request."""

from __future__ import annotations

from typing import TYPE_CHECKING

from local_emulator.fakes.qbo.company.documents import (
    company_info_document,
    preferences_document,
)
from local_emulator.fakes.qbo.company.profile import CompanyProfile

if TYPE_CHECKING:
    from local_emulator.fakes.qbo.engine import FakeQbo


def seed_company(fake: FakeQbo, profile: CompanyProfile) -> None:
    for name, account_type, subtype in profile.accounts:
        fake.seed("Account", {"Name": name, "AccountType": account_type, "AccountSubType": subtype})
    for entity, documents in (
        ("TaxAgency", profile.tax_agencies),
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
