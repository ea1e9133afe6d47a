"""The batch writer against the fake QBO: order kept, per-item faults translated, replay safe,
paced under the batch limits whichever way QBO counts a batch's payloads."""

from __future__ import annotations

import pytest

from local_emulator.fakes.qbo import FakeQbo, ThrottleLimits
from shared.adapters.qbo_batch import (
    BATCH_REQUEST_ID_MAX,
    BatchItem,
    QboBatchWriter,
    batch_request_id,
)
from shared.adapters.rate_limiter import RateLimiter
from shared.errors import DuplicateNameError, SyncError, ThrottledError
from tests.functional.qbo_fixtures import qbo_env


def _no_sleep(seconds: float) -> None:
    return None


def _customers(count: int, prefix: str = "Batch") -> list[tuple[str, dict[str, object]]]:
    return [(f"cus_{prefix}{i}", {"DisplayName": f"{prefix} customer {i}"}) for i in range(count)]


def test_many_creates_go_in_batches_of_thirty_in_input_order() -> None:
    with qbo_env() as env:
        writer = QboBatchWriter(env.gateway, parallel=2)
        results = writer.create_many("Customer", _customers(65))
        assert writer.batches_sent == 3
        assert env.fake.request_counts()["batch"] == 3
        names = [r["DisplayName"] for r in results if not isinstance(r, SyncError)]
        assert names == [f"Batch customer {i}" for i in range(65)]
        assert len(env.server.state_json()["Customer"]) == 65


def test_a_failing_item_carries_its_translated_error_and_the_others_succeed() -> None:
    with qbo_env() as env:
        env.gateway.create("Customer", {"DisplayName": "Batch customer 1"}, "pre-existing")
        results = QboBatchWriter(env.gateway).create_many("Customer", _customers(3))
        assert isinstance(results[1], DuplicateNameError)
        assert not isinstance(results[0], SyncError)
        assert not isinstance(results[2], SyncError)


def test_the_same_items_again_replay_instead_of_creating_twice() -> None:
    with qbo_env() as env:
        writer = QboBatchWriter(env.gateway)
        first = writer.create_many("Customer", _customers(5))
        again = writer.create_many("Customer", _customers(5))
        assert [r["Id"] for r in again] == [r["Id"] for r in first]  # type: ignore[index]
        assert len(env.server.state_json()["Customer"]) == 5
        assert env.fake.request_counts()["replayed"] == 1


def test_request_ids_fit_qbo_and_arguments_are_checked() -> None:
    assert len(batch_request_id(["cus_1", "cus_2"])) == BATCH_REQUEST_ID_MAX
    assert batch_request_id(["a"]) != batch_request_id(["b"])
    with qbo_env() as env:
        with pytest.raises(ValueError, match="not a QBO entity"):
            QboBatchWriter(env.gateway).create_many("Nonsense", [])
        with pytest.raises(ValueError, match="batch_size"):
            QboBatchWriter(env.gateway, batch_size=31)


def test_a_refused_batch_is_sent_again_under_the_same_requestid() -> None:
    with qbo_env() as env:
        env.fake.faults.force("qbo_5xx")
        writer = QboBatchWriter(env.gateway, sleep=_no_sleep)
        results = writer.create_many("Customer", _customers(4))
        assert not any(isinstance(r, SyncError) for r in results)
        assert writer.batches_retried == 1
        assert len(env.server.state_json()["Customer"]) == 4


def test_a_batch_refused_every_time_gives_every_item_the_error_and_nothing_is_written() -> None:
    with qbo_env() as env:
        env.fake.faults.force("qbo_429", times=4)
        writer = QboBatchWriter(env.gateway, retries=3, sleep=_no_sleep)
        results = writer.create_many("Customer", _customers(4))
        assert all(isinstance(r, ThrottledError) for r in results)
        assert "Customer" not in env.server.state_json()


def test_one_batch_may_mix_entities() -> None:
    with qbo_env() as env:
        items = [
            BatchItem("Customer", {"DisplayName": "Mixed customer"}, "cus_mix"),
            BatchItem("Item", {"Name": "Mixed item", "IncomeAccountRef": {"value": "1"}}, "it"),
        ]
        first, second = QboBatchWriter(env.gateway).send(items)
        assert not isinstance(first, SyncError) and first["DisplayName"] == "Mixed customer"
        assert not isinstance(second, SyncError) and second["Name"] == "Mixed item"
        with pytest.raises(ValueError, match=r"1\.\.30"):
            QboBatchWriter(env.gateway).send([])


# A realm whose minute is 0.5 s long and holds 60 requests: three full batches are 90 payloads.
SMALL = ThrottleLimits(requests_per_minute=60, batch_counting="items")


def test_counting_payloads_keeps_the_writer_under_a_realm_that_counts_them() -> None:
    fake = FakeQbo(limits=SMALL, time_scale=120)
    limiter = RateLimiter(60, 10, window_seconds=0.5)
    with qbo_env(fake, limiter=limiter) as env:
        writer = QboBatchWriter(env.gateway, parallel=1, items_count=True, sleep=_no_sleep)
        results = writer.create_many("Customer", _customers(90))
        assert not any(isinstance(r, SyncError) for r in results)
        assert fake.request_counts().get("throttled", 0) == 0


def test_a_writer_that_counts_batches_once_is_refused_by_a_realm_that_counts_payloads() -> None:
    fake = FakeQbo(limits=SMALL, time_scale=120)
    limiter = RateLimiter(60, 10, window_seconds=0.5)
    with qbo_env(fake, limiter=limiter) as env:
        writer = QboBatchWriter(
            env.gateway, parallel=1, items_count=False, retries=0, sleep=_no_sleep
        )
        results = writer.create_many("Customer", _customers(90))
        refused = [r for r in results if isinstance(r, ThrottledError)]
        assert len(refused) == 30  # the third batch: 90 payloads in a window of 60
        assert fake.request_counts()["throttled"] == 1
