"""When a queue gives a failing task up: Cloud Tasks' rule, decided purely.

Cloud Tasks stops retrying a task only when *both* limits are reached: it was attempted
``max_attempts`` times (-1: never reached) *and* ``max_retry_duration`` has passed since its
first attempt (0: no age limit). With -1 and 0 a task is kept until the queue's retention limit
(Cloud Tasks v2 reference, RetryConfig). A horizon of days means that a QBO or network outage of
hours heals by itself: the attempts run out within two hours at the default backoff, the
duration keeps the task alive.

A task's payload carries when its chain was first enqueued (``enqueued_at``), so the worker can
tell its own last attempt and record it before the queue drops the task.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

ENQUEUED_AT = "enqueued_at"  # payload key: ISO 8601 UTC time the task (chain) was first enqueued
PRIOR_ATTEMPTS = "prior_attempts"  # payload key: attempts made by the tasks this one follows
EXHAUSTED_CODE = "exhausted"  # a FAILED link's code when its transient failure ran out of time


@dataclass(frozen=True)
class RetryHorizon:
    max_attempts: int  # -1 (or 0): no attempt limit
    max_retry: timedelta  # zero: no age limit

    def exhausted(self, attempts: int, first: datetime | None, now: datetime) -> bool:
        """Whether a task attempted ``attempts`` times, first at ``first``, is given up now.

        ``first`` None (a task from before payloads carried the time): the attempts decide.
        """
        if self.max_attempts <= 0 or attempts < self.max_attempts:
            return False
        if self.max_retry <= timedelta(0) or first is None:
            return True
        return now - first >= self.max_retry


def stamped(payload: dict[str, Any], now: datetime) -> dict[str, Any]:
    """``payload`` with the time its task is first enqueued (kept if already there)."""
    if isinstance(payload.get(ENQUEUED_AT), str):
        return payload
    return {**payload, ENQUEUED_AT: now.astimezone(UTC).isoformat(timespec="seconds")}


def enqueued_at(payload: dict[str, Any]) -> datetime | None:
    """When the task's chain was first enqueued, if its payload says (None if absent or bad)."""
    value = payload.get(ENQUEUED_AT)
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
