"""Builds the adapters from Settings once per instance, lazily, and only what a function needs.

Imports of vendor clients happen inside the builders, so a function's cold start pays only for
the clients it uses (the webhook never imports the QBO client or reportlab).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import TYPE_CHECKING, TypeVar

from shared.config import Settings, get_settings

if TYPE_CHECKING:
    from shared.adapters.local_tasks import Dispatcher, LocalTaskQueue

    # Use cases are imported by the builders too: the webhook never loads the worker's.
    from shared.ports import (
        Clock,
        JsonDict,
        LeaseStore,
        QboGateway,
        SecretStore,
        StripeBilling,
        StripeGateway,
        Task,
        TaskQueue,
        Warehouse,
        WebhookVerifier,
    )
    from shared.services.backfill import Backfill
    from shared.services.catch_up import CatchUp
    from shared.services.company import CompanyReader
    from shared.services.existing_books import ExistingBooks
    from shared.services.ingest_event import IngestDeps
    from shared.services.posting.work import StatementAttacher
    from shared.services.reconcile import Reconcile
    from shared.services.replay import Replay
    from shared.services.retry_policy import RetryDeps
    from shared.services.settlement_poll import SettlementPoll
    from shared.services.sync_object import SyncDeps
    from shared.services.undo import Undo

T = TypeVar("T")
BACKFILL_SNAPSHOT_SECONDS = 600.0
_lock = threading.RLock()
_builders: list[Callable[..., object]] = []
_overrides: dict[str, object] = {}


def _singleton(build: Callable[[], T]) -> Callable[[], T]:
    """Build once per process, thread-safely; ``reset()`` forgets every instance."""
    cached = lru_cache(maxsize=1)(build)
    name = build.__name__

    def get() -> T:
        with _lock:
            if name in _overrides:
                return _overrides[name]  # type: ignore[return-value]
            return cached()

    _builders.append(cached)
    get.__doc__ = build.__doc__
    return get


def reset() -> None:
    """Forget every built adapter and override (tests and the local stack change Settings)."""
    with _lock:
        _overrides.clear()
        for cached in _builders:
            cached.cache_clear()  # type: ignore[attr-defined]


def override(**instances: object) -> None:
    """Use these instances instead of building them, e.g. ``override(clock=FastForwardClock())``."""
    with _lock:
        _overrides.update(instances)


def settings() -> Settings:
    return get_settings()


@_singleton
def clock() -> Clock:
    from shared.adapters.clock import SystemClock

    return SystemClock()


LOCAL_SECRET_DEFAULTS = {
    # Local-only placeholders matching the fake servers; production reads Secret Manager.
    "stripe-secret-key": "sk_test_local_fake_key",
    "stripe-invoicing-key": "sk_test_local_fake_key",
    "stripe-webhook-secret": "whsec_local_fake_secret",
    "qbo-client-id": "local-client-id",
    "qbo-client-secret": "local-client-secret",
    "qbo-refresh-token": "local-refresh-token",
}


@_singleton
def secrets() -> SecretStore:
    s = settings()
    if s.secrets == "secret_manager":
        from shared.adapters.secret_manager import SecretManagerStore

        return SecretManagerStore.from_settings(s)
    from shared.adapters.local_secrets import FileSecretStore

    return FileSecretStore(s.resolved_local_secrets_path, defaults=LOCAL_SECRET_DEFAULTS)


@_singleton
def leases() -> LeaseStore:
    from datetime import timedelta

    s = settings()
    settle = timedelta(seconds=s.lease_settle_seconds)
    if s.lease_store == "firestore":
        from shared.adapters.firestore_leases import FirestoreLeaseStore

        return FirestoreLeaseStore(
            project=s.gcp_project,
            clock=clock(),
            collection=s.lease_collection,
            database=s.firestore_database,
            settle=settle,
        )
    from shared.adapters.local_leases import InMemoryLeaseStore

    return InMemoryLeaseStore(clock(), settle=settle)


@_singleton
def warehouse() -> Warehouse:
    s = settings()
    if s.warehouse == "bigquery":
        from shared.adapters.bigquery_warehouse import BigQueryWarehouse

        return BigQueryWarehouse(
            project=s.gcp_project, dataset=s.bq_dataset, location=s.bq_location
        )
    from shared.adapters.duckdb_warehouse import DuckDbWarehouse

    return DuckDbWarehouse(s.resolved_duckdb_path)


@_singleton
def task_queue() -> TaskQueue:
    s = settings()
    if s.task_queue == "cloud_tasks":
        from shared.adapters.cloud_tasks import CloudTasksQueue

        return CloudTasksQueue(
            project=s.gcp_project,
            location=s.gcp_location,
            queue=s.tasks_queue_name,
            worker_url=s.worker_url,
            service_account_email=s.tasks_service_account,
            audience=s.tasks_audience or s.worker_url,
            invokers=s.task_invokers,
            dispatch_deadline_seconds=s.task_dispatch_deadline_seconds,
        )
    return local_task_queue()


def local_task_queue(dispatcher: Dispatcher | None = None) -> LocalTaskQueue:
    """The in-process queue of the settings; ``dispatcher`` replaces its HTTP push (e.g. a worker
    called in this process)."""
    from shared.adapters.local_tasks import LocalTaskQueue

    s = settings()
    return LocalTaskQueue(
        dispatcher=dispatcher,
        default_url=s.worker_url,
        clock=clock(),
        auth_token=s.local_auth_token,
        max_attempts=s.task_max_attempts,
        min_backoff=s.task_min_backoff_seconds,
        max_backoff=s.task_max_backoff_seconds,
        max_doublings=s.task_max_doublings,
        dispatch_deadline=s.task_dispatch_deadline_seconds,
        max_retry_seconds=s.task_max_retry_seconds,
        queue_name=s.tasks_queue_name,
        on_exhausted=_record_exhausted_task,
    )


def _record_exhausted_task(task: Task, last_status: int | None) -> None:
    """A task that died without an answer, every attempt: record it FAILED, to be replayed.

    (Cloud Tasks has no such callback; there the worker records its own last attempt.)
    """
    from shared.services.retry_policy import record_exhausted_task

    deps = retry_policy_deps()
    record_exhausted_task(dict(task.payload), task.name, settings().task_max_attempts, deps)


def retry_policy_deps() -> RetryDeps:
    """What the retry policy records and enqueues with (cheap: built from the singletons)."""
    from shared.services.retry_policy import retry_deps

    return retry_deps(sync_deps(), task_queue(), settings())


@_singleton
def webhook_verifier() -> WebhookVerifier:
    from shared.adapters.stripe_webhook_verifier import StripeWebhookVerifier

    return StripeWebhookVerifier.from_settings(settings())


@_singleton
def stripe_gateway() -> StripeGateway:
    """Stripe, with fresh-enough reads shared between the syncs of this instance."""
    from shared.adapters.stripe_gateway import StripeApiGateway
    from shared.adapters.stripe_reads import FreshStripeReads

    return FreshStripeReads(StripeApiGateway(settings(), secrets()), clock())


@_singleton
def qbo_gateway() -> QboGateway:
    from shared.adapters.qbo_gateway import QuickBooksGateway
    from shared.adapters.rate_limiter import RateLimiter

    s = settings()
    limiter = RateLimiter(
        s.qbo_requests_per_minute,
        s.qbo_max_concurrent,
        window_seconds=60.0 / s.qbo_time_scale,
        requests_per_second=s.qbo_requests_per_second,
        clock=clock(),
    )
    return QuickBooksGateway(s, secrets(), clock=clock(), limiter=limiter)


@_singleton
def ingest_deps() -> IngestDeps:
    from shared.services.ingest_event import IngestDeps

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
    )


@_singleton
def company() -> CompanyReader:
    """The QBO company (home currency, tax model, tax setup), read on first use, every 10 min."""
    from shared.services.company import CompanyReader

    return CompanyReader(qbo_gateway(), clock())


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

    def attach(stripe_invoice: JsonDict, qbo_invoice_id: str) -> str | None:
        from shared.services.statement_attachment import attach_statement
        from shared.statements.store import StatementStore

        store = StatementStore(warehouse(), tax_rates=settings().tax_rates)
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
