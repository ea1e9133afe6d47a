"""Use case: one worker delivery from Cloud Tasks, from its body to what to answer."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from shared.errors import TransientError
from shared.logging import correlation_id
from shared.services.retry_policy import RetryDecision, RetryDeps, decide_transient
from shared.services.sync_object import SyncDeps, SyncRequest, SyncResult, sync_object
from shared.services.task_request import parse_task


@dataclass(frozen=True)
class TaskAnswer:
    """Either the sync's result, or a transient failure deferred without a 5xx."""

    request: SyncRequest
    result: SyncResult | None = None
    deferred: RetryDecision | None = None


def run_sync_task(
    body: bytes,
    headers: Mapping[str, str],
    deps: SyncDeps,
    retry_deps: Callable[[], RetryDeps],
) -> TaskAnswer:
    """Sync the object the task names. A TransientError that should be answered with a retry
    (5xx) propagates; one the policy deferred (a scheduled follow-up, or the last attempt
    recorded FAILED) is answered 2xx through ``deferred``."""
    request, payload = parse_task(body, headers)
    correlation_id.set(request.correlation_id)
    try:
        return TaskAnswer(request, result=sync_object(request, deps))
    except TransientError as failure:
        decision = decide_transient(request, payload, failure, retry_deps())
        if decision.answer_with_retry:
            raise
        return TaskAnswer(request, deferred=decision)
