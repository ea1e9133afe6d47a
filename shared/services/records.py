"""The link table and the sync log, kept by appending rows to the warehouse."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from shared.ports import Warehouse

# RESOLVED: a FAILED link that a later successful sync of the same object cleared.
LinkStatus = Literal[
    "PENDING", "IN_PROGRESS", "COMPLETED", "FAILED", "SKIPPED", "RESOLVED", "UNDONE"
]
Outcome = Literal["COMPLETED", "SKIPPED", "FAILED", "RETRY"]

# Every role of one Stripe object in one read (Invoice, Payment:oob, ...): a task asks for
# several of them, and asks again for the ones it has not linked yet.
CURRENT_LINKS_SQL = """
SELECT stripe_object_id, stripe_object_type, qbo_entity_type, qbo_entity_id, doc_number,
       status, payload_hash, attempt, recorded_at, last_error_code, last_error
FROM sync_links_current
WHERE stripe_object_id = @stripe_object_id
"""
PRIME_LINKS_SQL = """
SELECT stripe_object_id, stripe_object_type, qbo_entity_type, qbo_entity_id, doc_number,
       status, payload_hash, attempt, recorded_at, last_error_code, last_error
FROM sync_links_current
WHERE stripe_object_id IN UNNEST(@ids)
"""
# How long one read answers for all roles of an object, missing ones included: about one
# task. Another instance may link the object meanwhile; a create then replays by requestid or
# heals by lookup, exactly as when two tasks of the same object run at once.
SNAPSHOT_SECONDS = 2.0
_MAX_SNAPSHOTS = 10_000


@dataclass(frozen=True)
class Link:
    stripe_object_id: str
    stripe_object_type: str
    qbo_entity_type: str
    status: LinkStatus
    qbo_entity_id: str | None = None
    doc_number: str | None = None
    payload_hash: str | None = None
    attempt: int = 1
    event_id: str | None = None
    task_name: str | None = None
    last_error_class: str | None = None
    last_error_code: str | None = None
    last_error: str | None = None

    @property
    def completed(self) -> bool:
        return self.status == "COMPLETED" and bool(self.qbo_entity_id)


@dataclass(frozen=True)
class Attempt:
    """One row of the sync log."""

    task_name: str
    event_id: str | None
    object_id: str
    object_type: str
    operation: str
    outcome: Outcome
    duration_ms: int
    attempt: int
    correlation_id: str
    error_class: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    detail: str | None = None
    log_id: str = field(default_factory=lambda: uuid.uuid4().hex)


class LinkStore:
    """Current link per (Stripe id, QBO entity type).

    Completed links are cached per instance. One read fetches every role of the Stripe object
    and answers for all of them, missing ones included, for ``SNAPSHOT_SECONDS``.
    """

    def __init__(self, warehouse: Warehouse, *, snapshot_seconds: float = SNAPSHOT_SECONDS) -> None:
        self._warehouse = warehouse
        self._completed: dict[tuple[str, str], Link] = {}
        self._snapshots: dict[str, tuple[float, dict[str, Link]]] = {}
        self._snapshot_seconds = snapshot_seconds
        self._lock = threading.Lock()
        self._claims: dict[tuple[str, str], tuple[threading.Lock, int]] = {}
        self.reads = 0

    def current(self, stripe_object_id: str, qbo_entity_type: str) -> Link | None:
        key = (stripe_object_id, qbo_entity_type)
        with self._lock:
            cached = self._completed.get(key)
            if cached is not None:
                return cached
            snapshot = self._snapshots.get(stripe_object_id)
            if snapshot is not None and time.monotonic() - snapshot[0] < self._snapshot_seconds:
                return snapshot[1].get(qbo_entity_type)
            self.reads += 1
        rows = self._warehouse.query(CURRENT_LINKS_SQL, {"stripe_object_id": stripe_object_id})
        links = {str(row["qbo_entity_type"]): _link_from_row(row) for row in rows}
        with self._lock:
            now = time.monotonic()
            if len(self._snapshots) >= _MAX_SNAPSHOTS:
                self._prune(now)
            self._snapshots[stripe_object_id] = (now, links)
            for link in links.values():
                if link.completed:
                    self._completed[(link.stripe_object_id, link.qbo_entity_type)] = link
        return links.get(qbo_entity_type)

    def of_object(self, stripe_object_id: str) -> dict[str, Link]:
        """Every current link of one Stripe object, by QBO entity key (one read, or the
        snapshot of one)."""
        self.current(stripe_object_id, "")
        with self._lock:
            snapshot = self._snapshots.get(stripe_object_id)
            return dict(snapshot[1]) if snapshot is not None else {}

    def _prune(self, now: float) -> None:
        expired = [
            key
            for key, (taken, _) in self._snapshots.items()
            if now - taken >= self._snapshot_seconds
        ]
        for key in expired:
            del self._snapshots[key]
        if len(self._snapshots) >= _MAX_SNAPSHOTS:  # the oldest half goes
            by_age = sorted(self._snapshots.items(), key=lambda item: item[1][0])
            for key, _ in by_age[: len(by_age) // 2]:
                del self._snapshots[key]

    def _remember(self, link: Link) -> None:
        with self._lock:
            key = (link.stripe_object_id, link.qbo_entity_type)
            if link.completed:
                self._completed[key] = link
            else:
                self._completed.pop(key, None)
            snapshot = self._snapshots.get(link.stripe_object_id)
            if snapshot is not None:
                snapshot[1][link.qbo_entity_type] = link

    def prime(self, stripe_object_ids: Sequence[str]) -> None:
        """Read every role of these objects in one query (those without a fresh snapshot)."""
        now = time.monotonic()
        with self._lock:
            wanted = sorted(
                {
                    i
                    for i in stripe_object_ids
                    if i
                    and not (
                        i in self._snapshots
                        and now - self._snapshots[i][0] < self._snapshot_seconds
                    )
                }
            )
        if not wanted:
            return
        with self._lock:
            self.reads += 1
        rows = self._warehouse.query(PRIME_LINKS_SQL, {"ids": wanted})
        found: dict[str, dict[str, Link]] = {object_id: {} for object_id in wanted}
        for row in rows:
            found[str(row["stripe_object_id"])][str(row["qbo_entity_type"])] = _link_from_row(row)
        with self._lock:
            now = time.monotonic()
            if len(self._snapshots) + len(found) >= _MAX_SNAPSHOTS:
                self._prune(now)
            for object_id, links in found.items():
                self._snapshots[object_id] = (now, links)
                for link in links.values():
                    if link.completed:
                        self._completed[(link.stripe_object_id, link.qbo_entity_type)] = link

    @contextmanager
    def claim(self, stripe_object_id: str, qbo_entity_type: str) -> Iterator[None]:
        """One writer at a time per (Stripe id, role) in this instance: a second one waits,
        then finds the first one's link (``publish``) instead of creating again."""
        key = (stripe_object_id, qbo_entity_type)
        with self._lock:
            lock, holders = self._claims.get(key, (threading.Lock(), 0))
            self._claims[key] = (lock, holders + 1)
        try:
            with lock:
                yield
        finally:
            with self._lock:
                lock, holders = self._claims[key]
                if holders == 1:
                    del self._claims[key]
                else:
                    self._claims[key] = (lock, holders - 1)

    def publish(self, link: Link) -> None:
        """Make a link this instance just wrote visible to its other tasks at once; the row is
        appended with the rest of its task's links."""
        self._remember(link)

    def forget(self, stripe_object_id: str, qbo_entity_type: str) -> None:
        with self._lock:
            self._completed.pop((stripe_object_id, qbo_entity_type), None)
            self._snapshots.pop(stripe_object_id, None)

    def record(self, links: Sequence[Link], recorded_at: datetime) -> None:
        if not links:
            return
        rows: list[dict[str, Any]] = []
        # Rows of one batch are stamped a microsecond apart, in order: a later row for the same
        # key (a failure after a partial posting) is the one sync_links_current shows.
        for index, link in enumerate(links):
            rows.append(
                {
                    "stripe_object_id": link.stripe_object_id,
                    "stripe_object_type": link.stripe_object_type,
                    "qbo_entity_type": link.qbo_entity_type,
                    "qbo_entity_id": link.qbo_entity_id,
                    "doc_number": link.doc_number,
                    "status": link.status,
                    "payload_hash": link.payload_hash,
                    "attempt": link.attempt,
                    "event_id": link.event_id,
                    "task_name": link.task_name,
                    "recorded_at": recorded_at + timedelta(microseconds=index),
                    "last_error_class": link.last_error_class,
                    "last_error_code": link.last_error_code,
                    "last_error": link.last_error,
                }
            )
        self._warehouse.append("sync_links", rows)
        for link in links:
            self._remember(link)


