"""FirestoreLeaseStore through the real google-cloud-firestore client against an in-process gRPC
fake (FIRESTORE_EMULATOR_HOST, as the client's own emulator support connects); the in-memory
store used by the embedded stack must decide the same way."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import grpc
import pytest

from shared.adapters.clock import ManualClock
from shared.adapters.firestore_leases import FirestoreLeaseStore
from shared.adapters.local_leases import InMemoryLeaseStore
from shared.errors import ConflictError, TransientError
from shared.ports import LeaseStore
from tests.contract.conftest import PROJECT
from tests.contract.fake_firestore import FakeFirestore

TTL = timedelta(seconds=300)


@pytest.fixture
def firestore_fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeFirestore]:
    fake = FakeFirestore()
    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", fake.start())
    yield fake
    fake.stop()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture(params=["firestore", "memory"])
def store(request: pytest.FixtureRequest, clock: ManualClock) -> LeaseStore:
    if request.param == "memory":
        return InMemoryLeaseStore(clock)
    request.getfixturevalue("firestore_fake")
    return FirestoreLeaseStore(project=PROJECT, clock=clock)


def test_a_held_lease_refuses_a_second_holder_until_released(store: LeaseStore) -> None:
    first = store.acquire("invoice:in_1", "task-a", TTL)
    assert not first.contended

    with pytest.raises(ConflictError) as held:
        store.acquire("invoice:in_1", "task-b", TTL)
    assert held.value.retry_after_seconds is not None
    other_family = store.acquire("invoice:in_2", "task-b", TTL)

    store.release(first)
    second = store.acquire("invoice:in_1", "task-b", TTL)
    assert second.holder == "task-b"
    assert second.contended  # given back a moment ago: its links may not be visible yet
    store.release(second)
    store.release(other_family)


def test_a_lease_given_back_unsettled_stays_contended_until_a_clean_run(
    store: LeaseStore, clock: ManualClock
) -> None:
    """A run that failed transiently may have written to QBO without an answer: whoever takes
    the family next, however much later, looks before creating, until a run ends cleanly."""
    failed = store.acquire("invoice:in_1", "task-a", TTL)
    store.release(failed, settled=False)
    clock.advance(3_600)  # far past the settle time
    later = store.acquire("invoice:in_1", "task-b", TTL)
    assert later.contended
    clock.advance(TTL.total_seconds() + 1)  # task-b crashed: still unsettled for the next
    after_crash = store.acquire("invoice:in_1", "task-c", TTL)
    assert after_crash.contended
    store.release(after_crash)  # a clean run
    clock.advance(3_600)
    assert not store.acquire("invoice:in_1", "task-d", TTL).contended


def test_a_crashed_holders_lease_expires(store: LeaseStore, clock: ManualClock) -> None:
    store.acquire("invoice:in_1", "crashed", TTL)  # never released
    clock.advance(TTL.total_seconds() - 1)
    with pytest.raises(ConflictError):
        store.acquire("invoice:in_1", "task-b", TTL)

    clock.advance(2)
    taken = store.acquire("invoice:in_1", "task-b", TTL)

    assert taken.contended  # the crashed holder may have written to QBO: look before creating


def test_a_lease_given_back_long_ago_is_not_contended(
    store: LeaseStore, clock: ManualClock
) -> None:
    store.release(store.acquire("payout:po_1", "task-a", TTL))
    clock.advance(3600)
    assert not store.acquire("payout:po_1", "task-b", TTL).contended


def test_a_lease_says_when_the_familys_previous_run_ended(
    store: LeaseStore, clock: ManualClock
) -> None:
    """Given back, or expired under a holder that crashed: a run whose Stripe reads started
    before that moment reads again (Work.hold)."""
    first = store.acquire("invoice:in_1", "task-a", TTL)
    assert first.previous_end is None  # no run before
    clock.advance(10)
    given_back_at = clock.now()
    store.release(first)
    clock.advance(5)
    second = store.acquire("invoice:in_1", "task-b", TTL)
    assert second.previous_end == given_back_at
    clock.advance(TTL.total_seconds() + 1)  # task-b crashed
    third = store.acquire("invoice:in_1", "task-c", TTL)
    assert third.previous_end == second.expires_at


def test_a_late_release_does_not_free_the_next_holders_lease(
    store: LeaseStore, clock: ManualClock
) -> None:
    stale = store.acquire("invoice:in_1", "slow", TTL)
    clock.advance(TTL.total_seconds() + 1)
    current = store.acquire("invoice:in_1", "task-b", TTL)

    store.release(stale)  # the slow holder finishes late: nothing happens

    with pytest.raises(ConflictError):
        store.acquire("invoice:in_1", "task-c", TTL)
    store.release(current)


def test_of_many_workers_racing_for_one_family_exactly_one_wins(
    store: LeaseStore, clock: ManualClock
) -> None:
    store.acquire("invoice:in_1", "crashed", TTL)
    clock.advance(TTL.total_seconds() + 1)  # expired: every racer may try to take it over
    winners: list[str] = []
    start = threading.Barrier(8)

    def race(name: str) -> None:
        start.wait()
        try:
            store.acquire("invoice:in_1", name, TTL)
            winners.append(name)
        except ConflictError:
            pass

    threads = [threading.Thread(target=race, args=(f"w{i}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(winners) == 1


def test_firestore_outage_is_transient(firestore_fake: FakeFirestore, clock: ManualClock) -> None:
    store = FirestoreLeaseStore(project=PROJECT, clock=clock, timeout_seconds=2.0)
    firestore_fake.inject("Commit", grpc.StatusCode.PERMISSION_DENIED)
    with pytest.raises(TransientError) as denied:
        store.acquire("invoice:in_1", "task-a", TTL)
    assert denied.value.code == "lease_permission_denied"


def test_documents_carry_holder_expiry_and_purge_time(
    firestore_fake: FakeFirestore, clock: ManualClock
) -> None:
    store = FirestoreLeaseStore(project=PROJECT, clock=clock, collection="leases")
    lease = store.acquire("invoice:in_1", "task-a", TTL)
    (name,) = firestore_fake.documents
    assert name.endswith("/documents/leases/invoice:in_1")
    fields: Any = firestore_fake.documents[name].fields
    assert fields["holder"].string_value == "task-a"
    assert "timestamp_value" in fields["expires_at"]
    assert "timestamp_value" in fields["purge_at"]
    store.release(lease)
    assert "null_value" in firestore_fake.documents[name].fields["holder"]
