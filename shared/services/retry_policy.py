"""Use case: what a transient failure of a sync task becomes: a retry now, a retry later, or FAILED.

Cloud Tasks retries a 5xx answer with the queue's backoff (1 s doubling to 10 min). Two failures
want another pace, so they answer 2xx and leave a follow-up task scheduled ahead: QBO's 429 (Intuit
asks for 60 s, the backoff would retry within seconds) and a lease another worker holds (it is
usually given back within seconds, while the backoff would keep doubling). A task on its last
attempt (its attempts used *and* the retry horizon, days, passed: shared.domain.retries) is
recorded FAILED (code ``exhausted``) and answered 2xx, because Cloud Tasks would drop it silently;
catch-up re-drives such failures by itself, since a transient cause is not a reason to stop.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from shared.config import Settings
from shared.domain.retries import EXHAUSTED_CODE, PRIOR_ATTEMPTS, RetryHorizon, enqueued_at
from shared.errors import LeaseHeldError, ThrottledError, TransientError, UnexpectedError
from shared.logging import get_logger, log_event
from shared.ports import Clock, Task, TaskQueue
from shared.services.posting.work import SyncDeps, SyncRequest
from shared.services.records import LinkStore, SyncLog
from shared.services.sync_object import HANDLERS
from shared.services.sync_records import attempt_row, entity_key_of, failed_link

THROTTLE_MIN_WAIT_SECONDS = 60.0
LEASE_WAIT_SECONDS = 5.0  # a held lease: look again after this, plus up to as much again
LEASE_WAITS = "lease_waits"  # payload key: held leases met in a row by this chain

ORIGIN_TASK = "origin_task"  # payload key: the first task's name, the stem of follow-up names

logger = get_logger("retry_policy")
Action = Literal["RETRY", "RETRY_SCHEDULED", "EXHAUSTED", "GAVE_UP"]
UNEXPECTED_MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class RetryDeps:
    queue: TaskQueue
    links: LinkStore
    sync_log: SyncLog
    clock: Clock
    horizon: RetryHorizon  # the queue's: attempts and retry duration
    main_entities: dict[str, str]  # Stripe object type -> the QBO entity its FAILED link names
    # The queue judges a failed attempt after the answer, up to a dispatch deadline later: the
    # worker calls its attempt the last this much early (early is safe: catch-up re-drives it).
    margin: timedelta = timedelta(minutes=5)

    def last_attempt(self, request: SyncRequest, payload: dict[str, Any]) -> bool:
        now = self.clock.now() + self.margin
        return self.horizon.exhausted(request.attempt, enqueued_at(payload), now)


@dataclass(frozen=True)
class RetryDecision:
    action: Action
    follow_up_task: str | None = None
    delay_seconds: float | None = None

    @property
    def answer_with_retry(self) -> bool:
        """True: answer 5xx so the queue retries; False: 2xx, the decision is recorded."""
        return self.action == "RETRY"


def retry_deps(sync: SyncDeps, queue: TaskQueue, settings: Settings) -> RetryDeps:
    return RetryDeps(
        queue=queue,
        links=sync.links,
        sync_log=sync.sync_log,
        clock=sync.clock,
        horizon=RetryHorizon(
            settings.task_max_attempts, timedelta(seconds=settings.task_max_retry_seconds)
        ),
        main_entities={kind: entity for kind, (entity, _) in HANDLERS.items()},
        margin=timedelta(seconds=settings.task_dispatch_deadline_seconds),
    )


def with_prior_attempts(request: SyncRequest, payload: dict[str, Any]) -> SyncRequest:
    """The attempt number counted across a chain of follow-up tasks (heal-first stays on)."""
    prior = payload.get(PRIOR_ATTEMPTS)
    if isinstance(prior, int) and not isinstance(prior, bool) and prior > 0:
        return dataclasses.replace(request, attempt=request.attempt + prior)
    return request


def follow_up_task_name(request: SyncRequest, payload: dict[str, Any]) -> str:
    """Deterministic per (first task, attempt): a repeated answer re-enqueues the same name."""
    origin = payload.get(ORIGIN_TASK)
    stem = origin if isinstance(origin, str) and origin else request.task_name
    return f"{stem}-r{request.attempt}"


def decide_transient(
    request: SyncRequest, payload: dict[str, Any], error: TransientError, deps: RetryDeps
) -> RetryDecision:
    """Record what happens next after ``error``; the caller answers by ``answer_with_retry``."""
    if isinstance(error, UnexpectedError):
        # Recorded FAILED (with the exception's class) by the sync already; a few retries for a
        # rare race, then a 2xx: retrying a bug for days helps nobody, a replay after the fix does.
        if request.attempt >= UNEXPECTED_MAX_ATTEMPTS or deps.last_attempt(request, payload):
            _log_gave_up(request, error)
            return RetryDecision("GAVE_UP")
        return RetryDecision("RETRY")
    if deps.last_attempt(request, payload):
        _record_exhausted(request, error, deps)
        return RetryDecision("EXHAUSTED")
    waits = payload.get(LEASE_WAITS)
    waits = waits if isinstance(waits, int) and not isinstance(waits, bool) else 0
    delay = follow_up_delay(request, error, waits)
    if delay is not None:
        name = follow_up_task_name(request, payload)
        origin = payload.get(ORIGIN_TASK) or request.task_name
        follow = {**payload, PRIOR_ATTEMPTS: request.attempt, ORIGIN_TASK: origin}
        if isinstance(error, LeaseHeldError):
            follow[LEASE_WAITS] = waits + 1
        task = Task(
            name=name,
            payload=follow,
            schedule_time=deps.clock.now() + timedelta(seconds=delay),
        )
        try:
            deps.queue.enqueue(task)  # False (the name exists) means an earlier answer did it
        except TransientError:
            return RetryDecision("RETRY")  # no follow-up: the queue's own retry must do
        _log_attempt(request, deps, "RETRY", error, f"retry scheduled in {delay:.0f} s as {name}")
        return RetryDecision("RETRY_SCHEDULED", name, delay)
    return RetryDecision("RETRY")


def follow_up_delay(
    request: SyncRequest, error: TransientError, lease_waits: int = 0
) -> float | None:
    """Seconds until a follow-up task for a failure the queue's backoff serves badly, or None.

    A held lease: 5 to 10 s the first time (a live holder is done within seconds), doubling
    while it stays held, up to the time the lease can still run (a crashed holder's expires).
    """
    if isinstance(error, ThrottledError) and error.retry_after_seconds:
        return max(THROTTLE_MIN_WAIT_SECONDS, float(error.retry_after_seconds))
    if isinstance(error, LeaseHeldError):
        # Spread the waiters of one family (six deliveries of an invoice at once) over the
        # window, deterministically: the same delivery answered twice schedules the same task.
        spread = hashlib.sha256(f"{request.task_name}:{request.attempt}".encode()).digest()[0]
        wait = LEASE_WAIT_SECONDS * (1 + spread / 255) * float(2 ** min(lease_waits, 6))
        ceiling = max(float(error.retry_after_seconds or 0.0), 2 * LEASE_WAIT_SECONDS)
        return min(wait, ceiling)
    return None


def record_exhausted_task(
    payload: dict[str, Any], task_name: str, attempts: int, deps: RetryDeps
) -> None:
    """For a queue's exhausted callback: the task died without answering (crash, timeout)."""
    object_type, object_id = payload.get("object_type"), payload.get("object_id")
    if not isinstance(object_type, str) or not isinstance(object_id, str):
        return
    request = SyncRequest(
        object_type=object_type,
        object_id=object_id,
        task_name=task_name,
        correlation_id=task_name,
        event_id=payload.get("event_id"),
        event_type=payload.get("event_type"),
        attempt=attempts,
    )
    error = TransientError("no answer from the worker", code="no_response")
    _record_exhausted(request, error, deps)


def _record_exhausted(request: SyncRequest, error: TransientError, deps: RetryDeps) -> None:
    message = f"gave up after {request.attempt} attempts; last error: {error.message}"
    entity = entity_key_of(error.where, deps.main_entities.get(request.object_type, "unknown"))
    link = failed_link(
        request,
        entity,
        error_class=error.error_class,
        code=EXHAUSTED_CODE,
        message=message,
        where=error.where,
    )
    deps.links.record([link], deps.clock.now())
    _log_attempt(request, deps, "FAILED", error, message, code=EXHAUSTED_CODE)
    log_event(
        logger,
        logging.ERROR,
        "task exhausted its attempts; recorded FAILED for replay",
        object_type=request.object_type,
        object_id=request.object_id,
        task_name=request.task_name,
        attempt=request.attempt,
        outcome="FAILED",
        error_class=error.error_class,
        error_code=error.code,
    )


def _log_gave_up(request: SyncRequest, error: TransientError) -> None:
    log_event(
        logger,
        logging.ERROR,
        "task keeps failing with an unexpected error; recorded FAILED, not retried",
        object_type=request.object_type,
        object_id=request.object_id,
        task_name=request.task_name,
        attempt=request.attempt,
        outcome="FAILED",
        error_class=error.error_class,
        error_code=error.code,
    )


def _log_attempt(
    request: SyncRequest,
    deps: RetryDeps,
    outcome: Literal["RETRY", "FAILED"],
    error: TransientError,
    detail: str,
    *,
    code: str | None = None,
) -> None:
    deps.sync_log.record(
        [
            attempt_row(
                request,
                outcome,
                operation="retry_policy",
                error_class=error.error_class,
                error_code=code or error.code,
                error_message=error.message,
                detail=detail,
            )
        ],
        deps.clock.now(),
    )
