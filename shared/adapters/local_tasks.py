"""An in-process task queue with Cloud Tasks semantics: named tasks, HTTP push, retry backoff."""

from __future__ import annotations

import heapq
import itertools
import json
import logging
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

import requests
from requests.adapters import HTTPAdapter

from shared.domain.retries import RetryHorizon
from shared.errors import PermanentError
from shared.logging import get_logger, log_event
from shared.ports import Clock, Task

# (url, body, headers) -> HTTP status; raising means no response (a timeout or connection error).
Dispatcher = Callable[[str, bytes, Mapping[str, str]], int]
# Called once per task that used up its attempts, with the last HTTP status (None: no response).
ExhaustedCallback = Callable[[Task, int | None], None]

# Cloud Tasks task ids: letters, digits, hyphens and underscores, at most 500 characters.
_TASK_ID = re.compile(r"^[A-Za-z0-9_-]{1,500}$")
_TIMEOUT = "timeout"
_CONNECTION_ERROR = "connection_error"
_logger = get_logger("local_tasks")


@runtime_checkable
class _SettableClock(Protocol):
    """A clock the queue may move forward itself (``ManualClock``): drain never sleeps."""

    def now(self) -> datetime: ...

    def set(self, moment: datetime) -> None: ...


@dataclass
class DrainStats:
    """What one ``drain`` did. ``by_status``: HTTP status, ``timeout`` or ``connection_error``."""

    dispatched: int = 0
    succeeded: int = 0
    retried: int = 0
    exhausted: int = 0
    by_status: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True)
class ExhaustedTask:
    """A task that failed ``max_attempts`` times over ``max_retry_seconds``; Cloud Tasks would
    have deleted it."""

    task: Task
    attempts: int
    last_status: int | None
    last_outcome: str
    exhausted_at: datetime


@dataclass
class _Entry:
    task: Task
    body: bytes
    url: str
    eta: datetime
    attempts: int = 0
    first_attempt_at: datetime | None = None
    responses: int = 0  # handler responses other than 5xx (X-CloudTasks-TaskExecutionCount)
    last_status: int | None = None


