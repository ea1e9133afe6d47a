"""Use case: mirror one Stripe object into QBO, exactly once, from its current state."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from pydantic import ValidationError

from shared.domain.idempotency import payload_hash, qbo_request_id_from
from shared.domain.mapping import qbo_customer_from_stripe_customer, qbo_invoice_from_stripe_invoice
from shared.domain.qbo_models import Ref
from shared.domain.stripe_models import StripeCustomer, invalid_field_paths, invoice_from_api
from shared.errors import (
    DuplicateNameError,
    MappingGapError,
    PermanentError,
    SyncError,
    TransientError,
    ValidationFailedError,
)
from shared.ports import Clock, QboGateway, StripeGateway
from shared.services.qbo_lookup import entity_id, find_one
from shared.services.records import Attempt, Link, LinkStore, Outcome, SyncLog
from shared.services.reference_data import BooksConfig, ReferenceData

DUPLICATE_DOC_NUMBER = "6140"


def mapping_gap_from_validation(invalid: ValidationError) -> MappingGapError:
    """A Stripe object of a shape we do not read; only field paths, never values (PII)."""
    return MappingGapError(
        f"unexpected Stripe object shape at: {invalid_field_paths(invalid)}", code="stripe_shape"
    )


@dataclass(frozen=True)
class SyncRequest:
    """What a task asks for: one Stripe object, named by type and id."""

    object_type: str
    object_id: str
    task_name: str
    correlation_id: str
    event_id: str | None = None
    event_type: str | None = None
    attempt: int = 1


@dataclass(frozen=True)
class SyncResult:
    outcome: Outcome
    qbo_entity_type: str | None = None
    qbo_entity_id: str | None = None
    reason: str | None = None


@dataclass
class SyncDeps:
    stripe: StripeGateway
    qbo: QboGateway
    links: LinkStore
    sync_log: SyncLog
    references: ReferenceData
    clock: Clock
    books: BooksConfig = field(default_factory=BooksConfig)


@dataclass
class _Work:
    """What one run collected: link rows to append at the end, in one batch."""

    request: SyncRequest
    deps: SyncDeps
    links: list[Link] = field(default_factory=list)

    def link(self, **fields: object) -> Link:
        link = Link(
            attempt=self.request.attempt,
            event_id=self.request.event_id,
            task_name=self.request.task_name,
            **fields,  # type: ignore[arg-type]
        )
        self.links.append(link)
        return link

    @property
    def heal_first(self) -> bool:
        """A retry may follow a write whose link was never recorded: look before creating."""
        return self.request.attempt > 1


def _create_or_heal(
    work: _Work,
    entity: str,
    document: dict[str, object],
    request_id: str,
    lookup: Callable[[], dict[str, object] | None],
    *,
    heal_first: bool,
) -> str:
    qbo = work.deps.qbo
    if heal_first:
        found = lookup()
        if found is not None:
            return entity_id(found)
    try:
        return entity_id(qbo.create(entity, document, request_id))
    except (DuplicateNameError, ValidationFailedError) as error:
        # 6240 / 6140: the name or number is ours by construction, so the entity is ours too.
        if isinstance(error, DuplicateNameError) or error.code == DUPLICATE_DOC_NUMBER:
            found = lookup()
            if found is not None:
                return entity_id(found)
        raise


def ensure_customer(work: _Work, customer_id: str) -> Ref:
    deps = work.deps
    existing = deps.links.current(customer_id, "Customer")
    if existing is not None and existing.completed and existing.qbo_entity_id:
        return Ref(value=existing.qbo_entity_id)
    customer = StripeCustomer.model_validate(deps.stripe.retrieve("customer", customer_id))
    document = qbo_customer_from_stripe_customer(customer)
    body = document.to_qbo()
    qbo_id = _create_or_heal(
        work,
        "Customer",
        body,
        qbo_request_id_from("cus", customer.id),
        lambda: find_one(deps.qbo, "Customer", "DisplayName", document.DisplayName),
        heal_first=work.heal_first or existing is not None,
    )
    work.link(
        stripe_object_id=customer.id,
        stripe_object_type="customer",
        qbo_entity_type="Customer",
        qbo_entity_id=qbo_id,
        status="COMPLETED",
        payload_hash=payload_hash(body),
    )
    return Ref(value=qbo_id)


def sync_customer(work: _Work) -> SyncResult:
    ref = ensure_customer(work, work.request.object_id)
    return SyncResult("COMPLETED", "Customer", ref.value)


def sync_invoice(work: _Work) -> SyncResult:
    deps, invoice_id = work.deps, work.request.object_id
    raw = deps.stripe.retrieve("invoice", invoice_id)
    if raw.get("status") == "draft":
        return SyncResult("SKIPPED", "Invoice", reason="draft: not an accounting document yet")
    existing = deps.links.current(invoice_id, "Invoice")
    if existing is not None and existing.completed:
        return SyncResult("SKIPPED", "Invoice", existing.qbo_entity_id, reason="already synced")
    embedded = raw.get("lines") or {}
    lines = embedded.get("data", []) if isinstance(embedded, dict) else []
    if not isinstance(embedded, dict) or embedded.get("has_more"):
        lines = deps.stripe.list_invoice_lines(invoice_id)
    invoice = invoice_from_api(raw, lines)
    customer_ref = ensure_customer(work, invoice.customer)
    document = qbo_invoice_from_stripe_invoice(
        invoice,
        customer_ref,
        deps.references.default_item(),
        home_currency=deps.books.home_currency,
        tz=deps.books.tz,
    )
    body = document.to_qbo()
    doc_number = document.DocNumber or ""
    qbo_id = _create_or_heal(
        work,
        "Invoice",
        body,
        qbo_request_id_from("inv", invoice.id),
        lambda: find_one(deps.qbo, "Invoice", "DocNumber", doc_number),
        heal_first=work.heal_first or existing is not None,
    )
    work.link(
        stripe_object_id=invoice.id,
        stripe_object_type="invoice",
        qbo_entity_type="Invoice",
        qbo_entity_id=qbo_id,
        doc_number=doc_number,
        status="COMPLETED",
        payload_hash=payload_hash(body),
    )
    return SyncResult("COMPLETED", "Invoice", qbo_id)


HANDLERS: dict[str, tuple[str, Callable[[_Work], SyncResult]]] = {
    "customer": ("Customer", sync_customer),
    "invoice": ("Invoice", sync_invoice),
}


def sync_object(request: SyncRequest, deps: SyncDeps) -> SyncResult:
    """Sync one object. TransientError propagates (retry); PermanentError is recorded FAILED."""
    started = time.monotonic()
    work = _Work(request, deps)
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
    except PermanentError as failure:
        error = failure
        entity = handler[0] if handler else "unknown"
        work.link(
            stripe_object_id=request.object_id,
            stripe_object_type=request.object_type,
            qbo_entity_type=entity,
            status="FAILED",
            last_error_class=failure.error_class,
            last_error_code=failure.code,
            last_error=failure.message,
        )
        result = SyncResult("FAILED", entity, reason=failure.message)
    except TransientError as failure:
        error = failure
        result = SyncResult("RETRY", reason=failure.message)
        raise
    finally:
        now = deps.clock.now()
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
