"""The embedded DuckDB warehouse running the repository's BigQuery DDL and views."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from shared.adapters.duckdb_warehouse import DuckDbWarehouse
from shared.errors import PermanentError

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def warehouse(tmp_path: Path) -> Iterator[DuckDbWarehouse]:
    wh = DuckDbWarehouse(str(tmp_path / "nested" / "warehouse.duckdb"))
    yield wh
    wh.close()


def link(
    object_id: str, status: str, at: datetime, attempt: int = 1, **extra: Any
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "stripe_object_id": object_id,
        "stripe_object_type": "invoice",
        "qbo_entity_type": "Invoice",
        "status": status,
        "attempt": attempt,
        "recorded_at": at,
    }
    row.update(extra)
    return row


def test_ddl_applies_twice_on_the_same_file(tmp_path: Path) -> None:
    path = str(tmp_path / "w.duckdb")
    first = DuckDbWarehouse(path)
    first.append("sync_links", [link("in_1", "COMPLETED", T0)])
    first.close()
    second = DuckDbWarehouse(path)
    second.ensure_schema()
    assert second.query("SELECT COUNT(*) AS n FROM sync_links") == [{"n": 1}]
    second.close()
    assert (tmp_path / "w.duckdb").exists()


def test_round_trip_keeps_decimal_json_and_timestamps(tmp_path: Path) -> None:
    ddl = tmp_path / "ddl"
    ddl.mkdir()
    (ddl / "001_money.sql").write_text(
        "CREATE TABLE IF NOT EXISTS money (id STRING, amount NUMERIC, at TIMESTAMP, "
        "day DATE, doc JSON, tags ARRAY<STRING>) PARTITION BY day;",
        encoding="utf-8",
    )
    wh = DuckDbWarehouse(":memory:", ddl_dir=ddl)
    plus_two = timezone(timedelta(hours=2))
    wh.append(
        "money",
        [
            {
                "id": "a",
                "amount": Decimal("12345678901234.123456789"),
                "at": datetime(2026, 3, 1, 14, 0, tzinfo=plus_two),
                "day": date(2026, 3, 1),
                "doc": {"id": "in_1", "lines": [{"amount": 1250}], "rate": Decimal("0.15")},
                "tags": ["x", "y"],
            },
            {"id": "b", "amount": 7, "doc": '{"already": "json"}'},
        ],
    )
    rows = wh.query("SELECT * FROM money ORDER BY id")
    assert rows[0]["amount"] == Decimal("12345678901234.123456789")
    assert isinstance(rows[0]["amount"], Decimal)
    assert rows[0]["at"] == T0
    assert rows[0]["at"].tzinfo is UTC
    assert rows[0]["day"] == date(2026, 3, 1)
    assert rows[0]["doc"] == {"id": "in_1", "lines": [{"amount": 1250}], "rate": "0.15"}
    assert rows[0]["tags"] == ["x", "y"]
    assert rows[1]["amount"] == Decimal("7.000000000")
    assert rows[1]["doc"] == {"already": "json"}
    assert rows[1]["at"] is None

    summed = wh.query(
        "SELECT SUM(amount) AS total, JSON_VALUE(ANY_VALUE(doc), '$.id') AS first_id "
        "FROM money WHERE id = @id",
        {"id": "a"},
    )
    assert summed == [{"total": Decimal("12345678901234.123456789"), "first_id": "in_1"}]
    wh.close()


def test_float_into_numeric_is_refused(tmp_path: Path) -> None:
    ddl = tmp_path / "ddl"
    ddl.mkdir()
    (ddl / "001_m.sql").write_text("CREATE TABLE IF NOT EXISTS m (amount NUMERIC);", "utf-8")
    wh = DuckDbWarehouse(":memory:", ddl_dir=ddl)
    with pytest.raises(PermanentError):
        wh.append("m", [{"amount": 0.1}])
    wh.close()


def test_event_archive_and_latest_view(warehouse: DuckDbWarehouse) -> None:
    event = {"id": "evt_1", "type": "invoice.paid", "data": {"object": {"id": "in_1"}}}
    base = {
        "event_id": "evt_1",
        "event_type": "invoice.paid",
        "object_type": "invoice",
        "object_id": "in_1",
        "livemode": False,
        "created": T0,
        "payload": event,
    }
    warehouse.append(
        "stripe_events",
        [
            {**base, "received_at": T0 + timedelta(seconds=1), "source": "webhook"},
            {**base, "received_at": T0 + timedelta(hours=1), "source": "catch_up"},
        ],
    )
    rows = warehouse.query(
        "SELECT * FROM stripe_events_latest WHERE event_id = @id", {"id": "evt_1"}
    )
    assert len(rows) == 1
    assert rows[0]["source"] == "catch_up"
    assert rows[0]["first_received_at"] == T0 + timedelta(seconds=1)
    assert rows[0]["times_received"] == 2
    assert rows[0]["payload"] == event
    paid = warehouse.query(
        "SELECT JSON_VALUE(payload, '$.data.object.id') AS object_id FROM stripe_events_latest "
        "WHERE event_type = @type AND received_at >= @since",
        {"type": "invoice.paid", "since": T0},
    )
    assert paid == [{"object_id": "in_1"}]


def test_current_link_is_the_latest_row_and_failures_view(warehouse: DuckDbWarehouse) -> None:
    warehouse.append(
        "sync_links",
        [
            link("in_1", "IN_PROGRESS", T0),
            link("in_1", "COMPLETED", T0 + timedelta(seconds=5), qbo_entity_id="42"),
            link("in_2", "IN_PROGRESS", T0),
            link(
                "in_2",
                "FAILED",
                T0 + timedelta(seconds=1),
                last_error_class="MappingGapError",
                last_error_code="mapping_gap",
                last_error="no rule for tax rate txr_1",
            ),
            # Same instant: the higher attempt wins.
            link("in_3", "FAILED", T0, attempt=1, last_error_code="validation"),
            link("in_3", "COMPLETED", T0, attempt=2, qbo_entity_id="43"),
            # Another entity type for the same object is its own link.
            link("in_1", "FAILED", T0 + timedelta(seconds=9), qbo_entity_type="Payment"),
        ],
    )
    current = warehouse.query(
        "SELECT stripe_object_id, qbo_entity_type, status, qbo_entity_id FROM sync_links_current "
        "ORDER BY stripe_object_id, qbo_entity_type"
    )
    assert current == [
        {
            "stripe_object_id": "in_1",
            "qbo_entity_type": "Invoice",
            "status": "COMPLETED",
            "qbo_entity_id": "42",
        },
        {
            "stripe_object_id": "in_1",
            "qbo_entity_type": "Payment",
            "status": "FAILED",
            "qbo_entity_id": None,
        },
        {
            "stripe_object_id": "in_2",
            "qbo_entity_type": "Invoice",
            "status": "FAILED",
            "qbo_entity_id": None,
        },
        {
            "stripe_object_id": "in_3",
            "qbo_entity_type": "Invoice",
            "status": "COMPLETED",
            "qbo_entity_id": "43",
        },
    ]
    failures = warehouse.query(
        "SELECT stripe_object_id, qbo_entity_type, error_class, error_code, error_message, "
        "failed_at FROM sync_failures ORDER BY stripe_object_id, qbo_entity_type"
    )
    assert [(f["stripe_object_id"], f["qbo_entity_type"]) for f in failures] == [
        ("in_1", "Payment"),
        ("in_2", "Invoice"),
    ]
    assert failures[1]["error_class"] == "MappingGapError"
    assert failures[1]["error_code"] == "mapping_gap"
    assert failures[1]["error_message"] == "no rule for tax rate txr_1"
    assert failures[1]["failed_at"] == T0 + timedelta(seconds=1)


def test_row_ids_skip_rows_inserted_before(warehouse: DuckDbWarehouse) -> None:
    warehouse.append("sync_log", [log_row("l1"), log_row("l2")], row_ids=["l1", "l2"])
    warehouse.append(
        "sync_log", [log_row("l2"), log_row("l3"), log_row("l3")], row_ids=["l2", "l3", "l3"]
    )
    warehouse.append("sync_log", [log_row("l1")], row_ids=["l1"])
    rows = warehouse.query("SELECT log_id FROM sync_log ORDER BY log_id")
    assert [r["log_id"] for r in rows] == ["l1", "l2", "l3"]
    # Without ids nothing is de-duplicated (as BigQuery without insertId).
    warehouse.append("sync_log", [log_row("l1")])
    assert warehouse.query("SELECT COUNT(*) AS n FROM sync_log") == [{"n": 4}]


def test_a_failed_append_does_not_remember_its_row_ids(warehouse: DuckDbWarehouse) -> None:
    bad = log_row("l1")
    bad.pop("outcome")  # NOT NULL column
    with pytest.raises(PermanentError):
        warehouse.append("sync_log", [bad], row_ids=["l1"])
    warehouse.append("sync_log", [log_row("l1")], row_ids=["l1"])
    assert warehouse.query("SELECT COUNT(*) AS n FROM sync_log") == [{"n": 1}]


def test_bad_rows_and_bad_queries_are_permanent(warehouse: DuckDbWarehouse) -> None:
    with pytest.raises(PermanentError):
        warehouse.append("sync_log", [{**log_row("x"), "no_such_column": 1}])
    with pytest.raises(PermanentError):
        warehouse.append("no_such_table", [{"a": 1}])
    with pytest.raises(PermanentError) as refused:
        warehouse.append("sync_log", [{**log_row("x"), "duration_ms": "Jane Doe"}])
    assert "Jane" not in refused.value.message  # offending values may be personal data
    with pytest.raises(PermanentError):
        warehouse.query("SELECT * FROM sync_log WHERE log_id = @missing")
    with pytest.raises(PermanentError):
        warehouse.query("SELECT no_such_column FROM sync_log")
    with pytest.raises(PermanentError):
        warehouse.append("sync_log", [log_row("x")], row_ids=["a", "b"])


def test_unused_parameters_are_ignored(warehouse: DuckDbWarehouse) -> None:
    assert warehouse.query("SELECT @a AS a", {"a": 1, "unused": 2}) == [{"a": 1}]


def test_array_parameter_with_unnest(warehouse: DuckDbWarehouse) -> None:
    warehouse.append("sync_log", [log_row("l1"), log_row("l2"), log_row("l3")])
    rows = warehouse.query(
        "SELECT log_id FROM sync_log WHERE log_id IN UNNEST(@ids) ORDER BY log_id",
        {"ids": ["l1", "l3"]},
    )
    assert [r["log_id"] for r in rows] == ["l1", "l3"]


def test_concurrent_appends_from_threads(warehouse: DuckDbWarehouse) -> None:
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            for i in range(25):
                log_id = f"w{worker}-{i}"
                warehouse.append("sync_log", [log_row(log_id)], row_ids=[log_id])
                warehouse.query(
                    "SELECT COUNT(*) AS n FROM sync_log WHERE log_id = @id", {"id": log_id}
                )
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert warehouse.query("SELECT COUNT(DISTINCT log_id) AS n, COUNT(*) AS m FROM sync_log") == [
        {"n": 200, "m": 200}
    ]


def log_row(log_id: str) -> dict[str, Any]:
    return {
        "log_id": log_id,
        "correlation_id": "c1",
        "task_name": "t1",
        "object_id": "in_1",
        "operation": "sync_invoice",
        "outcome": "COMPLETED",
        "duration_ms": 12,
        "attempt": 1,
        "recorded_at": T0,
    }


def test_schema_changes_through_query_are_seen_by_append(warehouse: DuckDbWarehouse) -> None:
    warehouse.query("CREATE TABLE IF NOT EXISTS extra (a STRING) CLUSTER BY a")
    warehouse.append("extra", [{"a": "x"}])
    warehouse.query("ALTER TABLE extra ADD COLUMN IF NOT EXISTS b NUMERIC")
    warehouse.append("extra", [{"a": "y", "b": Decimal("1.25")}])
    rows = warehouse.query("SELECT a, b FROM extra ORDER BY a")
    assert rows == [{"a": "x", "b": None}, {"a": "y", "b": Decimal("1.250000000")}]
