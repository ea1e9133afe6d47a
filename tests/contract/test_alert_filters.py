"""The alerts fire on what the code logs, and only then: every log-based metric's filter, as
Terraform computes it with the default thresholds, evaluated on the log lines the code writes in
a healthy state and in the state the alert is for (sync lag over 10 minutes, more than 5 syncs
pending for 10 minutes, success rate under 95% over a day, no success for 24 hours while syncs
wait, an object FAILED after its retries, the webhook refusing at ERROR).

The evaluator covers the subset of the Logging query language the filters use: a conjunction of
``field=value``, ``field=("a" OR "b")``, ``field op number`` (numeric comparison), ``severity>=X``
and ``field:*`` (present)."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from shared.adapters.duckdb_warehouse import DuckDbWarehouse
from shared.errors import InfrastructureError, InvalidSignatureError
from shared.http import refuse
from shared.logging import JsonFormatter, get_logger, log_event
from shared.services.health import log_health, read_health
from tests.contract.terraform_support import evaluate, terraform_binary

SEVERITIES = ["DEFAULT", "DEBUG", "INFO", "NOTICE", "WARNING", "ERROR", "CRITICAL", "ALERT"]
TFVARS = {"project_id": "acme-books", "qbo_realm_id": "9130355555555555", "tax_rates": {}}
Entry = dict[str, Any]


@pytest.fixture(scope="module")
def filters(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    metrics = evaluate(
        "local.log_metrics", tmp_path_factory.mktemp("metrics"), TFVARS, terraform_binary()
    )
    return {name: str(metric["filter"]) for name, metric in metrics.items()}


def _value(entry: Entry, path: str) -> Any:
    node: Any = entry
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _term(entry: Entry, term: str) -> bool:
    term = term.strip()
    if term.endswith(":*"):
        return _value(entry, term[:-2]) is not None
    parsed = re.fullmatch(r"([\w.]+)\s*(>=|<=|!=|=|>|<)\s*(.+)", term)
    assert parsed, f"a term the evaluator does not know: {term}"
    field, op, raw = parsed.groups()
    value = _value(entry, field)
    if field == "severity":
        return SEVERITIES.index(str(value)) >= SEVERITIES.index(raw) if op == ">=" else False
    if raw.startswith("("):
        options = [json.loads(o) for o in raw.strip("()").split(" OR ")]
        return op == "=" and value in options
    if raw.startswith('"'):
        return op == "=" and value == json.loads(raw)
    if not isinstance(value, int | float) or isinstance(value, bool):
        return False
    number = float(raw)
    return {
        ">": value > number, ">=": value >= number, "<": value < number, "<=": value <= number,
        "=": value == number, "!=": value != number,
    }[op]  # fmt: skip


def matches(filter_text: str, entry: Entry) -> bool:
    return all(_term(entry, term) for term in filter_text.split(" AND "))


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """The functions' JSON log lines, as Cloud Logging would receive them."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger("sync")
    get_logger("x")
    root.addHandler(handler)
    yield stream
    root.removeHandler(handler)


def entries(stream: io.StringIO, service: str) -> list[Entry]:
    """Log lines as LogEntries of one Cloud Run service (JSON payload, severity lifted)."""
    lines = [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]
    return [
        {
            "resource": {"type": "cloud_run_revision", "labels": {"service_name": service}},
            "severity": line.get("severity", "DEFAULT"),
            "jsonPayload": line,
        }
        for line in lines
    ]


def fired(filters: dict[str, str], found: list[Entry]) -> set[str]:
    return {name for name, text in filters.items() if any(matches(text, e) for e in found)}


# --- health: lag, pending, success rate, no success -------------------------------------------

NOW = datetime.now(UTC)


def event(n: int, received: datetime) -> dict[str, Any]:
    return {"event_id": f"evt_{n}", "event_type": "invoice.finalized", "object_type": "invoice",
            "object_id": f"in_{n}", "created": received, "received_at": received,
            "source": "webhook", "payload": {"id": f"evt_{n}"}}  # fmt: skip


def attempt(n: int, outcome: str, at: datetime) -> dict[str, Any]:
    return {"log_id": f"l{n}-{outcome}-{at.timestamp()}", "object_id": f"in_{n}",
            "object_type": "invoice", "operation": "sync_invoice", "outcome": outcome,
            "attempt": 1, "recorded_at": at}  # fmt: skip


def health_lines(
    tmp_path: Path, captured: io.StringIO, events: list[Any], log: list[Any]
) -> list[Entry]:
    warehouse = DuckDbWarehouse(str(tmp_path / "w.duckdb"))
    warehouse.ensure_schema()
    if events:
        warehouse.append("stripe_events", events)
    if log:
        warehouse.append("sync_log", log)
    log_health(read_health(warehouse, lag_minutes=10))
    warehouse.close()
    return entries(captured, "sync-health")


