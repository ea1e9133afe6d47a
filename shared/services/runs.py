"""Runs: every backfill, replay and undo run, appended to ``sync_runs`` as it moves."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from shared.errors import BadRequestError
from shared.ports import Clock, JsonDict, Warehouse

RunKind = Literal["backfill", "replay", "undo"]
RunStatus = Literal["RUNNING", "COMPLETED", "PARTIAL", "FAILED"]
RUN_ID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
RUNS_TABLE = "sync_runs"
LATEST_SQL = "SELECT * FROM sync_runs_current WHERE run_id = @run_id"


def new_run_id(clock: Clock) -> str:
    """Sortable by start time, unique: ``202601311530a1b2c3``."""
    return clock.now().strftime("%Y%m%d%H%M") + uuid.uuid4().hex[:6]


def check_run_id(run_id: str) -> str:
    if not RUN_ID.match(run_id):
        raise BadRequestError("run id: letters, digits, - and _, at most 40", code="bad_run_id")
    return run_id


@dataclass
class RunCounts:
    listed: int = 0
    created: int = 0
    skipped: int = 0
    failed: int = 0
    qbo_calls: int = 0
    stripe_calls: int = 0

    def columns(self) -> dict[str, int]:
        """The counts as the runs table (and every report of a run) names them."""
        return {
            "objects_listed": self.listed,
            "objects_created": self.created,
            "objects_skipped": self.skipped,
            "objects_failed": self.failed,
            "qbo_calls": self.qbo_calls,
            "stripe_calls": self.stripe_calls,
        }

    def add(self, other: RunCounts) -> None:
        for name, value in asdict(other).items():
            setattr(self, name, getattr(self, name) + value)


@dataclass
class Run:
    """One run's current state; ``RunLog.record`` appends it as the next row."""

    run_id: str
    kind: RunKind
    started_at: datetime
    status: RunStatus = "RUNNING"
    params: JsonDict = field(default_factory=dict)
    checkpoint: JsonDict | None = None
    counts: RunCounts = field(default_factory=RunCounts)
    duration_seconds: float = 0.0
    detail: str | None = None

    @property
    def finished(self) -> bool:
        return self.status != "RUNNING"

    def outcome(self) -> RunStatus:
        """How a run that got to its end ended: PARTIAL when some objects failed."""
        return "PARTIAL" if self.counts.failed else "COMPLETED"


class RunLog:
    """Appends run states; reads a run's latest one back (to resume it or to undo it)."""

    def __init__(self, warehouse: Warehouse, clock: Clock) -> None:
        self._warehouse = warehouse
        self._clock = clock

    def record(self, run: Run) -> None:
        now = self._clock.now()
        counts = run.counts
        row = {
            "run_id": run.run_id,
            "kind": run.kind,
            "status": run.status,
            "started_at": run.started_at,
            "recorded_at": now,
            "params": json.dumps(run.params, sort_keys=True, default=str),
            "checkpoint": json.dumps(run.checkpoint, sort_keys=True)
            if run.checkpoint is not None
            else None,
            **counts.columns(),
            "duration_seconds": round(run.duration_seconds, 3),
            "detail": run.detail,
        }
        row_id = f"{run.run_id}:{now.isoformat()}:{run.status}"
        self._warehouse.append(RUNS_TABLE, [row], row_ids=[row_id])

    def latest(self, run_id: str) -> Run | None:
        rows = self._warehouse.query(LATEST_SQL, {"run_id": check_run_id(run_id)})
        return run_from_row(rows[0]) if rows else None


def run_from_row(row: dict[str, Any]) -> Run:
    def number(name: str) -> int:
        return int(row.get(name) or 0)

    started = row["started_at"]
    if isinstance(started, datetime) and started.tzinfo is None:
        started = started.replace(tzinfo=UTC)
    checkpoint = row.get("checkpoint")
    return Run(
        run_id=str(row["run_id"]),
        kind=row["kind"],
        started_at=started,
        status=row["status"],
        params=json.loads(row.get("params") or "{}"),
        checkpoint=json.loads(checkpoint) if checkpoint else None,
        counts=RunCounts(
            listed=number("objects_listed"),
            created=number("objects_created"),
            skipped=number("objects_skipped"),
            failed=number("objects_failed"),
            qbo_calls=number("qbo_calls"),
            stripe_calls=number("stripe_calls"),
        ),
        duration_seconds=float(row.get("duration_seconds") or 0.0),
        detail=row.get("detail"),
    )


__all__ = ["Run", "RunCounts", "RunLog", "check_run_id", "new_run_id", "run_from_row"]
