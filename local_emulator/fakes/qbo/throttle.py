"""Per-realm throttling as QBO applies it: sliding windows per minute plus a concurrency cap."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

from shared.ports import Clock


@dataclass(frozen=True)
class ThrottleLimits:
    requests_per_minute: int = 500
    batch_per_minute: int = 40
    max_concurrent: int = 10


class RealmThrottle:
    """Admits a request or refuses it (the caller answers 429).

    ``time_scale`` shortens the windows: at 60 a "minute" lasts one second of the clock, so
    benchmarks see the real limits at sixty times the speed.
    """

    def __init__(
        self, clock: Clock, limits: ThrottleLimits | None = None, time_scale: float = 1.0
    ) -> None:
        if time_scale <= 0:
            raise ValueError("time_scale must be positive")
        self.limits = limits or ThrottleLimits()
        self._clock = clock
        self._window = 60.0 / time_scale
        self._requests: deque[float] = deque()
        self._batches: deque[float] = deque()
        self._in_flight = 0
        self._lock = threading.Lock()

    @property
    def window_seconds(self) -> float:
        return self._window

    def _prune(self, stamps: deque[float], now: float) -> None:
        cutoff = now - self._window
        while stamps and stamps[0] <= cutoff:
            stamps.popleft()

    def try_acquire(self, *, batch: bool = False) -> bool:
        """Count the request in; False (and nothing counted) when a limit is reached."""
        now = self._clock.now().timestamp()
        with self._lock:
            if self._in_flight >= self.limits.max_concurrent:
                return False
            stamps, limit = (
                (self._batches, self.limits.batch_per_minute)
                if batch
                else (self._requests, self.limits.requests_per_minute)
            )
            self._prune(stamps, now)
            if len(stamps) >= limit:
                return False
            stamps.append(now)
            self._in_flight += 1
            return True

    def release(self) -> None:
        with self._lock:
            self._in_flight = max(0, self._in_flight - 1)

    def in_flight(self) -> int:
        with self._lock:
            return self._in_flight

    def reset(self) -> None:
        with self._lock:
            self._requests.clear()
            self._batches.clear()
            self._in_flight = 0
