"""Client-side pacing: sliding-window request budgets plus a concurrency cap, clock injectable."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from shared.adapters.clock import SystemClock
from shared.ports import Clock


@dataclass
class _Window:
    limit: int
    seconds: float
    weighted: bool  # a request takes its weight in places (False: one place per request)
    finished: deque[float] = field(default_factory=deque)

    def places(self, weight: int) -> int:
        return weight if self.weighted else 1


class RateLimiter:
    """At most ``requests_per_window`` requests in any ``window_seconds``, at most
    ``requests_per_second`` in any sixtieth of that window (a second, unless the window is sped
    up for local runs), and ``max_concurrent`` at once. QBO allows 500 a minute, 10 a second and
    10 at once per realm (Intuit, "Limits and throttles").

    A request occupies a window from the moment it is admitted until the window's length after
    it *finishes*: the server stamps it somewhere in between, so this count is never below the
    server's and pacing by it cannot trip the server's own sliding windows. A request may weigh
    more than one (a QBO batch whose payloads each count): it takes that many places in the long
    window, one in the per-second window, and one of the concurrent ones.
    """

    def __init__(
        self,
        requests_per_window: int,
        max_concurrent: int,
        *,
        window_seconds: float = 60.0,
        requests_per_second: int | None = None,
        clock: Clock | None = None,
        sleep: Callable[[float], object] = time.sleep,
    ) -> None:
        if requests_per_window < 1 or max_concurrent < 1 or window_seconds <= 0:
            raise ValueError("limits must be positive")
        if requests_per_second is not None and requests_per_second < 1:
            raise ValueError("limits must be positive")
        self.requests_per_window = requests_per_window
        self.requests_per_second = requests_per_second
        self.max_concurrent = max_concurrent
        self.window_seconds = window_seconds
        self._windows = [_Window(requests_per_window, window_seconds, weighted=True)]
        if requests_per_second is not None:
            self._windows.append(
                _Window(requests_per_second, window_seconds / 60.0, weighted=False)
            )
        self._clock: Clock = clock or SystemClock()
        self._sleep = sleep
        self._in_flight = 0
        self._in_flight_weight = 0
        self._lock = threading.Condition()
        self.waits = 0  # how often a caller had to wait (observability for benchmarks)

    def _now(self) -> float:
        return self._clock.now().timestamp()

    def _delay(self, now: float, weight: int) -> float | None:
        """0 when a request may start now; else seconds until the windows free its places
        (None: only requests finishing can free them)."""
        longest = 0.0
        for window in self._windows:
            finished = window.finished
            while finished and finished[0] <= now - window.seconds:
                finished.popleft()
            busy = self._in_flight_weight if window.weighted else self._in_flight
            excess = len(finished) + busy + window.places(weight) - window.limit
            if excess <= 0:
                continue
            if len(finished) < excess:
                return None
            longest = max(longest, finished[excess - 1] + window.seconds - now)
        return longest

    def acquire(self, weight: int = 1) -> None:
        """Block until a request (of ``weight`` places in the window) may start."""
        if not 1 <= weight <= self.requests_per_window:
            raise ValueError(f"weight must be 1..{self.requests_per_window}")
        while True:
            with self._lock:
                if self._in_flight >= self.max_concurrent:
                    self.waits += 1
                    self._lock.wait(timeout=0.05)
                    continue
                delay = self._delay(self._now(), weight)
                if delay == 0:
                    self._in_flight += 1
                    self._in_flight_weight += weight
                    return
                self.waits += 1
            if delay is None:
                with self._lock:
                    self._lock.wait(timeout=0.05)
            else:
                self._sleep(max(delay, 0.001))

    def release(self, weight: int = 1) -> None:
        with self._lock:
            self._in_flight -= 1
            self._in_flight_weight -= weight
            now = self._now()
            for window in self._windows:
                window.finished.extend([now] * window.places(weight))
            self._lock.notify_all()

    @contextmanager
    def slot(self, weight: int = 1) -> Iterator[None]:
        self.acquire(weight)
        try:
            yield
        finally:
            self.release(weight)
