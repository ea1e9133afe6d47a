"""The one place that builds what a sync run leaves in the warehouse: FAILED links (where the
failure happened), RESOLVED rows (a later success clears earlier failures), and attempt rows."""

from __future__ import annotations

from shared.services.posting.work import SyncRequest
from shared.services.records import Attempt, Link, Outcome

UNEXPECTED_CODE = "unexpected"


def failed_link(
    request: SyncRequest,
    entity_key: str,
    *,
    error_class: str,
    code: str,
    message: str,
    where: str | None = None,
) -> Link:
    """FAILED under the task's object (what a replay re-syncs) and the QBO entity key where the
    failure happened (``Payment of in_1``: key ``Payment``), not the object's main entity."""
    return Link(
        stripe_object_id=request.object_id,
        stripe_object_type=request.object_type,
        qbo_entity_type=entity_key,
        status="FAILED",
        attempt=request.attempt,
        event_id=request.event_id,
        task_name=request.task_name,
        last_error_class=error_class,
        last_error_code=code,
        last_error=f"at {where}: {message}" if where else message,
    )


def entity_key_of(where: str | None, default: str) -> str:
    """``Payment:oob of in_1`` -> ``Payment:oob``."""
    return where.split(" of ", 1)[0] if where else default


def resolved_links(request: SyncRequest, failed: list[Link], written: set[str]) -> list[Link]:
    """After a successful run: the object's FAILED links this run did not write over."""
    return [
        Link(
            stripe_object_id=request.object_id,
            stripe_object_type=request.object_type,
            qbo_entity_type=link.qbo_entity_type,
            status="RESOLVED",
            qbo_entity_id=link.qbo_entity_id,
            attempt=request.attempt,
            event_id=request.event_id,
            task_name=request.task_name,
            last_error=f"cleared by a successful sync ({request.task_name})",
        )
        for link in failed
        if link.status == "FAILED" and link.qbo_entity_type not in written
    ]


def attempt_row(
    request: SyncRequest,
    outcome: Outcome,
    *,
    operation: str,
    duration_ms: int = 0,
    error_class: str | None = None,
    error_code: str | None = None,
    error_message: str | None = None,
    detail: str | None = None,
) -> Attempt:
    return Attempt(
        task_name=request.task_name,
        event_id=request.event_id,
        object_id=request.object_id,
        object_type=request.object_type,
        operation=operation,
        outcome=outcome,
        duration_ms=duration_ms,
        attempt=request.attempt,
        correlation_id=request.correlation_id,
        error_class=error_class,
        error_code=error_code,
        error_message=error_message,
        detail=detail,
    )
