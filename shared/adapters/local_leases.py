"""LeaseStore in memory: the embedded stack runs every function in one process."""

from __future__ import annotations

import itertools
import threading
from datetime import timedelta

from shared.domain.leases import (
    Lease,
    LeaseRecord,
    is_contended,
    may_take,
    previous_end,
    retry_after_seconds,
)
from shared.errors import LeaseHeldError
from shared.ports import Clock

DEFAULT_SETTLE = timedelta(seconds=60)


class InMemoryLeaseStore:
    """The same rules as the Firestore store (shared.domain.leases), under one lock."""

    def __init__(self, clock: Clock, *, settle: timedelta = DEFAULT_SETTLE) -> None:
        self._clock = clock
        self._settle = settle
        self._records: dict[str, tuple[LeaseRecord, str]] = {}
        self._versions = itertools.count(1)
        self._lock = threading.Lock()
        self.acquired = 0
        self.conflicts = 0
        self.taken_over = 0

    def acquire(self, key: str, holder: str, ttl: timedelta) -> Lease:
        now = self._clock.now()
        with self._lock:
            stored = self._records.get(key)
            record = stored[0] if stored else None
            if not may_take(record, now):
                assert record is not None
                self.conflicts += 1
                raise LeaseHeldError(
                    f"lease {key} is held by another worker",
                    retry_after_seconds=retry_after_seconds(record, now),
                )
            if record is not None and record.holder is not None:
                self.taken_over += 1
            version = str(next(self._versions))
            contended = is_contended(record, now, self._settle)
            lease = Lease(key, holder, now + ttl, version, contended, previous_end(record))
            unsettled = record is not None and (record.unsettled or record.holder is not None)
            self._records[key] = (
                LeaseRecord(holder, lease.expires_at, unsettled=unsettled),
                version,
            )
            self.acquired += 1
            return lease

    def release(self, lease: Lease, *, settled: bool = True) -> None:
        now = self._clock.now()
        with self._lock:
            stored = self._records.get(lease.key)
            if stored is None or stored[1] != lease.version:
                return  # taken over after it expired: not ours to give back
            record = LeaseRecord(None, now, now, unsettled=not settled)
            self._records[lease.key] = (record, str(next(self._versions)))

    def holder(self, key: str) -> str | None:
        """Who holds ``key`` now (tests and the campaign's checks)."""
        now = self._clock.now()
        with self._lock:
            stored = self._records.get(key)
        if stored is None or may_take(stored[0], now):
            return None
        return stored[0].holder
