"""The batch writer against the fake QBO: order kept, per-item faults translated, replay safe."""

from __future__ import annotations

import pytest

from shared.adapters.qbo_batch import BATCH_REQUEST_ID_MAX, QboBatchWriter, batch_request_id
from shared.errors import DuplicateNameError, SyncError, ThrottledError
from tests.functional.qbo_fixtures import qbo_env


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


def test_a_refused_batch_gives_every_item_the_error_and_nothing_is_written() -> None:
    with qbo_env() as env:
        env.fake.faults.force("qbo_429")
        results = QboBatchWriter(env.gateway).create_many("Customer", _customers(4))
        assert all(isinstance(r, ThrottledError) for r in results)
        assert "Customer" not in env.server.state_json()
