"""Use case (scheduled): recover what would otherwise wait for a person.

1. Events the webhook never archived, from Stripe's events API: which events failed delivery
   (``delivery_success=false``), and which were created since the newest archived one (less an
   overlap: events arrive out of order). Whatever of those the archive lacks is archived (source
   ``catch_up``) and enqueued under the webhook's own task name ``evt-<event id>``, so a webhook
   delivery racing the catch-up collapses into one task.
2. Transient failures that ran out of retries (FAILED, code ``exhausted``: days of 5xx, throttling
   or outage): re-driven, one task per object and failure (``redrive-<type>-<id>-<failed at>``),
   so a run repeated before that task ends enqueues nothing new. Permanent failures (the input
   is bad) are left for a person to fix and replay.
3. Syncs still pending long after any task could still be retrying (a task that died without an
   answer every time, which Cloud Tasks drops silently): re-driven once per retry horizon.
Re-driven tasks count as later attempts, so the worker looks in QBO before creating anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from shared.domain.retries import EXHAUSTED_CODE, PRIOR_ATTEMPTS, stamped
from shared.ports import Clock, JsonDict, StripeGateway, Task, TaskQueue, Warehouse
from shared.services.ingest_event import sync_task_from_event
from shared.services.replay import archive_events, event_from_archive

STRIPE_EVENTS_WINDOW = timedelta(days=30)
DEFAULT_OVERLAP = timedelta(minutes=15)
LAST_ARCHIVED_SQL = "SELECT MAX(created) AS last_created FROM stripe_events"
ARCHIVED_IDS_SQL = "SELECT event_id FROM stripe_events_latest WHERE event_id IN UNNEST(@ids)"
ID_CHUNK = 1000
REDRIVE_LIMIT = 1000  # objects re-driven per run and kind; the next run takes the rest
DEFAULT_HORIZON = timedelta(days=3)
EXHAUSTED_SQL = """
SELECT stripe_object_type, stripe_object_id, MIN(event_id) AS event_id,
  MAX(failed_at) AS failed_at, MAX(attempt) AS attempts
FROM sync_failures
WHERE error_code = @code
GROUP BY stripe_object_type, stripe_object_id
ORDER BY failed_at, stripe_object_id
LIMIT @limit
"""
STALE_SQL = """
SELECT object_type, object_id, last_event_id, received_at
FROM analyst_pending_syncs
WHERE received_at < @cutoff
ORDER BY received_at, object_id
LIMIT @limit
"""


@dataclass
class CatchUpReport:
    failed_delivery: int = 0
    since_last: int = 0
    missing: int = 0
    archived: int = 0
    enqueued: int = 0
    already_enqueued: int = 0
    redriven_exhausted: int = 0
    redriven_stale: int = 0
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
        horizon: timedelta = DEFAULT_HORIZON,
    ) -> None:
        self._coalesce_seconds = coalesce_seconds
        self._warehouse = warehouse
        self._stripe = stripe
        self._queue = queue
        self._clock = clock
        self._overlap = overlap
        self._horizon = horizon

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
                sync_task_from_event(event, now, coalesce_seconds=self._coalesce_seconds)
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
        report.redriven_exhausted = self._redrive_exhausted(now)
        report.redriven_stale = self._redrive_stale(now)
        return report

    def _redrive_exhausted(self, now: datetime) -> int:
        params = {"code": EXHAUSTED_CODE, "limit": REDRIVE_LIMIT}
        rows = self._warehouse.query(EXHAUSTED_SQL, params)
        enqueued = 0
        for row in rows:
            failed_at = _utc(row["failed_at"])
            object_type, object_id = str(row["stripe_object_type"]), str(row["stripe_object_id"])
            name = f"redrive-{object_type}-{object_id}-{int(failed_at.timestamp())}"
            prior = int(row["attempts"] or 1)
            payload = _redrive_payload(object_type, object_id, row["event_id"], prior)
            enqueued += self._queue.enqueue(Task(name=name, payload=stamped(payload, now)))
        return enqueued

    def _redrive_stale(self, now: datetime) -> int:
        # Every task of an event ends within the horizon (and a dispatch deadline): one still
        # pending a day past it lost its task.
        cutoff = now - self._horizon - timedelta(days=1)
        rows = self._warehouse.query(STALE_SQL, {"cutoff": cutoff, "limit": REDRIVE_LIMIT})
        period = int(now.timestamp() // max(1, int(self._horizon.total_seconds())))
        enqueued = 0
        for row in rows:
            object_type, object_id = str(row["object_type"]), str(row["object_id"])
            name = f"stale{period}-{object_type}-{object_id}"
            payload = _redrive_payload(object_type, object_id, row["last_event_id"], 1)
            enqueued += self._queue.enqueue(Task(name=name, payload=stamped(payload, now)))
        return enqueued

    def _since(self, now: datetime) -> datetime:
        rows = self._warehouse.query(LAST_ARCHIVED_SQL)
        last = rows[0]["last_created"] if rows else None
        oldest = now - STRIPE_EVENTS_WINDOW
        if not isinstance(last, datetime):
            return oldest
        return max(oldest, _utc(last) - self._overlap)

    def _archived(self, event_ids: list[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(event_ids), ID_CHUNK):
            chunk = event_ids[start : start + ID_CHUNK]
            rows = self._warehouse.query(ARCHIVED_IDS_SQL, {"ids": chunk})
            found.update(str(row["event_id"]) for row in rows)
        return found


def _redrive_payload(object_type: str, object_id: str, event_id: Any, prior: int) -> JsonDict:
    """A later attempt of the object's sync: the worker heals by lookup before any create."""
    payload: JsonDict = {"object_type": object_type, "object_id": object_id,
                         PRIOR_ATTEMPTS: max(1, prior)}  # fmt: skip
    if event_id:
        payload["event_id"] = str(event_id)
    return payload


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
