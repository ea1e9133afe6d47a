"""What the reconciliation report shows, read from the warehouse's analyst views."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from shared.ports import Warehouse

PAYOUTS_SQL = """
SELECT payout_id, currency, arrival_date, amount, deposit_id, deposit_amount, status, difference
FROM analyst_payout_reconciliation
ORDER BY arrival_date, payout_id
"""
LAG_SQL = "SELECT * FROM analyst_sync_lag_daily ORDER BY day"
SUCCESS_SQL = "SELECT * FROM analyst_success_rate_daily ORDER BY day"
FAILURES_SQL = """
SELECT error_class, error_code, failed_objects FROM analyst_failures_by_reason
ORDER BY failed_objects DESC, error_class, error_code
"""
FINDINGS_SQL = """
SELECT kind, severity, stripe_object_id, qbo_entity_type, qbo_entity_id, currency, difference,
       detail, found_at
FROM reconciliation_findings_open
ORDER BY CASE severity WHEN 'CRITICAL' THEN 0 WHEN 'HIGH' THEN 1 WHEN 'MEDIUM' THEN 2 ELSE 3 END,
         kind, stripe_object_id
"""
PENDING_SQL = "SELECT COUNT(*) AS n FROM analyst_pending_syncs"
RUNS_SQL = "SELECT run_id, finished_at FROM reconcile_runs ORDER BY finished_at DESC LIMIT 1"


@dataclass(frozen=True)
class PayoutRow:
    payout_id: str
    currency: str
    arrival_date: date
    amount: Decimal
    deposit_amount: Decimal | None
    status: str
    difference: Decimal | None


@dataclass(frozen=True)
class DailyLag:
    day: date
    events: int
    p50_seconds: float
    p95_seconds: float
    pipeline_p50_seconds: float
    pipeline_p95_seconds: float


@dataclass(frozen=True)
class DailySuccess:
    day: date
    attempts: int
    completed: int
    failed: int
    retried: int
    success_rate: float | None


@dataclass(frozen=True)
class FindingRow:
    kind: str
    severity: str
    stripe_object_id: str | None
    qbo_entity: str | None
    currency: str | None
    difference: Decimal | None
    detail: str | None


@dataclass
class ReportData:
    generated_at: datetime
    payouts: list[PayoutRow] = field(default_factory=list)
    lag: list[DailyLag] = field(default_factory=list)
    success: list[DailySuccess] = field(default_factory=list)
    failures: list[tuple[str, int]] = field(default_factory=list)
    findings: list[FindingRow] = field(default_factory=list)
    pending: int = 0
    last_reconcile: datetime | None = None

    @property
    def mismatched(self) -> int:
        return sum(1 for p in self.payouts if p.status != "BALANCED")

    @property
    def failed_objects(self) -> int:
        return sum(n for _, n in self.failures)


def _dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def load_report_data(warehouse: Warehouse, generated_at: datetime) -> ReportData:
    """Everything the report needs, in a handful of queries over the analyst views."""
    data = ReportData(generated_at)
    data.payouts = [
        PayoutRow(
            str(r["payout_id"]),
            str(r["currency"]),
            r["arrival_date"],
            Decimal(str(r["amount"])),
            _dec(r["deposit_amount"]),
            str(r["status"]),
            _dec(r["difference"]),
        )
        for r in warehouse.query(PAYOUTS_SQL)
    ]
    data.lag = [
        DailyLag(
            r["day"],
            int(r["events"]),
            float(r["p50_seconds"]),
            float(r["p95_seconds"]),
            float(r["pipeline_p50_seconds"]),
            float(r["pipeline_p95_seconds"]),
        )
        for r in warehouse.query(LAG_SQL)
    ]
    data.success = [
        DailySuccess(
            r["day"],
            int(r["attempts"]),
            int(r["completed"]),
            int(r["failed"]),
            int(r["retried"]),
            None if r["success_rate"] is None else float(r["success_rate"]),
        )
        for r in warehouse.query(SUCCESS_SQL)
    ]
    data.failures = [
        (f"{r['error_class']} {r['error_code']}", int(r["failed_objects"]))
        for r in warehouse.query(FAILURES_SQL)
    ]
    data.findings = [
        FindingRow(
            str(r["kind"]),
            str(r["severity"]),
            r["stripe_object_id"],
            " ".join(str(x) for x in (r["qbo_entity_type"], r["qbo_entity_id"]) if x) or None,
            r["currency"],
            _dec(r["difference"]),
            r["detail"],
        )
        for r in warehouse.query(FINDINGS_SQL)
    ]
    data.pending = int(warehouse.query(PENDING_SQL)[0]["n"])
    runs = warehouse.query(RUNS_SQL)
    data.last_reconcile = runs[0]["finished_at"] if runs else None
    return data


def reconcile_runs(warehouse: Warehouse) -> int:
    """How many reconcile runs the warehouse holds (0: nothing was ever compared)."""
    return int(warehouse.query("SELECT COUNT(*) AS n FROM reconcile_runs")[0]["n"])
