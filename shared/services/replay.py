"""Use case: replay and backfill: select work (event ids, a time range, an object type, every
FAILED link) from the archive or Stripe's events API and enqueue one sync task per object.

Events are triggers, not truth: the worker re-reads each object from Stripe, so one task per
object is enough however many events name it. Task names are ``replay-<run id>-<type>-<id>``: a
new run id per request (Cloud Tasks refuses a used name for a while), the same run id when a
request is retried, so enqueueing the same work twice is refused and harmless.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import ValidationError

from shared.contracts.models import ReplayRequestBody, SyncTaskPayload, refusal
from shared.domain.retries import stamped
from shared.domain.routing import sync_target_from_event, synced_object_types
from shared.domain.stripe_models import StripeEvent
from shared.errors import BadRequestError, NotFoundError
from shared.ports import Clock, JsonDict, StripeGateway, Task, TaskQueue, Warehouse
from shared.services.ingest_event import archive_row_from_event
from shared.services.runs import Run, RunLog, new_run_id

Source = Literal["archive", "stripe"]
Progress = Callable[[int, int], None]  # (done, total)
_RUN_ID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
MAX_EVENT_IDS = 10_000

ARCHIVE_SQL = """
SELECT event_id, event_type, object_type, object_id, created, payload
FROM stripe_events_latest
WHERE {where}
ORDER BY created, event_id
"""
FAILED_SQL = """
SELECT stripe_object_id, stripe_object_type, MIN(event_id) AS event_id, MIN(failed_at) AS failed_at
FROM sync_failures
WHERE {where}
GROUP BY stripe_object_id, stripe_object_type
ORDER BY failed_at, stripe_object_id
"""


@dataclass(frozen=True)
class ReplayRequest:
    """What to replay. At least one selector (event ids, since/until, object type, failed)."""

    event_ids: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    object_type: str | None = None  # the synced object's type: invoice, charge, customer...
    failed: bool = False  # every object whose current link is FAILED
    source: Source = "archive"
    dry_run: bool = False
    run_id: str | None = None  # None: a new one; pass the same to retry a request harmlessly

    def check(self) -> None:
        if not (self.event_ids or self.since or self.until or self.object_type or self.failed):
            raise BadRequestError("say what to replay: event ids, a time range, a type or failed")
        if self.failed and self.event_ids:
            raise BadRequestError("replay either event ids or failed links, not both")
        if self.failed and self.source != "archive":
            raise BadRequestError("failed links come from the link table: source archive")
        if self.object_type is not None and self.object_type not in synced_object_types():
            known = ", ".join(synced_object_types())
            raise BadRequestError(f"unknown object type {self.object_type!r}; known: {known}")
        if self.source not in ("archive", "stripe"):
            raise BadRequestError("source is archive or stripe")
        if len(self.event_ids) > MAX_EVENT_IDS:
            raise BadRequestError(f"at most {MAX_EVENT_IDS} event ids per request")
        if self.since and self.until and self.since > self.until:
            raise BadRequestError("since is after until")
        if self.run_id is not None and not _RUN_ID.match(self.run_id):
            raise BadRequestError("run_id: letters, digits, - and _, at most 40")


@dataclass(frozen=True)
class ReplayItem:
    object_type: str
    object_id: str
    event_id: str | None
    task_name: str


@dataclass
class ReplayReport:
    run_id: str
    source: Source
    dry_run: bool
    events_read: int = 0
    items: list[ReplayItem] = field(default_factory=list)
    enqueued: int = 0
    already_enqueued: int = 0

    def as_dict(self, *, item_limit: int = 1000) -> JsonDict:
        return {
            "run_id": self.run_id,
            "source": self.source,
            "dry_run": self.dry_run,
            "events_read": self.events_read,
            "objects": len(self.items),
            "enqueued": self.enqueued,
            "already_enqueued": self.already_enqueued,
            "items": [item.__dict__ for item in self.items[:item_limit]],
            "items_truncated": len(self.items) > item_limit,
        }


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def event_from_archive(payload: Any) -> StripeEvent | None:
    """The archived event (JSON column: a dict, or its text from some clients)."""
    try:
        raw = json.loads(payload) if isinstance(payload, str | bytes) else payload
        return StripeEvent.model_validate(raw)
    except (ValueError, ValidationError):
        return None


class Replay:
    def __init__(
        self, warehouse: Warehouse, stripe: StripeGateway, queue: TaskQueue, clock: Clock
    ) -> None:
        self._warehouse = warehouse
        self._stripe = stripe
        self._queue = queue
        self._clock = clock
        self._runs = RunLog(warehouse, clock)

    def run(self, request: ReplayRequest, progress: Progress | None = None) -> ReplayReport:
        """Enqueue the work; a run (not a dry one) is a row of the runs table, COMPLETED once
        every task is enqueued (the tasks then run on their own: their task names carry the
        run id, so the sync log and the links tell how each went)."""
        request.check()
        run_id = request.run_id or new_run_id(self._clock)
        report = ReplayReport(run_id=run_id, source=request.source, dry_run=request.dry_run)
        run: Run | None = None
        stripe_before = int(getattr(self._stripe, "requests_sent", 0))
        started = time.monotonic()
        if not request.dry_run:
            run = Run(run_id, "replay", self._clock.now(), params=_params(request))
            self._runs.record(run)
        try:
            self._enqueue(request, report, progress)
        except BaseException as error:
            if run is not None:
                run.status, run.detail = "FAILED", f"stopped by {type(error).__name__}"
                self._runs.record(run)
            raise
        if run is not None:
            run.counts.listed = len(report.items)
            run.counts.created = report.enqueued
            run.counts.skipped = report.already_enqueued
            stripe_now = int(getattr(self._stripe, "requests_sent", 0))
            run.counts.stripe_calls = stripe_now - stripe_before
            run.duration_seconds = time.monotonic() - started
            run.status = "COMPLETED"
            run.detail = "enqueued; each task runs on its own (task names replay-<run>-...)"
            self._runs.record(run)
        return report

    def _enqueue(
        self, request: ReplayRequest, report: ReplayReport, progress: Progress | None
    ) -> None:
        run_id = report.run_id
        targets = self._failed(request) if request.failed else self._from_events(request, report)
        seen: set[tuple[str, str]] = set()
        for object_type, object_id, event_id in targets:
            if (object_type, object_id) in seen:
                continue
            seen.add((object_type, object_id))
            name = f"replay-{run_id}-{object_type}-{object_id}"
            report.items.append(ReplayItem(object_type, object_id, event_id, name))
        if request.dry_run:
            return
        total = len(report.items)
        for done, item in enumerate(report.items, start=1):
            payload = SyncTaskPayload(
                object_type=item.object_type, object_id=item.object_id, event_id=item.event_id
            ).body()
            task = Task(name=item.task_name, payload=stamped(payload, self._clock.now()))
            if self._queue.enqueue(task):
                report.enqueued += 1
            else:
                report.already_enqueued += 1
            if progress is not None:
                progress(done, total)

    # --- selection ------------------------------------------------------------------------------

    def _from_events(
        self, request: ReplayRequest, report: ReplayReport
    ) -> Iterable[tuple[str, str, str | None]]:
        events = (
            self._archived_events(request)
            if request.source == "archive"
            else self._stripe_events(request)
        )
        report.events_read = len(events)
        _refuse_unknown(request, events)
        for event in events:
            target = sync_target_from_event(event)
            if target is None:
                continue
            if request.object_type and target[0] != request.object_type:
                continue
            yield target[0], target[1], event.id

    def _archived_events(self, request: ReplayRequest) -> list[StripeEvent]:
        where, params = ["TRUE"], dict[str, Any]()
        if request.event_ids:
            where.append("event_id IN UNNEST(@ids)")
            params["ids"] = list(request.event_ids)
        if request.since:
            where.append("created >= @since")
            params["since"] = _utc(request.since)
        if request.until:
            where.append("created <= @until")
            params["until"] = _utc(request.until)
        rows = self._warehouse.query(ARCHIVE_SQL.format(where=" AND ".join(where)), params)
        events = [event_from_archive(row["payload"]) for row in rows]
        return [event for event in events if event is not None]

    def _stripe_events(self, request: ReplayRequest) -> list[StripeEvent]:
        raw: list[JsonDict] = []
        if request.event_ids:
            for event_id in request.event_ids:
                try:
                    raw.append(self._stripe.retrieve("event", event_id))
                except NotFoundError:
                    continue  # older than Stripe's 30 days, or never existed: the archive may
        else:
            raw = self._stripe.list_events(
                created_gte=int(_utc(request.since).timestamp()) if request.since else None,
                created_lte=int(_utc(request.until).timestamp()) if request.until else None,
            )
        if not request.dry_run and not _unknown(request, raw):
            archive_events(self._warehouse, raw, self._clock.now(), "replay")
        return [event for event in map(event_from_archive, raw) if event is not None]

    def _failed(self, request: ReplayRequest) -> list[tuple[str, str, str | None]]:
        where, params = ["TRUE"], dict[str, Any]()
        if request.object_type:
            where.append("stripe_object_type = @object_type")
            params["object_type"] = request.object_type
        if request.since:
            where.append("failed_at >= @since")
            params["since"] = _utc(request.since)
        if request.until:
            where.append("failed_at <= @until")
            params["until"] = _utc(request.until)
        rows = self._warehouse.query(FAILED_SQL.format(where=" AND ".join(where)), params)
        return [
            (str(row["stripe_object_type"]), str(row["stripe_object_id"]), row["event_id"])
            for row in rows
        ]


def _unknown(request: ReplayRequest, events: Sequence[StripeEvent | JsonDict]) -> list[str]:
    found = {e.id if isinstance(e, StripeEvent) else str(e.get("id")) for e in events}
    return sorted(set(request.event_ids) - found)


def _refuse_unknown(request: ReplayRequest, events: Sequence[StripeEvent]) -> None:
    """Event ids asked for but not found: the whole request is refused, nothing enqueued."""
    unknown = _unknown(request, events)
    if not unknown:
        return
    shown = ", ".join(unknown[:5]) + (f" and {len(unknown) - 5} more" if len(unknown) > 5 else "")
    where = (
        "in the archive"
        if request.source == "archive"
        else "in Stripe's events API (the last 30 days; --source archive reaches older ones)"
    )
    raise BadRequestError(f"unknown event ids {where}: {shown}", code="unknown_events")


def _params(request: ReplayRequest) -> JsonDict:
    return {
        "events": len(request.event_ids),
        "since": request.since.isoformat() if request.since else None,
        "until": request.until.isoformat() if request.until else None,
        "object_type": request.object_type,
        "failed": request.failed,
        "source": request.source,
    }


def archive_events(
    warehouse: Warehouse, raw_events: Sequence[JsonDict], received_at: datetime, source: str
) -> int:
    """Append events read from Stripe's API to the archive, as Stripe sent them (the view keeps
    one row per event id); the number appended."""
    rows, ids = [], []
    for raw in raw_events:
        event = event_from_archive(raw)
        if event is None:
            continue
        body = json.dumps(raw, separators=(",", ":"), default=str).encode("utf-8")
        rows.append(archive_row_from_event(event, body, received_at, source))
        ids.append(f"{source}-{event.id}")
    if rows:
        warehouse.append("stripe_events", rows, row_ids=ids)
    return len(rows)


def replay_request_from_json(body: JsonDict) -> ReplayRequest:
    """The replay function's JSON body (``ReplayRequestBody``) as the use case's request."""
    try:
        parsed = ReplayRequestBody.model_validate(body)
    except ValidationError as error:
        raise refusal(error, "replay request", "bad_replay") from None
    return ReplayRequest(
        event_ids=tuple(parsed.event_ids),
        since=parsed.since,
        until=parsed.until,
        object_type=parsed.object_type or None,
        failed=parsed.failed,
        source=parsed.source,
        dry_run=parsed.dry_run,
        run_id=parsed.run_id or None,
    )
