"""Client-side pacing: a sliding-window request budget plus a concurrency cap, clock injectable."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from shared.adapters.clock import SystemClock
from shared.ports import Clock


class RateLimiter:
    """At most ``requests_per_window`` requests in any ``window_seconds`` and ``max_concurrent``
    at once.

    A request occupies the window from the moment it is admitted until ``window_seconds`` after
    it *finishes*: the server stamps it somewhere in between, so this count is never below the
    server's and pacing by it cannot trip the server's own sliding window. A request may weigh
    more than one (a QBO batch whose payloads each count): it takes that many places in the
    window and one of the concurrent ones.
    """

    def __init__(
        self,
        requests_per_window: int,
        max_concurrent: int,
        *,
        window_seconds: float = 60.0,
        clock: Clock | None = None,
        sleep: Callable[[float], object] = time.sleep,
    ) -> None:
        if requests_per_window < 1 or max_concurrent < 1 or window_seconds <= 0:
            raise ValueError("limits must be positive")
        self.requests_per_window = requests_per_window
        self.max_concurrent = max_concurrent
        self.window_seconds = window_seconds
        self._clock: Clock = clock or SystemClock()
        self._sleep = sleep
        self._finished: deque[float] = deque()
        self._in_flight = 0
        self._in_flight_weight = 0
        self._lock = threading.Condition()
        self.waits = 0  # how often a caller had to wait (observability for benchmarks)

    def _now(self) -> float:
        return self._clock.now().timestamp()

    def _prune(self, now: float) -> None:
        cutoff = now - self.window_seconds
        while self._finished and self._finished[0] <= cutoff:
            self._finished.popleft()

    def acquire(self, weight: int = 1) -> None:
        """Block until a request (of ``weight`` places in the window) may start."""
        if not 1 <= weight <= self.requests_per_window:
            raise ValueError(f"weight must be 1..{self.requests_per_window}")
        while True:
            with self._lock:
                now = self._now()
                self._prune(now)
                if self._in_flight >= self.max_concurrent:
                    self.waits += 1
                    self._lock.wait(timeout=0.05)
                    continue
                used = len(self._finished) + self._in_flight_weight
                if used + weight <= self.requests_per_window:
                    self._in_flight += 1
                    self._in_flight_weight += weight
                    return
                self.waits += 1
                # Only finished requests age out; wait for the ones that must leave, or for one
                # to finish.
                excess = used + weight - self.requests_per_window
                delay = (
                    self._finished[excess - 1] + self.window_seconds - now
                    if len(self._finished) >= excess
                    else None
                )
            if delay is None:
                with self._lock:
                    self._lock.wait(timeout=0.05)
            else:
                self._sleep(max(delay, 0.001))

    def release(self, weight: int = 1) -> None:
        with self._lock:
            self._in_flight -= 1
            self._in_flight_weight -= weight
            self._finished.extend([self._now()] * weight)
            self._lock.notify_all()

    @contextmanager
    def slot(self, weight: int = 1) -> Iterator[None]:
        self.acquire(weight)
        try:
            yield
        finally:
            self.release(weight)
