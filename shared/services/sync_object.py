"""Use case: mirror one Stripe object into QBO, exactly once, from its current state."""

from __future__ import annotations

import time
from collections.abc import Callable

from pydantic import ValidationError

from shared.domain.stripe_models import invalid_field_paths
from shared.errors import MappingGapError, PermanentError, SyncError, TransientError
from shared.services.posting.charges import sync_charge, sync_refund
from shared.services.posting.credits import sync_credit_note, sync_dispute
from shared.services.posting.customers import sync_customer
from shared.services.posting.invoices import sync_invoice
from shared.services.posting.payouts import sync_payout
from shared.services.posting.work import SyncDeps, SyncRequest, SyncResult, Work
from shared.services.records import Attempt, Link

__all__ = ["HANDLERS", "SyncDeps", "SyncRequest", "SyncResult", "sync_object"]

# Stripe object type -> (the QBO entity it is mainly posted as, its handler)
HANDLERS: dict[str, tuple[str, Callable[[Work], SyncResult]]] = {
    "customer": ("Customer", sync_customer),
    "invoice": ("Invoice", sync_invoice),
    "charge": ("SalesReceipt", sync_charge),
    "refund": ("RefundReceipt", sync_refund),
    "credit_note": ("CreditMemo", sync_credit_note),
    "dispute": ("JournalEntry", sync_dispute),
    "payout": ("Deposit", sync_payout),
}


def mapping_gap_from_validation(invalid: ValidationError) -> MappingGapError:
    """A Stripe object of a shape we do not read; only field paths, never values (PII)."""
    return MappingGapError(
        f"unexpected Stripe object shape at: {invalid_field_paths(invalid)}", code="stripe_shape"
    )


def sync_object(request: SyncRequest, deps: SyncDeps) -> SyncResult:
    """Sync one object. TransientError propagates (retry); PermanentError is recorded FAILED.

    What was posted before a failure stays linked, so a retry resumes rather than repeats.
    """
    started = time.monotonic()
    work = Work(request, deps)
    handler = HANDLERS.get(request.object_type)
    error: SyncError | None = None
    result = SyncResult("RETRY", reason="unexpected error")
    try:
        if handler is None:
            result = SyncResult("SKIPPED", reason=f"no posting rule for {request.object_type}")
        else:
            try:
                result = handler[1](work)
            except ValidationError as invalid:
                raise mapping_gap_from_validation(invalid) from None
            if result.outcome == "COMPLETED" and not work.links:
                result = SyncResult(
                    "SKIPPED",
                    result.qbo_entity_type,
                    result.qbo_entity_id,
                    reason="already in sync",
                )
    except PermanentError as failure:
        error = failure
        entity = handler[0] if handler else "unknown"
        work.links.append(
            Link(
                stripe_object_id=request.object_id,
                stripe_object_type=request.object_type,
                qbo_entity_type=entity,
                status="FAILED",
                attempt=request.attempt,
                event_id=request.event_id,
                task_name=request.task_name,
                last_error_class=failure.error_class,
                last_error_code=failure.code,
                last_error=failure.message,
            )
        )
        result = SyncResult("FAILED", entity, reason=failure.message)
    except TransientError as failure:
        error = failure
        result = SyncResult("RETRY", reason=failure.message)
        raise
    finally:
        now = deps.clock.now()
        # One batch; a FAILED link comes after whatever this run completed under its key.
        deps.links.record(work.links, now)
        deps.sync_log.record(
            [
                Attempt(
                    task_name=request.task_name,
                    event_id=request.event_id,
                    object_id=request.object_id,
                    object_type=request.object_type,
                    operation=f"sync_{request.object_type}",
                    outcome=result.outcome,
                    duration_ms=int((time.monotonic() - started) * 1000),
                    attempt=request.attempt,
                    correlation_id=request.correlation_id,
                    error_class=error.error_class if error else None,
                    error_code=error.code if error else None,
                    error_message=error.message if error else None,
                    detail=result.reason if result.outcome == "SKIPPED" else None,
                )
            ],
            now,
        )
    return result
