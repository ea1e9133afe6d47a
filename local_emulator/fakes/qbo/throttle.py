"""Per-realm throttling as QBO applies it: sliding windows per minute and per second, plus a
concurrency cap.

Sources (Intuit's own):
- Limits page, https://developer.intuit.com/app/developer/qbo/docs/learn/limits-and-throttles:
  REST endpoints 500 requests per minute per realm ID; batch endpoint "throttled at 40 Batch
  requests per minute, per realm ID and app" and "120 Batch requests per minute per realm ID";
  recommended maximum 30 payloads per batch; 10 requests per second per realm ID and app (the
  batch endpoint has its own limits, so the per-second window counts single requests only).
- Intuit developer blog, 2025-08-13, "Upcoming changes to the Accounting API",
  https://blogs.intuit.com/2025/08/13/upcoming-changes-to-the-accounting-api: the 120 batch
  requests per minute per realm ID is new, in addition to the limits already in place (sandbox
  from 2025-08-15, production from 2025-10-31).
- Intuit developer blog, 2016-08-08, https://blogs.intuit.com/2016/08/08/idg-concurrent-api-use-
  changes-coming-soon/: "API calls are throttled at 500 requests per minute per realmId,
  including batch requests", and at most 10 concurrent requests per realm and app.
- Intuit's batch sample, https://github.com/IntuitDeveloper/SampleApp-Batch-Java (file
  docs/batch-tutorial.md): "Each BatchItemRequest is metered like a normal call (no cost
  discount)".

Whether each payload of a batch counts against the 500 per minute is not stated in so many words.
``batch_counting="items"`` (the default, the stricter reading of the sources above) counts every
payload; ``"request"`` counts a batch once. The sync must stay under the limits either way.
"""

from __future__ import annotations

import threading
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Literal

from shared.ports import Clock

BatchCounting = Literal["items", "request"]


@dataclass(frozen=True)
class ThrottleLimits:
    requests_per_minute: int = 500
    requests_per_second: int = 10  # per realm and app, single requests
    batch_per_minute: int = 40  # per realm and app
    batch_per_minute_realm: int = 120  # per realm, every app together (2025)
    max_concurrent: int = 10
    batch_counting: BatchCounting = "items"


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
        self._second = 1.0 / time_scale
        self._requests: deque[float] = deque()
        self._this_second: deque[float] = deque()
        self._batches: deque[float] = deque()
        self._app_batches: dict[str, deque[float]] = defaultdict(deque)
        self._in_flight = 0
        self._lock = threading.Lock()

    @property
    def window_seconds(self) -> float:
        return self._window

    def _prune(self, stamps: deque[float], now: float, window: float | None = None) -> None:
        cutoff = now - (self._window if window is None else window)
        while stamps and stamps[0] <= cutoff:
            stamps.popleft()

    def try_acquire(self, *, batch: bool = False, items: int = 1, app: str = "") -> bool:
        """Count the request in; False (and nothing counted) when a limit is reached.

        ``items``: the payloads of a batch; ``app``: the OAuth client the token belongs to.
        """
        now = self._clock.now().timestamp()
        limits = self.limits
        with self._lock:
            if self._in_flight >= limits.max_concurrent:
                return False
            units = max(1, items) if batch and limits.batch_counting == "items" else 1
            self._prune(self._requests, now)
            if len(self._requests) + units > limits.requests_per_minute:
                return False
            if batch:
                per_app = self._app_batches[app]
                self._prune(per_app, now)
                self._prune(self._batches, now)
                if len(per_app) >= limits.batch_per_minute:
                    return False
                if len(self._batches) >= limits.batch_per_minute_realm:
                    return False
                per_app.append(now)
                self._batches.append(now)
            else:
                self._prune(self._this_second, now, self._second)
                if len(self._this_second) >= limits.requests_per_second:
                    return False
                self._this_second.append(now)
            self._requests.extend([now] * units)
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
            self._this_second.clear()
            self._batches.clear()
            self._app_batches.clear()
            self._in_flight = 0
