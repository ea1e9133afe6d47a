"""Use case: mirror one Stripe object into QBO, exactly once, from its current state."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from pydantic import ValidationError

from shared.domain.stripe_models import invalid_field_paths
from shared.errors import (
    MappingGapError,
    PermanentError,
    SyncError,
    TransientError,
    UnexpectedError,
)
from shared.freshness import reads_fresh_after
from shared.logging import get_logger, log_event
from shared.services.posting.charges import sync_charge, sync_refund
from shared.services.posting.credits import sync_credit_note, sync_dispute
from shared.services.posting.customers import sync_customer
from shared.services.posting.cutover import sync_cutover
from shared.services.posting.invoice_sync import sync_invoice
from shared.services.posting.payouts import sync_payout
from shared.services.posting.products import sync_product
from shared.services.posting.work import SyncDeps, SyncRequest, SyncResult, Work
from shared.services.records import Link
from shared.services.sync_records import attempt_row, entity_key_of, failed_link, resolved_links

log = get_logger("sync")

__all__ = ["HANDLERS", "SyncDeps", "SyncRequest", "SyncResult", "sync_object"]

# Stripe object type -> (the QBO entity it is mainly posted as, its handler)
HANDLERS: dict[str, tuple[str, Callable[[Work], SyncResult]]] = {
    "customer": ("Customer", sync_customer),
    "product": ("Item", sync_product),
    "invoice": ("Invoice", sync_invoice),
    "charge": ("SalesReceipt", sync_charge),
    "refund": ("RefundReceipt", sync_refund),
    "credit_note": ("CreditMemo", sync_credit_note),
    "dispute": ("JournalEntry", sync_dispute),
    "payout": ("Deposit", sync_payout),
    # what clearing held at the cutover date (a currency code, or ``all``): a backfill's first step
    "cutover": ("JournalEntry", sync_cutover),
}


def mapping_gap_from_validation(invalid: ValidationError) -> MappingGapError:
    """A Stripe object of a shape we do not read; only field paths, never values (PII)."""
    return MappingGapError(
        f"unexpected Stripe object shape at: {invalid_field_paths(invalid)}", code="stripe_shape"
    )


def sync_object(request: SyncRequest, deps: SyncDeps) -> SyncResult:
    """Sync one object under its family's lease. TransientError propagates (retry), carrying
    ``where`` it happened; PermanentError is recorded FAILED where it happened; any other
    exception (a bug) is recorded FAILED with its class and propagates as UnexpectedError.

    What was posted before a failure stays linked, so a retry resumes rather than repeats; a
    success clears the object's earlier FAILED links (RESOLVED). Stripe reads are shared with
    other syncs when they started after ``request.fresh_after`` (or after this sync began).
    """
    fresh_after = request.fresh_after
    if fresh_after is None:
        fresh_after = deps.clock.now().timestamp()
    with reads_fresh_after(fresh_after):
        return _sync(request, deps)


def _sync(request: SyncRequest, deps: SyncDeps) -> SyncResult:
    started = time.monotonic()
    work = Work(request, deps)
    handler = HANDLERS.get(request.object_type)
    main_entity = handler[0] if handler else "unknown"
    error: SyncError | None = None
    failures: list[Link] = []
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
        # Keys this run wrote over under the object itself (a customer it ensured is linked
        # under the customer's id, which leaves a failure recorded here at "Customer" standing).
        written = {
            link.qbo_entity_type
            for link in work.links
            if link.stripe_object_id == request.object_id
        }
        earlier = deps.links.of_object(request.object_id).values()
        failures = resolved_links(request, list(earlier), written)
    except PermanentError as failure:
        error = failure
        failures = [_failed(request, work, main_entity, failure)]
        result = SyncResult("FAILED", main_entity, reason=failures[0].last_error)
    except TransientError as failure:
        error = failure
        failure.where = work.at
        result = SyncResult("RETRY", reason=failure.message)
        raise
    except Exception as bug:
        log_event(
            log,
            logging.ERROR,
            "sync raised an unexpected exception; recorded FAILED",
            object_type=request.object_type,
            object_id=request.object_id,
            task_name=request.task_name,
            attempt=request.attempt,
            outcome="FAILED",
            error_class=type(bug).__name__,
            error_code=UnexpectedError.default_code,
            reason=work.at,
        )
        error = UnexpectedError(f"unexpected {type(bug).__name__}: a bug, see the logs")
        error.where = work.at
        failures = [_failed(request, work, main_entity, error, error_class=type(bug).__name__)]
        result = SyncResult("FAILED", main_entity, reason=failures[0].last_error)
        raise error from bug
    finally:
        now = deps.clock.now()
        # One batch; a FAILED link comes after whatever this run completed under its key.
        deps.links.record([*work.links, *failures], now)
        deps.sync_log.record(
            [
                attempt_row(
                    request,
                    result.outcome,
                    operation=f"sync_{request.object_type}",
                    duration_ms=int((time.monotonic() - started) * 1000),
                    error_class=_error_class(error, failures),
                    error_code=error.code if error else None,
                    error_message=error.message if error else None,
                    detail=result.reason if result.outcome == "SKIPPED" else None,
                )
            ],
            now,
        )
        # After the links, so the next holder finds them; unsettled after a transient failure.
        work.release(settled=not isinstance(error, TransientError))
    return result


def _failed(
    request: SyncRequest,
    work: Work,
    main_entity: str,
    error: SyncError,
    *,
    error_class: str | None = None,
) -> Link:
    return failed_link(
        request,
        entity_key_of(work.at, main_entity),
        error_class=error_class or error.error_class,
        code=error.code,
        message=error.message,
        where=work.at,
    )


def _error_class(error: SyncError | None, failures: list[Link]) -> str | None:
    """The class recorded for the attempt: an unexpected exception's own class, not ours."""
    if error is None:
        return None
    failed = [link for link in failures if link.status == "FAILED"]
    return failed[0].last_error_class if failed else error.error_class
