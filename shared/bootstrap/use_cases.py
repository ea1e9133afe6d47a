"""Builders of the use cases, each over the adapters of the tenant in scope (cheap: no I/O
here). A use case is imported by its builder: the webhook never loads the worker's.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from shared.bootstrap.adapters import (
    clock,
    company,
    leases,
    qbo_gateway,
    raw_warehouse,
    secrets,
    stripe_gateway,
    task_queue,
    tenant_directory,
    warehouse,
    webhook_verifier,
)
from shared.bootstrap.scope import _singleton, for_tenant, settings
from shared.config import get_settings

if TYPE_CHECKING:
    from shared.ports import JsonDict, QboGateway, StripeBilling
    from shared.services.backfill import Backfill
    from shared.services.catch_up import CatchUp
    from shared.services.existing_books import ExistingBooks
    from shared.services.ingest_event import IngestDeps
    from shared.services.posting.work import StatementAttacher
    from shared.services.reconcile import Reconcile
    from shared.services.replay import Replay
    from shared.services.retry_policy import RetryDeps
    from shared.services.settlement_poll import SettlementPoll
    from shared.services.sync_object import SyncDeps
    from shared.services.undo import Undo
    from shared.tenancy.routing import TenantIngest

BACKFILL_SNAPSHOT_SECONDS = 600.0


def retry_policy_deps() -> RetryDeps:
    """What the retry policy records and enqueues with (cheap: built from the singletons)."""
    from shared.services.retry_policy import retry_deps

    return retry_deps(sync_deps(), task_queue(), settings())


@_singleton
def ingest_deps() -> IngestDeps:
    from shared.services.ingest_event import IngestDeps
    from shared.tenancy.routing import TenantWebhookRoutes

    s = settings()
    return IngestDeps(
        verifier=webhook_verifier(),
        secrets=secrets(),
        warehouse=warehouse(),
        queue=task_queue(),
        clock=clock(),
        webhook_secret_name=s.stripe_webhook_secret_name,
        max_body_bytes=s.webhook_max_body_bytes,
        coalesce_seconds=s.task_coalesce_seconds,
        routes=TenantWebhookRoutes(tenant_directory(), tenant_ingest),
    )


def tenant_ingest(tenant_id: str) -> TenantIngest:
    """What the webhook uses of one tenant: its secret, its archive, its queue."""
    from shared.tenancy.routing import UNROUTED, TenantIngest
    from shared.tenancy.scope import TenantWarehouse

    if tenant_id == UNROUTED:  # archive only, under its own key
        unrouted = TenantWarehouse(raw_warehouse(), UNROUTED)
        s = get_settings()
        return TenantIngest(
            UNROUTED, secrets(), s.stripe_webhook_secret_name, unrouted, task_queue(), sync=False
        )
    with for_tenant(tenant_id):
        s = settings()
        return TenantIngest(
            tenant_id, secrets(), s.stripe_webhook_secret_name, warehouse(), task_queue()
        )


@_singleton
def sync_deps() -> SyncDeps:
    from datetime import timedelta

    from shared.services.records import LinkStore, SyncLog
    from shared.services.reference_data import ReferenceData
    from shared.services.sync_object import SyncDeps

    s = settings()
    qbo = qbo_gateway()
    books = s.books
    return SyncDeps(
        stripe=stripe_gateway(),
        qbo=qbo,
        links=LinkStore(warehouse()),
        sync_log=SyncLog(warehouse()),
        references=ReferenceData(qbo, books, company()),
        clock=clock(),
        books=books,
        attach_statement=_statement_attacher(qbo),
        warehouse=warehouse(),
        leases=leases(),
        lease_ttl=timedelta(seconds=s.lease_ttl_seconds),
        existing=existing_books(),
    )


@_singleton
def existing_books() -> ExistingBooks:
    """The QBO customers and items the company had, matched by the configured policy."""
    from shared.services.existing_books import (
        CRITERIA,
        ITEM_CRITERIA,
        ExistingBooks,
        MatchPolicy,
        policy_from_text,
    )

    s = settings()
    policy = MatchPolicy(
        customer=policy_from_text(s.customer_match_policy, CRITERIA),
        item=policy_from_text(s.item_match_policy, ITEM_CRITERIA),
        customer_field=s.customer_stripe_id_field,
        item_field=s.item_stripe_id_field,
    )
    return ExistingBooks(qbo_gateway(), policy, clock(), home_currency=company().home_currency)


def _statement_attacher(qbo: QboGateway) -> StatementAttacher:
    """Renders and uploads a settlement statement; reportlab loads with the first one only."""

    tenant_warehouse, tax_rates = warehouse(), settings().tax_rates  # the tenant's, now

    def attach(stripe_invoice: JsonDict, qbo_invoice_id: str) -> str | None:
        from shared.services.statement_attachment import attach_statement
        from shared.statements.store import StatementStore

        store = StatementStore(tenant_warehouse, tax_rates=tax_rates)
        return attach_statement(stripe_invoice, qbo_invoice_id, store, qbo)

    return attach


@_singleton
def stripe_billing() -> StripeBilling:
    from shared.adapters.stripe_billing import StripeApiBilling

    return StripeApiBilling(settings(), secrets())


def settlement_poll() -> SettlementPoll:
    """A poll over the instance's warehouse, Stripe client and clock (cheap: no I/O here)."""
    from shared.services.settlement_poll import SettlementPoll

    return SettlementPoll(warehouse(), stripe_billing(), clock(), settings().tax_rates)


