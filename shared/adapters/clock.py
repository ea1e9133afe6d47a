"""Clocks: the system's for production, a settable one for tests and the scenario runner."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that moves only when told to; thread-safe."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 1, tzinfo=UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> datetime:
        with self._lock:
            self._now += timedelta(seconds=seconds)
            return self._now

    def set(self, moment: datetime) -> None:
        with self._lock:
            self._now = max(self._now, moment)


class FastForwardClock(ManualClock):
    """Real time plus an offset that only grows: waits are skipped, yet time keeps moving.

    The scenario runner gives it to the task queue, so retry backoff costs no wall time while
    timestamps stay strictly increasing for the link table's latest-row view.
    """

    def __init__(self) -> None:
        super().__init__()
        self._offset = timedelta(0)

    def now(self) -> datetime:
        with self._lock:
            return datetime.now(UTC) + self._offset

    def advance(self, seconds: float) -> datetime:
        with self._lock:
            self._offset += timedelta(seconds=max(0.0, seconds))
            return datetime.now(UTC) + self._offset

    def set(self, moment: datetime) -> None:
        with self._lock:
            ahead = moment - (datetime.now(UTC) + self._offset)
            if ahead > timedelta(0):
                self._offset += ahead
