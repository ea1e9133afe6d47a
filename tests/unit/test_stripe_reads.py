"""Fresh-enough Stripe reads: a read serves a sync only if it started after the sync's moment."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest

from shared.adapters.clock import ManualClock
from shared.adapters.stripe_reads import FreshStripeReads
from shared.errors import UpstreamUnavailableError
from shared.freshness import fresh_after, reads_fresh_after
from shared.ports import JsonDict, StripePage

T0 = datetime(2026, 1, 1, tzinfo=UTC)


class CountingStripe:
    """A StripeGateway that answers from a dict and counts its calls."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.version = 0
        self.fail = False
        self.gate: threading.Event | None = None

    def retrieve(self, object_type: str, object_id: str, expand: Sequence[str] = ()) -> JsonDict:
        self.calls[f"retrieve {object_id}"] += 1
        if self.gate is not None:
            self.gate.wait(5)
        if self.fail:
            raise UpstreamUnavailableError("down")
        self.version += 1
        return {"id": object_id, "object": object_type, "version": self.version}

    def list_invoice_lines(self, invoice_id: str) -> list[JsonDict]:
        self.calls["lines"] += 1
        return []

    def list_objects(self, object_type: str, filters: Mapping[str, Any]) -> list[JsonDict]:
        self.calls[f"list {object_type}"] += 1
        return [{"id": "x"}]

    def list_page(
        self,
        object_type: str,
        filters: Mapping[str, Any],
        *,
        starting_after: str | None = None,
        limit: int = 100,
    ) -> StripePage:
        self.calls["page"] += 1
        return StripePage([], False)

    def list_events(self, **kwargs: Any) -> list[JsonDict]:
        self.calls["events"] += 1
        return []


def reads() -> tuple[FreshStripeReads, CountingStripe, ManualClock]:
    inner, clock = CountingStripe(), ManualClock(T0)
    return FreshStripeReads(inner, clock, max_age=60), inner, clock


def test_outside_a_sync_every_read_goes_to_stripe() -> None:
    gateway, inner, _ = reads()
    assert fresh_after() is None
    gateway.retrieve("invoice", "in_1")
    gateway.retrieve("invoice", "in_1")
    assert inner.calls["retrieve in_1"] == 2


def test_a_read_started_after_the_moment_serves_later_syncs_and_an_older_one_does_not() -> None:
    gateway, _, clock = reads()
    moment = T0.timestamp()
    with reads_fresh_after(moment):
        first = gateway.retrieve("invoice", "in_1")
    clock.advance(10)
    with reads_fresh_after(moment + 5):  # an event after the first read: read again
        second = gateway.retrieve("invoice", "in_1")
    with reads_fresh_after(moment + 5):  # the second read is fresh enough for this one
        third = gateway.retrieve("invoice", "in_1")
    assert (first["version"], second["version"], third["version"]) == (1, 2, 2)
    third["version"] = 99  # a caller's copy: changing it changes nothing shared
    with reads_fresh_after(moment):
        assert gateway.retrieve("invoice", "in_1")["version"] == 2
    clock.advance(61)
    with reads_fresh_after(moment):  # older than max_age: read again
        assert gateway.retrieve("invoice", "in_1")["version"] == 3
    assert gateway.retrieve("invoice", "in_1", expand=["payments"])["version"] == 4


def test_lists_are_shared_by_their_filters() -> None:
    gateway, inner, _ = reads()
    with reads_fresh_after(T0.timestamp()):
        gateway.list_objects("refund", {"charge": "ch_1"})
        gateway.list_objects("refund", {"charge": "ch_1"})
        gateway.list_objects("refund", {"charge": "ch_2"})
        gateway.list_page("refund", {})
        gateway.list_page("refund", {})
    assert inner.calls["list refund"] == 2 and inner.calls["page"] == 2


def test_a_read_in_flight_is_shared_and_a_failed_one_is_not_kept() -> None:
    gateway, inner, _ = reads()
    inner.gate = threading.Event()
    results: list[JsonDict] = []

    def read() -> None:
        with reads_fresh_after(T0.timestamp()):
            results.append(gateway.retrieve("charge", "ch_1"))

    threads = [threading.Thread(target=read) for _ in range(5)]
    for thread in threads:
        thread.start()
    inner.gate.set()
    for thread in threads:
        thread.join()
    assert inner.calls["retrieve ch_1"] == 1 and len(results) == 5
    inner.fail = True
    with reads_fresh_after(T0.timestamp() + 1), pytest.raises(UpstreamUnavailableError):
        gateway.retrieve("charge", "ch_2")
    inner.fail = False
    with reads_fresh_after(T0.timestamp() + 1):
        assert gateway.retrieve("charge", "ch_2")["id"] == "ch_2"
    assert inner.calls["retrieve ch_2"] == 2


def test_a_primed_object_serves_a_retrieve_that_needs_it_no_fresher() -> None:
    gateway, inner, _ = reads()
    listed_at = T0.timestamp()
    gateway.prime("customer", {"id": "cus_1", "object": "customer", "name": "A"}, listed_at)
    with reads_fresh_after(listed_at):
        assert gateway.retrieve("customer", "cus_1")["name"] == "A"
    with reads_fresh_after(listed_at + 1):
        assert "name" not in gateway.retrieve("customer", "cus_1")
    assert inner.calls["retrieve cus_1"] == 1
