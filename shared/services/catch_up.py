"""Use case (scheduled): recover events the webhook never archived, from Stripe's events API.

Two questions to Stripe: which events failed delivery (``delivery_success=false``), and which
events were created since the newest archived one (less an overlap: events arrive out of
order). Whatever of those the archive lacks is archived (source ``catch_up``) and enqueued under
the webhook's own task name ``evt-<event id>``, so a webhook delivery racing the catch-up
collapses into one task.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from shared.ports import Clock, JsonDict, StripeGateway, TaskQueue, Warehouse
from shared.services.ingest_event import sync_task_from_event
from shared.services.replay import archive_events, event_from_archive

STRIPE_EVENTS_WINDOW = timedelta(days=30)
DEFAULT_OVERLAP = timedelta(minutes=15)
LAST_ARCHIVED_SQL = "SELECT MAX(created) AS last_created FROM stripe_events"
ARCHIVED_IDS_SQL = "SELECT event_id FROM stripe_events_latest WHERE event_id IN UNNEST(@ids)"
ID_CHUNK = 1000


@dataclass
class CatchUpReport:
    failed_delivery: int = 0
    since_last: int = 0
    missing: int = 0
    archived: int = 0
    enqueued: int = 0
    already_enqueued: int = 0
    since: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "since": self.since.isoformat() if self.since else None}


class CatchUp:
    def __init__(
        self,
        warehouse: Warehouse,
        stripe: StripeGateway,
        queue: TaskQueue,
        clock: Clock,
        *,
        overlap: timedelta = DEFAULT_OVERLAP,
        coalesce_seconds: int = 0,
    ) -> None:
        self._coalesce_seconds = coalesce_seconds
        self._warehouse = warehouse
        self._stripe = stripe
        self._queue = queue
        self._clock = clock
        self._overlap = overlap

    def run(self) -> CatchUpReport:
        """TransientError (Stripe, warehouse or queue down) propagates: the next run resumes."""
        report = CatchUpReport()
        now = self._clock.now()
        report.since = self._since(now)
        failed = self._stripe.list_events(delivery_success=False)
        recent = self._stripe.list_events(created_gte=int(report.since.timestamp()))
        report.failed_delivery, report.since_last = len(failed), len(recent)
        candidates: dict[str, JsonDict] = {}
        for raw in [*failed, *recent]:
            candidates.setdefault(str(raw.get("id")), raw)
        archived = self._archived(list(candidates))
        missing = [raw for event_id, raw in candidates.items() if event_id not in archived]
        missing.sort(key=lambda raw: int(raw.get("created") or 0))
        report.missing = len(missing)
        # Enqueue first, then archive: a crash in between leaves the event unarchived, so the
        # next run finds it again (its task name is refused, harmless) and archives it then.
        for raw in missing:
            event = event_from_archive(raw)
            task = (
                sync_task_from_event(event, coalesce_seconds=self._coalesce_seconds)
                if event is not None
                else None
            )
            if task is None:
                continue
            if self._queue.enqueue(task):
                report.enqueued += 1
            else:
                report.already_enqueued += 1
        report.archived = archive_events(self._warehouse, missing, now, "catch_up")
        return report

    def _since(self, now: datetime) -> datetime:
        rows = self._warehouse.query(LAST_ARCHIVED_SQL)
        last = rows[0]["last_created"] if rows else None
        oldest = now - STRIPE_EVENTS_WINDOW
        if not isinstance(last, datetime):
            return oldest
        last = last.replace(tzinfo=UTC) if last.tzinfo is None else last
        return max(oldest, last - self._overlap)

    def _archived(self, event_ids: list[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(event_ids), ID_CHUNK):
            chunk = event_ids[start : start + ID_CHUNK]
            rows = self._warehouse.query(ARCHIVED_IDS_SQL, {"ids": chunk})
            found.update(str(row["event_id"]) for row in rows)
        return found