def reconcile() -> Reconcile:
    """A reconcile run over the instance's Stripe and QBO clients and warehouse (no I/O here)."""
    from shared.services.reconcile import Reconcile

    return Reconcile(
        stripe=stripe_gateway(),
        qbo=qbo_gateway(),
        warehouse=warehouse(),
        clock=clock(),
        home_currency=company().home_currency,
    )


def replay() -> Replay:
    from shared.services.replay import Replay

    return Replay(warehouse(), stripe_gateway(), task_queue(), clock())


def undo() -> Undo:
    """Undo over the instance's QBO client and the worker's link store (so this instance's
    later syncs see the links it appends as UNDONE)."""
    from shared.services.runs import RunLog
    from shared.services.undo import Undo

    return Undo(
        warehouse(), qbo_gateway(), sync_deps().links, RunLog(warehouse(), clock()), clock()
    )


def catch_up() -> CatchUp:
    from datetime import timedelta

    from shared.services.catch_up import CatchUp

    return CatchUp(
        warehouse(),
        stripe_gateway(),
        task_queue(),
        clock(),
        coalesce_seconds=settings().task_coalesce_seconds,
        horizon=timedelta(seconds=settings().task_max_retry_seconds),
    )


@contextmanager
def backfill() -> Iterator[Backfill]:
    """A backfill use case for one run: the worker's deps, but creates in QBO batches (paced
    under Intuit's batch limits) and links and log rows appended a page at a time."""
    from datetime import timedelta

    from shared.adapters.buffered_warehouse import BufferedWarehouse
    from shared.adapters.qbo_batch import QboBatchWriter
    from shared.adapters.qbo_batching import BatchingQboGateway
    from shared.adapters.rate_limiter import RateLimiter
    from shared.services.backfill import Backfill, BackfillDeps
    from shared.services.records import LinkStore, SyncLog
    from shared.services.reference_data import ReferenceData
    from shared.services.runs import RunLog
    from shared.services.sync_object import SyncDeps

    s = settings()
    single = qbo_gateway()
    batches = RateLimiter(
        s.qbo_batch_requests_per_minute,
        s.qbo_max_concurrent,
        window_seconds=60.0 / s.qbo_time_scale,
        clock=clock(),
    )
    writer = QboBatchWriter(
        single,  # type: ignore[arg-type]
        batches,
        batch_size=s.qbo_batch_size,
        items_count=s.qbo_batch_counting == "items",
    )
    qbo = BatchingQboGateway(single, writer)  # type: ignore[arg-type]
    buffer = BufferedWarehouse(warehouse())
    books = s.books
    stripe = stripe_gateway()
    deps = SyncDeps(
        stripe=stripe,
        qbo=qbo,
        # A page's links are read at once and stand while its objects sync (see backfill).
        links=LinkStore(buffer, snapshot_seconds=BACKFILL_SNAPSHOT_SECONDS),
        sync_log=SyncLog(buffer),
        references=ReferenceData(qbo, books, company()),
        clock=clock(),
        books=books,
        attach_statement=_statement_attacher(qbo),
        warehouse=buffer,
        leases=leases(),
        lease_ttl=timedelta(seconds=s.lease_ttl_seconds),
        existing=existing_books(),
    )

    def calls() -> tuple[int, int]:
        return int(getattr(single, "requests_sent", 0)), int(getattr(stripe, "requests_sent", 0))

    try:
        yield Backfill(
            BackfillDeps(
                stripe=stripe,
                sync=deps,
                buffer=buffer,
                runs=RunLog(warehouse(), clock()),
                clock=clock(),
                concurrency=s.backfill_concurrency,
                page_size=s.backfill_page_size,
                calls=calls,
            )
        )
    finally:
        qbo.close()
