"""The analysts' views (bigquery_ddl/030_analyst_views.sql) on the embedded warehouse."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from shared.adapters.duckdb_warehouse import DuckDbWarehouse
from shared.domain.routing import HANDLED_EVENT_TYPES

T = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
VIEWS = Path(__file__).resolve().parents[2] / "bigquery_ddl" / "030_analyst_views.sql"


@pytest.fixture
def warehouse() -> Iterator[DuckDbWarehouse]:
    w = DuckDbWarehouse(":memory:")
    w.ensure_schema()
    yield w
    w.close()


def event(event_id: str, event_type: str, object_id: str, at: datetime) -> dict[str, Any]:
    return {
        "event_id": event_id, "event_type": event_type, "object_type": "invoice",
        "object_id": object_id, "created": at, "received_at": at + timedelta(seconds=1),
        "source": "webhook", "payload": {"id": event_id},
    }  # fmt: skip


def link(object_id: str, event_id: str, at: datetime, status: str = "COMPLETED") -> dict[str, Any]:
    return {
        "stripe_object_id": object_id, "stripe_object_type": "invoice",
        "qbo_entity_type": "Invoice", "qbo_entity_id": "1", "status": status,
        "attempt": 1, "event_id": event_id, "recorded_at": at,
        "last_error_class": "MappingGapError" if status == "FAILED" else None,
        "last_error_code": "no_number" if status == "FAILED" else None,
    }  # fmt: skip


def attempt(object_id: str, outcome: str, at: datetime) -> dict[str, Any]:
    return {
        "log_id": f"{object_id}-{outcome}-{at.timestamp()}", "object_id": object_id,
        "object_type": "invoice", "operation": "sync_invoice", "outcome": outcome,
        "attempt": 1, "recorded_at": at,
    }  # fmt: skip


def test_every_synced_event_type_is_watched_for_pending() -> None:
    text = VIEWS.read_text(encoding="utf-8")
    direct = [t for t, (_, field) in HANDLED_EVENT_TYPES.items() if field is None]
    assert [t for t in direct if f"'{t}'" not in text] == []


def test_pending_failed_lag_and_success(warehouse: DuckDbWarehouse) -> None:
    warehouse.append(
        "stripe_events",
        [
            event("evt_1", "invoice.finalized", "in_1", T),
            event("evt_2", "invoice.finalized", "in_2", T + timedelta(minutes=1)),
            event("evt_3", "invoice.finalized", "in_3", T + timedelta(minutes=2)),
            event("evt_4", "invoice.created", "in_4", T),  # a draft: never synced
        ],
    )
    warehouse.append(
        "sync_links",
        [
            link("in_1", "evt_1", T + timedelta(seconds=4)),
            link("in_2", "evt_2", T + timedelta(minutes=1, seconds=30), "FAILED"),
        ],
    )
    warehouse.append(
        "sync_log",
        [
            attempt("in_1", "COMPLETED", T + timedelta(seconds=4)),
            attempt("in_2", "RETRY", T + timedelta(minutes=1, seconds=10)),
            attempt("in_2", "FAILED", T + timedelta(minutes=1, seconds=30)),
            attempt("in_3", "RETRY", T + timedelta(minutes=2, seconds=5)),
        ],
    )
    pending = warehouse.query("SELECT object_id, retries FROM analyst_pending_syncs")
    assert pending == [{"object_id": "in_3", "retries": 1}]
    failed = warehouse.query("SELECT object_id, error_code FROM analyst_failed_syncs")
    assert failed == [{"object_id": "in_2", "error_code": "no_number"}]
    reasons = warehouse.query("SELECT * FROM analyst_failures_by_reason")
    assert [(r["error_class"], r["failed_objects"]) for r in reasons] == [("MappingGapError", 1)]
    (lag,) = warehouse.query("SELECT * FROM analyst_sync_lag_daily")
    assert lag["day"] == date(2026, 1, 5) and lag["events"] == 1 and lag["p50_seconds"] == 4
    (rate,) = warehouse.query("SELECT * FROM analyst_success_rate_daily")
    assert (rate["completed"], rate["failed"], rate["retried"]) == (1, 1, 2)
    assert rate["success_rate"] == 0.5


def test_ar_by_customer_shows_the_latest_run(warehouse: DuckDbWarehouse) -> None:
    def row(run: str, at: datetime, qbo: str) -> dict[str, Any]:
        return {
            "run_id": run, "stripe_customer_id": "cus_A", "qbo_customer_id": "7",
            "currency": "USD", "stripe_open": Decimal("100.00"), "qbo_open": Decimal(qbo),
            "as_of": at,
        }  # fmt: skip

    warehouse.append("ar_balances", [row("r1", T, "90.00"), row("r2", T + timedelta(1), "100")])
    (latest,) = warehouse.query("SELECT * FROM analyst_ar_by_customer")
    assert latest["qbo_open"] == Decimal("100") and latest["difference"] == 0


def test_payout_reconciliation_view(warehouse: DuckDbWarehouse) -> None:
    base = {
        "payout_id": "po_1", "currency": "USD", "arrival_date": date(2026, 1, 7),
        "amount": Decimal("96.80"), "deposit_id": "5", "status": "MISMATCH",
        "difference": Decimal("1.00"), "components": {"balance_transactions": 1},
    }  # fmt: skip
    warehouse.append(
        "payout_reconciliations",
        [
            {**base, "checked_at": T},
            {
                **base,
                "status": "BALANCED",
                "difference": Decimal(0),
                "checked_at": T + timedelta(1),
            },
        ],
    )
    rows = warehouse.query("SELECT payout_id, status FROM analyst_payout_reconciliation")
    assert rows == [{"payout_id": "po_1", "status": "BALANCED"}]
