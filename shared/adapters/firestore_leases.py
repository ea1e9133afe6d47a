"""LeaseStore on Firestore through google-cloud-firestore: conditional writes decide who holds.

One document per family key in ``collection``. Taking a lease is ``create`` (precondition: the
document does not exist); taking over one that was given back or expired is ``update`` with the
precondition that the document is still at the ``update_time`` we read, so of two workers that
read the same expired lease exactly one wins. Giving back is the same conditional update. The
document stays (holder null) so the next holder learns the family was written a moment ago;
``purge_at`` lets a Firestore TTL policy delete old ones.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from google.api_core import exceptions as gexc

from shared.domain.leases import (
    Lease,
    LeaseRecord,
    is_contended,
    may_take,
    previous_end,
    retry_after_seconds,
)
from shared.errors import LeaseHeldError, SyncError, UpstreamUnavailableError
from shared.logging import get_logger, log_event
from shared.ports import Clock

PURGE_AFTER = timedelta(days=7)
_NEVER = datetime.min.replace(tzinfo=UTC)
_log = get_logger("firestore_leases")


class FirestoreLeaseStore:
    """Leases as Firestore documents; build once per instance (the client is made lazily)."""

    def __init__(
        self,
        *,
        project: str,
        clock: Clock,
        collection: str = "sync_leases",
        database: str | None = None,
        settle: timedelta = timedelta(seconds=60),
        timeout_seconds: float = 10.0,
        client: Any | None = None,
    ) -> None:
        self._project = project
        self._clock = clock
        self._collection = collection
        self._database = database
        self._settle = settle
        self._timeout = timeout_seconds
        self._client = client
        self._lock = threading.Lock()

    def _get_client(self) -> Any:
        with self._lock:
            if self._client is None:
                from google.cloud import firestore

                self._client = firestore.Client(project=self._project, database=self._database)
            return self._client

    def _document(self, key: str) -> Any:
        return self._get_client().collection(self._collection).document(key)

    def acquire(self, key: str, holder: str, ttl: timedelta) -> Lease:
        document = self._document(key)
        for _ in range(3):  # a document deleted (TTL) between our create and read: try again
            now = self._clock.now()
            expires = now + ttl
            try:
                result = document.create(self._fields(holder, expires, None), timeout=self._timeout)
                return Lease(key, holder, expires, _version(result.update_time))
            except gexc.Conflict:
                pass
            except gexc.GoogleAPICallError as exc:
                raise _translate(exc, key) from None
            snapshot = self._read(document, key)
            if not snapshot.exists:
                continue
            record = _record(snapshot.to_dict() or {})
            if not may_take(record, now):
                raise LeaseHeldError(
                    f"lease {key} is held by another worker",
                    retry_after_seconds=retry_after_seconds(record, now),
                )
            option = self._get_client().write_option(last_update_time=snapshot.update_time)
            try:
                result = document.update(
                    self._fields(
                        holder,
                        expires,
                        record.released_at,
                        unsettled=record.unsettled or record.holder is not None,
                    ),
                    option=option,
                    timeout=self._timeout,
                )
            except (gexc.FailedPrecondition, gexc.NotFound):
                raise LeaseHeldError(f"lease {key} was taken by another worker first") from None
            except gexc.GoogleAPICallError as exc:
                raise _translate(exc, key) from None
            if record.holder is not None:
                log_event(_log, 30, "took over an expired lease", reason=key)
            contended = is_contended(record, now, self._settle)
            version = _version(result.update_time)
            return Lease(key, holder, expires, version, contended, previous_end(record))
        raise LeaseHeldError(f"lease {key} keeps changing; try again")

    def release(self, lease: Lease, *, settled: bool = True) -> None:
        document = self._document(lease.key)
        now = self._clock.now()
        option = self._get_client().write_option(last_update_time=_timestamp(lease.version))
        try:
            document.update(
                self._fields(None, now, now, unsettled=not settled),
                option=option,
                timeout=self._timeout,
            )
        except (gexc.FailedPrecondition, gexc.NotFound):
            return  # it expired and another worker took it: not ours to give back
        except gexc.GoogleAPICallError as exc:
            # Not given back: it expires by itself; the next holder then looks before creating.
            error = _translate(exc, lease.key)
            log_event(_log, 30, "lease not released", reason=lease.key, error_code=error.code)

    def _read(self, document: Any, key: str) -> Any:
        try:
            return document.get(timeout=self._timeout)
        except gexc.GoogleAPICallError as exc:
            raise _translate(exc, key) from None

    def _fields(
        self,
        holder: str | None,
        expires: datetime,
        released: datetime | None,
        *,
        unsettled: bool = False,
    ) -> dict[str, Any]:
        return {
            "holder": holder,
            "expires_at": expires,
            "released_at": released,
            "unsettled": unsettled,
            "purge_at": expires + PURGE_AFTER,
        }


def _record(data: dict[str, Any]) -> LeaseRecord:
    expires = data.get("expires_at")
    released = data.get("released_at")
    holder = data.get("holder")
    return LeaseRecord(
        holder=str(holder) if holder else None,
        expires_at=_utc(expires)
        if isinstance(expires, datetime)
        else datetime.min.replace(tzinfo=UTC),
        released_at=_utc(released) if isinstance(released, datetime) else None,
        unsettled=data.get("unsettled") is True,
    )


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _version(update_time: Any) -> str:
    """An update_time as an exact string (nanoseconds kept), turned back for a precondition."""
    from google.protobuf import timestamp_pb2  # type: ignore[import-untyped]

    stamp = timestamp_pb2.Timestamp()
    if isinstance(update_time, timestamp_pb2.Timestamp):
        stamp.CopyFrom(update_time)
    else:  # DatetimeWithNanoseconds
        stamp = update_time.timestamp_pb()
    return f"{stamp.seconds}.{stamp.nanos:09d}"


def _timestamp(version: str) -> Any:
    from google.protobuf import timestamp_pb2

    seconds, _, nanos = version.partition(".")
    return timestamp_pb2.Timestamp(seconds=int(seconds), nanos=int(nanos or 0))


def _translate(exc: gexc.GoogleAPICallError, key: str) -> SyncError:
    """Every Firestore failure is transient for the worker: the task is retried, never failed."""
    kind = type(exc).__name__
    if isinstance(exc, gexc.PermissionDenied | gexc.Unauthenticated):
        return UpstreamUnavailableError(
            f"Firestore refused the lease {key} ({kind}): check roles/datastore.user",
            code="lease_permission_denied",
        )
    return UpstreamUnavailableError(f"Firestore lease {key} failed ({kind})", code="lease_store")