HEALTH_ALERTS = {"sync_lag", "syncs_pending", "success_rate_low", "no_success"}


def test_a_healthy_sync_fires_nothing(
    filters: dict[str, str], tmp_path: Path, captured: io.StringIO
) -> None:
    recent = [event(n, NOW - timedelta(minutes=3)) for n in range(3)]
    done = [attempt(n, "COMPLETED", NOW - timedelta(minutes=2)) for n in range(3)]
    older = [attempt(9, "COMPLETED", NOW - timedelta(hours=30))]
    found = health_lines(tmp_path, captured, recent, done + older)
    assert fired(filters, found) == {"health_probes"}


def test_lag_and_pending(filters: dict[str, str], tmp_path: Path, captured: io.StringIO) -> None:
    # Six syncs waiting 12 minutes (more than 5 pending for over 10 minutes: lag too); recent
    # successes keep the rate and the last success fine.
    waiting = [event(n, NOW - timedelta(minutes=12)) for n in range(6)]
    done = [attempt(n, "COMPLETED", NOW - timedelta(minutes=1)) for n in range(20, 40)]
    found = health_lines(tmp_path, captured, waiting, done)
    assert fired(filters, found) & HEALTH_ALERTS == {"sync_lag", "syncs_pending"}
    assert found[-1]["jsonPayload"]["lagging_syncs"] == 6


def test_five_waiting_is_lag_but_not_yet_too_many(
    filters: dict[str, str], tmp_path: Path, captured: io.StringIO
) -> None:
    waiting = [event(n, NOW - timedelta(minutes=12)) for n in range(5)]
    done = [attempt(n, "COMPLETED", NOW - timedelta(minutes=1)) for n in range(20, 40)]
    found = health_lines(tmp_path, captured, waiting, done)
    assert fired(filters, found) & HEALTH_ALERTS == {"sync_lag"}


def test_success_rate_under_95_percent_over_a_day(
    filters: dict[str, str], tmp_path: Path, captured: io.StringIO
) -> None:
    at = NOW - timedelta(hours=3)
    log = [attempt(n, "COMPLETED", at) for n in range(18)] + [
        attempt(n, "FAILED", at) for n in range(18, 20)
    ]  # 90 %
    log += [attempt(n, "RETRY", at) for n in range(40, 60)]  # retries are not outcomes
    log += [attempt(n, "FAILED", NOW - timedelta(days=2)) for n in range(60, 90)]  # last week
    found = health_lines(tmp_path, captured, [], log)
    assert fired(filters, found) & HEALTH_ALERTS == {"success_rate_low"}
    assert found[-1]["jsonPayload"]["success_rate"] == 0.9


def test_no_success_for_a_day_while_syncs_wait(
    filters: dict[str, str], tmp_path: Path, captured: io.StringIO
) -> None:
    waiting = [event(1, NOW - timedelta(hours=25))]
    log = [attempt(2, "COMPLETED", NOW - timedelta(hours=25))]
    found = health_lines(tmp_path, captured, waiting, log)
    assert {"no_success", "sync_lag"} <= fired(filters, found)


def test_a_quiet_day_is_not_an_outage(
    filters: dict[str, str], tmp_path: Path, captured: io.StringIO
) -> None:
    log = [attempt(2, "COMPLETED", NOW - timedelta(hours=30))]
    assert fired(filters, health_lines(tmp_path, captured, [], log)) == {"health_probes"}


# --- worker and webhook ------------------------------------------------------------------------


def test_failed_after_retries_and_only_then(filters: dict[str, str], captured: io.StringIO) -> None:
    worker = get_logger("sync_worker")
    log_event(worker, logging.INFO, "sync done", outcome="COMPLETED", object_id="in_1", attempt=1)
    log_event(worker, logging.WARNING, "sync refused", outcome="RETRY", attempt=2)
    assert fired(filters, entries(captured, "sync-worker")) == set()
    log_event(worker, logging.ERROR, "sync done", outcome="FAILED", object_id="in_2", attempt=1)
    assert fired(filters, entries(captured, "sync-worker")) == {"sync_failed"}


def test_the_webhook_refusing_at_error_and_only_then(
    filters: dict[str, str], captured: io.StringIO
) -> None:
    logger = get_logger("stripe_webhook")
    # A passing outage (Stripe retries) and a body that is not Stripe's: no alert.
    refuse(
        logger,
        "webhook",
        InfrastructureError("archive failed", code="archive_failed", needs_person=False),
    )
    refuse(logger, "webhook", InvalidSignatureError("no signature matched"))
    assert fired(filters, entries(captured, "stripe-webhook")) == set()
    refuse(
        logger,
        "webhook",
        InfrastructureError("queue refused", code="enqueue_failed"),  # PermissionDenied
    )
    assert fired(filters, entries(captured, "stripe-webhook")) == {"webhook_errors"}
