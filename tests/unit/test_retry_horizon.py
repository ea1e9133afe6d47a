"""Cloud Tasks' rule for giving a task up: both the attempts and the retry duration used."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shared.domain.retries import ENQUEUED_AT, RetryHorizon, enqueued_at, stamped

T0 = datetime(2026, 3, 1, tzinfo=UTC)
DAYS_3 = timedelta(days=3)


def test_both_limits_must_be_reached() -> None:
    horizon = RetryHorizon(20, DAYS_3)
    assert not horizon.exhausted(19, T0, T0 + timedelta(days=30))  # attempts left
    assert not horizon.exhausted(20, T0, T0 + timedelta(hours=2))  # an outage of hours: go on
    assert not horizon.exhausted(400, T0, T0 + DAYS_3 - timedelta(seconds=1))
    assert horizon.exhausted(20, T0, T0 + DAYS_3)
    assert horizon.exhausted(432, T0, T0 + DAYS_3 + timedelta(minutes=10))


def test_unlimited_attempts_or_no_age_limit() -> None:
    assert not RetryHorizon(-1, DAYS_3).exhausted(10_000, T0, T0 + timedelta(days=31))
    assert not RetryHorizon(-1, timedelta(0)).exhausted(10_000, T0, T0 + timedelta(days=31))
    assert RetryHorizon(20, timedelta(0)).exhausted(20, T0, T0)  # attempts alone decide


def test_without_a_first_time_the_attempts_decide() -> None:
    """Tasks enqueued before payloads carried the time: the worker records the last attempt
    when Cloud Tasks might drop it, rather than lose it."""
    assert RetryHorizon(20, DAYS_3).exhausted(20, None, T0)
    assert not RetryHorizon(20, DAYS_3).exhausted(19, None, T0)


def test_payload_stamp_round_trips_and_is_kept_along_a_chain() -> None:
    payload = stamped({"object_id": "in_1"}, T0 + timedelta(microseconds=7))
    assert payload[ENQUEUED_AT] == "2026-03-01T00:00:00+00:00"
    assert enqueued_at(payload) == T0
    assert stamped(payload, T0 + DAYS_3) == payload  # a follow-up keeps the chain's start
    assert enqueued_at({}) is None
    assert enqueued_at({ENQUEUED_AT: "yesterday"}) is None
    assert enqueued_at({ENQUEUED_AT: 5}) is None
    assert enqueued_at({ENQUEUED_AT: "2026-03-01T00:00:00"}) == T0  # naive: UTC
