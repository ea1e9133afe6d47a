"""System accounts are found by AccountType/AccountSubType, whatever the company calls them, and
created only where the company has none."""

from __future__ import annotations

from dataclasses import replace

from local_emulator.fakes.qbo import FakeQbo
from local_emulator.fakes.qbo.company.profile import company_profile
from shared.services.reference_data import ReferenceData
from tests.functional.qbo_fixtures import qbo_env


def test_payments_to_deposit_is_undeposited_funds_in_every_currency() -> None:
    with qbo_env() as env:
        references = ReferenceData(env.gateway)
        home = references.account("undeposited")
        assert home.name == "Payments to deposit"
        assert references.account("undeposited", "eur") == home  # it holds every currency
        assert env.fake.request_counts().get("create", 0) == 0
        names = [a["Name"] for a in env.fake.state_json()["Account"]]
        assert "Undeposited Funds" not in names


def test_created_by_its_configured_name_only_when_missing() -> None:
    us = company_profile("us")
    accounts = tuple(a for a in us.accounts if a[2] != "UndepositedFunds")
    fake = FakeQbo(profile=replace(us, accounts=accounts))
    with qbo_env(fake) as env:
        references = ReferenceData(env.gateway)
        ref = references.account("undeposited")
        again = ReferenceData(env.gateway).account("undeposited")
        assert ref == again and ref.name == "Undeposited Funds"
        created = [a for a in env.fake.state_json()["Account"] if a["Name"] == ref.name]
        assert [a["AccountSubType"] for a in created] == ["UndepositedFunds"]
