"""Matching Stripe customers and products to what the QBO books hold already, by policy."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from local_emulator.fakes.qbo import FakeQbo
from local_emulator.fakes.qbo.gateway import InMemoryQboGateway
from shared.adapters.clock import ManualClock
from shared.services.existing_books import (
    CRITERIA,
    AmbiguousMatchError,
    ExistingBooks,
    MatchPolicy,
    Wanted,
    policy_from_text,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def books(policy: MatchPolicy | None = None) -> tuple[ExistingBooks, FakeQbo, ManualClock]:
    clock = ManualClock(T0)
    fake = FakeQbo(clock=clock)  # one clock: QBO's change data capture looks back 30 days
    return ExistingBooks(InMemoryQboGateway(fake), policy or MatchPolicy(), clock), fake, clock


def customer(fake: FakeQbo, name: str, **fields: object) -> str:
    return str(fake.create("Customer", {"DisplayName": name, **fields})["Customer"]["Id"])


def test_each_criterion_in_the_policys_order() -> None:
    existing, fake, _ = books()
    by_id = customer(fake, "Legacy One", Notes="migrated; stripe id cus_1")
    by_email = customer(fake, "Legacy Two", PrimaryEmailAddr={"Address": "Two@Example.com"})
    by_name = customer(fake, "Acme Ltd")
    assert existing.customer(Wanted("cus_1", email="two@example.com", currency="USD")) == by_id
    assert existing.customer(Wanted("cus_2", email="two@example.com", currency="USD")) == by_email
    assert existing.customer(Wanted("cus_3", name="Acme Ltd", currency="USD")) == by_name
    assert existing.customer(Wanted("cus_4", name="Acme", email="x@y.z", currency="USD")) is None
    assert existing.customer(Wanted("cus_1x", currency="USD")) is None  # a whole token only


def test_several_candidates_fail_with_their_ids_and_never_guess() -> None:
    existing, fake, _ = books()
    first = customer(fake, "Dup A", PrimaryEmailAddr={"Address": "dup@example.com"})
    second = customer(fake, "Dup B", PrimaryEmailAddr={"Address": "dup@example.com"})
    with pytest.raises(AmbiguousMatchError, match=f"Ids {first}, {second}"):
        existing.customer(Wanted("cus_9", email="dup@example.com", currency="USD"))


def test_ours_inactive_and_other_currencies_are_never_candidates() -> None:
    existing, fake, _ = books()
    customer(fake, "Ours [cus_5]", Notes="Stripe customer cus_5")
    gone = fake.create("Customer", {"DisplayName": "Gone"})["Customer"]
    fake.update("Customer", {"Id": gone["Id"], "SyncToken": "0", "Active": False, "sparse": True})
    euro = customer(fake, "Euro GmbH", CurrencyRef={"value": "EUR"})
    assert existing.customer(Wanted("cus_5", name="Ours [cus_5]", currency="USD")) is None
    assert existing.customer(Wanted("cus_6", name="Gone", currency="USD")) is None
    assert existing.customer(Wanted("cus_7", name="Euro GmbH", currency="USD")) is None
    assert existing.customer(Wanted("cus_7", name="Euro GmbH", currency="EUR")) == euro


def test_items_match_by_stripe_id_then_name() -> None:
    existing, fake, _ = books(MatchPolicy(item_field="Sku"))
    income = {"IncomeAccountRef": {"value": "1"}}
    by_sku = fake.create("Item", {"Name": "Seats", "Sku": "prod_1", **income})["Item"]["Id"]
    by_name = fake.create("Item", {"Name": "Support", **income})["Item"]["Id"]
    assert existing.item(Wanted("prod_1", name="Seats")) == by_sku
    assert existing.item(Wanted("prod_2", name="Support")) == by_name
    assert existing.item(Wanted("prod_3", name="Nothing")) is None


def test_the_directory_follows_changes_and_an_empty_policy_matches_nothing() -> None:
    existing, fake, clock = books()
    assert existing.customer(Wanted("cus_1", name="Late Ltd", currency="USD")) is None
    late = customer(fake, "Late Ltd")
    assert existing.customer(Wanted("cus_1", name="Late Ltd", currency="USD")) is None  # cached
    clock.advance(31)
    assert existing.customer(Wanted("cus_1", name="Late Ltd", currency="USD")) == late
    off, fake_off, _ = books(MatchPolicy(customer=()))
    customer(fake_off, "Late Ltd")
    assert off.customer(Wanted("cus_1", name="Late Ltd", currency="USD")) is None
    assert policy_from_text(" email, name ", CRITERIA) == ("email", "name")
    with pytest.raises(ValueError, match="choose from"):
        policy_from_text("phone", CRITERIA)