class LocalTaskQueue:
    """A ``TaskQueue`` that pushes tasks to HTTP targets from worker threads during ``drain``."""

    def __init__(
        self,
        *,
        default_url: str,
        clock: Clock,
        auth_token: str,
        max_attempts: int,
        min_backoff: float,
        max_backoff: float,
        max_doublings: int,
        dispatch_deadline: float,
        max_retry_seconds: float = 0.0,
        concurrency: int = 4,
        dispatcher: Dispatcher | None = None,
        on_exhausted: ExhaustedCallback | None = None,
        queue_name: str = "local",
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self._default_url = default_url
        self._clock = clock
        self._auth_token = auth_token
        # Cloud Tasks' rule: given up once both the attempts and the retry duration are used.
        self._horizon = RetryHorizon(max_attempts, timedelta(seconds=max_retry_seconds))
        self._min_backoff = min_backoff
        self._max_backoff = max_backoff
        self._max_doublings = max_doublings
        self._dispatch_deadline = dispatch_deadline
        self._concurrency = concurrency
        self._on_exhausted = on_exhausted
        self._queue_name = queue_name
        self._session: requests.Session | None = None
        self._dispatch = dispatcher or self._http_dispatch
        self._cond = threading.Condition()
        self._heap: list[tuple[datetime, int, _Entry]] = []
        self._sequence = itertools.count()
        self._names: set[str] = set()  # every name ever created: Cloud Tasks refuses reuse
        self._in_flight = 0
        self._exhausted: list[ExhaustedTask] = []

    # --- TaskQueue ------------------------------------------------------------------------------

    def enqueue(self, task: Task) -> bool:
        """Create the task; False if a task of that name was created before (ALREADY_EXISTS)."""
        short_name = task.name.rsplit("/", 1)[-1]
        if not _TASK_ID.match(short_name):
            raise PermanentError("invalid task name", code="invalid_task_name")
        try:
            body = json.dumps(task.payload, separators=(",", ":")).encode("utf-8")
        except (TypeError, ValueError) as exc:
            raise PermanentError(f"task payload is not JSON: {exc}", code="bad_payload") from exc
        eta = _utc(task.schedule_time) if task.schedule_time else self._clock.now()
        entry = _Entry(task, body, task.url or self._default_url, eta)
        with self._cond:
            if short_name in self._names:
                return False
            self._names.add(short_name)
            self._push(entry)
        return True

    # --- running --------------------------------------------------------------------------------

    def drain(self, max_seconds: float | None = None) -> DrainStats:
        """Dispatch until nothing is pending (or ``max_seconds`` of real time have passed).

        Tasks enqueued meanwhile, by the workers themselves too, are run in the same drain. With a
        settable clock the queue moves the clock to the next due task instead of sleeping.
        """
        stats = DrainStats()
        stop_at = None if max_seconds is None else time.monotonic() + max_seconds
        workers = [
            threading.Thread(target=self._work, args=(stats, stop_at), name=f"local-tasks-{n}")
            for n in range(self._concurrency)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        return stats

    def pending_count(self) -> int:
        """Tasks waiting or running (not yet succeeded or exhausted)."""
        with self._cond:
            return len(self._heap) + self._in_flight

    def exhausted_tasks(self) -> list[ExhaustedTask]:
        with self._cond:
            return list(self._exhausted)

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    # --- internals ------------------------------------------------------------------------------

    def _push(self, entry: _Entry) -> None:
        heapq.heappush(self._heap, (entry.eta, next(self._sequence), entry))
        self._cond.notify_all()

    def _work(self, stats: DrainStats, stop_at: float | None) -> None:
        while (entry := self._next_due(stop_at)) is not None:
            try:
                self._attempt(entry, stats)
            finally:
                with self._cond:
                    self._in_flight -= 1
                    self._cond.notify_all()

    def _next_due(self, stop_at: float | None) -> _Entry | None:
        with self._cond:
            while True:
                remaining = None if stop_at is None else stop_at - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return None
                if not self._heap:
                    if self._in_flight == 0:
                        return None  # empty and idle: a running task cannot add more work
                    self._cond.wait(remaining)
                    continue
                eta = self._heap[0][0]
                now = self._clock.now()
                if eta <= now:
                    self._in_flight += 1
                    return heapq.heappop(self._heap)[2]
                if isinstance(self._clock, _SettableClock):
                    if self._in_flight == 0:
                        self._clock.set(eta)
                        continue
                    # A running task may still enqueue earlier work: wait before moving time.
                    self._cond.wait(remaining)
                    continue
                wait = (eta - now).total_seconds()
                self._cond.wait(wait if remaining is None else min(wait, remaining))

    def _attempt(self, entry: _Entry, stats: DrainStats) -> None:
        headers = self._headers(entry)
        started = self._clock.now()
        status: int | None = None
        try:
            status = self._dispatch(entry.url, entry.body, headers)
            outcome = str(status)
            if (self._clock.now() - started).total_seconds() > self._dispatch_deadline:
                # An answer after the dispatch deadline is a failure, whatever its status.
                status, outcome = None, _TIMEOUT
        except (requests.Timeout, TimeoutError):
            outcome = _TIMEOUT
        except Exception as exc:
            outcome = _CONNECTION_ERROR
            log_event(
                _logger,
                logging.WARNING,
                "task dispatch got no response",
                task_name=entry.task.name,
                error_class=type(exc).__name__,
            )
        exhausted: ExhaustedTask | None = None
        with self._cond:
            entry.attempts += 1
            entry.first_attempt_at = entry.first_attempt_at or started
            entry.last_status = status
            if status is not None and not 500 <= status < 600:
                entry.responses += 1
            stats.dispatched += 1
            stats.by_status[outcome] += 1
            if status is not None and 200 <= status < 300:
                stats.succeeded += 1
            elif self._horizon.exhausted(entry.attempts, entry.first_attempt_at, self._clock.now()):
                stats.exhausted += 1
                exhausted = ExhaustedTask(
                    entry.task, entry.attempts, status, outcome, self._clock.now()
                )
                self._exhausted.append(exhausted)
            else:
                stats.retried += 1
                entry.eta = self._clock.now() + timedelta(seconds=self.backoff(entry.attempts))
                self._push(entry)
        if exhausted is not None:
            log_event(
                _logger,
                logging.ERROR,
                "task exhausted its attempts",
                task_name=entry.task.name,
                attempt=entry.attempts,
                outcome=outcome,
            )
            if self._on_exhausted is not None:
                try:
                    self._on_exhausted(entry.task, status)
                except Exception as exc:
                    log_event(
                        _logger,
                        logging.ERROR,
                        "on_exhausted callback failed",
                        task_name=entry.task.name,
                        error_class=type(exc).__name__,
                    )

    def backoff(self, failed_attempts: int) -> float:
        """Seconds before the next try after ``failed_attempts`` failures (Cloud Tasks' rule).

        The interval starts at min_backoff, doubles max_doublings times, then grows linearly by
        the last doubled interval, and is capped at max_backoff.
        """
        retry = max(failed_attempts - 1, 0)
        if retry <= self._max_doublings:
            interval = self._min_backoff * 2**retry
        else:
            step = self._min_backoff * 2**self._max_doublings
            interval = step * (retry - self._max_doublings + 1)
        return float(min(interval, self._max_backoff))

    def _headers(self, entry: _Entry) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "User-Agent": "Google-Cloud-Tasks"}
        headers.update(entry.task.headers)
        headers.update(
            {
                "X-CloudTasks-QueueName": self._queue_name,
                "X-CloudTasks-TaskName": entry.task.name.rsplit("/", 1)[-1],
                "X-CloudTasks-TaskRetryCount": str(entry.attempts),
                "X-CloudTasks-TaskExecutionCount": str(entry.responses),
                "X-CloudTasks-TaskETA": f"{entry.eta.timestamp():.6f}",
                "Authorization": f"Bearer {self._auth_token}",
            }
        )
        if entry.last_status is not None:
            headers["X-CloudTasks-TaskPreviousResponse"] = str(entry.last_status)
        return headers

    def _http_dispatch(self, url: str, body: bytes, headers: Mapping[str, str]) -> int:
        with self._cond:
            if self._session is None:
                session = requests.Session()
                adapter = HTTPAdapter(pool_maxsize=self._concurrency)
                session.mount("http://", adapter)
                session.mount("https://", adapter)
                self._session = session
            session = self._session
        response = session.post(
            url, data=body, headers=dict(headers), timeout=self._dispatch_deadline
        )
        response.close()
        return response.status_code


def _utc(moment: datetime) -> datetime:
    # A naive schedule time is taken as UTC, the only zone the system uses.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
