"""Use case (scheduled every few minutes): read the sync's health and log it, one line, for the
alert policies. The thresholds live in Terraform (log-based metrics compare these figures with
them); this only measures: the ``sync_health`` view, and how many pending syncs have waited
longer than the lag threshold (``lag_minutes``, the same Terraform variable).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import Any

from shared.logging import get_logger, log_event
from shared.ports import Warehouse

HEALTH_SQL = "SELECT * FROM sync_health"
LAGGING_SQL = "SELECT COUNT(*) AS n FROM analyst_pending_syncs WHERE waiting_minutes >= @minutes"
HEALTH_MESSAGE = "sync health"  # the log-based metrics match this message

logger = get_logger("sync_health")


@dataclass(frozen=True)
class Health:
    pending_syncs: int
    lagging_syncs: int  # pending for lag_minutes or longer
    oldest_pending_minutes: int
    finished_syncs: int  # attempts that finished in the last 24 h
    success_rate: float  # of those, COMPLETED or SKIPPED; 1.0 when none finished
    minutes_since_success: int  # -1: nothing archived, nothing synced yet

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def read_health(warehouse: Warehouse, lag_minutes: int) -> Health:
    row = warehouse.query(HEALTH_SQL)[0]
    lagging = warehouse.query(LAGGING_SQL, {"minutes": lag_minutes})[0]["n"]
    finished = int(row["finished_last_day"] or 0)
    rate = row["success_rate_last_day"]
    since = row["minutes_since_success"]
    return Health(
        pending_syncs=int(row["pending_syncs"] or 0),
        lagging_syncs=int(lagging or 0),
        oldest_pending_minutes=int(row["oldest_pending_minutes"] or 0),
        finished_syncs=finished,
        success_rate=round(float(rate), 4) if rate is not None and finished else 1.0,
        minutes_since_success=int(since) if since is not None else -1,
    )


def log_health(health: Health) -> None:
    """The line the alert metrics read (INFO: a measurement, not an alarm by itself)."""
    log_event(logger, logging.INFO, HEALTH_MESSAGE, **health.as_dict())