def _link_from_row(row: dict[str, Any]) -> Link:
    return Link(
        stripe_object_id=row["stripe_object_id"],
        stripe_object_type=row["stripe_object_type"],
        qbo_entity_type=row["qbo_entity_type"],
        status=row["status"],
        qbo_entity_id=row["qbo_entity_id"],
        doc_number=row["doc_number"],
        payload_hash=row["payload_hash"],
        attempt=int(row["attempt"] or 1),
        last_error_code=row["last_error_code"],
        last_error=row["last_error"],
    )


class SyncLog:
    def __init__(self, warehouse: Warehouse) -> None:
        self._warehouse = warehouse

    def record(self, attempts: Sequence[Attempt], recorded_at: datetime) -> None:
        if not attempts:
            return
        rows = [
            {
                "log_id": a.log_id,
                "correlation_id": a.correlation_id,
                "task_name": a.task_name,
                "event_id": a.event_id,
                "object_id": a.object_id,
                "object_type": a.object_type,
                "operation": a.operation,
                "outcome": a.outcome,
                "error_class": a.error_class,
                "error_code": a.error_code,
                "error_message": a.error_message,
                "detail": a.detail,
                "duration_ms": a.duration_ms,
                "attempt": a.attempt,
                "recorded_at": recorded_at,
            }
            for a in attempts
        ]
        self._warehouse.append("sync_log", rows, row_ids=[a.log_id for a in attempts])
