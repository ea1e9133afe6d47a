"""Builds the adapters from Settings once per instance, lazily, and only what a function needs.

Imports of vendor clients happen inside the builders, so a function's cold start pays only for
the clients it uses (the webhook never imports the QBO client or reportlab).

Tenants (issue 14): ``with for_tenant(tenant_id):`` makes every builder below build (and cache,
per tenant) that tenant's: its Settings (realm, Stripe account, books, secret names, throttle
budget), and the instance's one warehouse, queue, lease store and secret store as the tenant sees
them (shared/tenancy/scope.py). Outside it, the default tenant: the deployment's own settings.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from typing import TYPE_CHECKING, TypeVar

from shared.config import Settings, get_settings
from shared.tenancy.model import DEFAULT_TENANT, Tenant, tenant_settings

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
    from shared.tenancy.routing import TenantIngest
    from shared.tenancy.store import TenantDirectory, TenantStore

T = TypeVar("T")
BACKFILL_SNAPSHOT_SECONDS = 600.0
_lock = threading.RLock()
_clears: list[Callable[[], None]] = []
_tenant_clears: list[Callable[[], None]] = []
_overrides: dict[str, object] = {}
_raw_names: set[str] = set()  # overrides of the instance's adapters, under every tenant's view
_tenant: ContextVar[Tenant | None] = ContextVar("tenant", default=None)


def _shared(build: Callable[[], T]) -> Callable[[], T]:
    """Build once per process for every tenant, thread-safely; ``reset()`` forgets it. An
    override of ``raw_x`` is named ``x`` (what tests have always overridden)."""
    cached = lru_cache(maxsize=1)(build)
    name = build.__name__.removeprefix("raw_")
    _raw_names.add(name)

    def get() -> T:
        with _lock:
            if name in _overrides:
                return _overrides[name]  # type: ignore[return-value]
            return cached()

    _clears.append(cached.cache_clear)
    get.__doc__ = build.__doc__
    return get


def _shared_over_raw(build: Callable[[], T]) -> Callable[[], T]:
    """``_shared``, built over the instance's adapters: rebuilt after an override of them."""
    get = _shared(build)
    _tenant_clears.append(_clears[-1])
    return get


def _singleton(build: Callable[[], T]) -> Callable[[], T]:
    """Build once per process and tenant (its current row), thread-safely."""
    name = build.__name__
    cache: dict[str, T] = {}

    def get() -> T:
        tenant = _tenant.get()
        key = tenant.version if tenant is not None else DEFAULT_TENANT
        with _lock:
            if name in _overrides and name not in _raw_names:
                return _overrides[name]  # type: ignore[return-value]
            if key not in cache:
                cache[key] = build()
            return cache[key]

    _clears.append(cache.clear)
    _tenant_clears.append(cache.clear)
    get.__doc__ = build.__doc__
    return get


def reset() -> None:
    """Forget every built adapter and override (tests and the local stack change Settings)."""
    with _lock:
        _overrides.clear()
        for clear in _clears:
            clear()


def current_tenant_id() -> str:
    tenant = _tenant.get()
    return tenant.tenant_id if tenant is not None else DEFAULT_TENANT


@contextmanager
def for_tenant(tenant_id: str | None, *, active: bool = False) -> Iterator[Tenant]:
    """Build and use this tenant's adapters inside the block (None: the default tenant).
    UnknownTenantError for an id the tenants table lacks; TenantDisabledError for a disabled
    one when ``active``."""
    from shared.tenancy.model import default_tenant

    tenant = None
    if tenant_id not in (None, DEFAULT_TENANT):
        tenant = tenant_directory().get(str(tenant_id), active=active)
    token = _tenant.set(tenant)
    try:
        yield tenant if tenant is not None else default_tenant(get_settings())
    finally:
        _tenant.reset(token)


def override(**instances: object) -> None:
    """Use these instances instead of building them, e.g. ``override(clock=FastForwardClock())``."""
    with _lock:
        _overrides.update(instances)
        for clear in _tenant_clears:  # tenants' views are rebuilt over the instances given
            clear()


def tenant_ids(*, active: bool = True) -> list[str]:
    """The default tenant, then every (active) tenant of the tenants table."""
    others = [t.tenant_id for t in tenant_directory().all() if t.active or not active]
    return [DEFAULT_TENANT, *(t for t in others if t != DEFAULT_TENANT)]


def settings() -> Settings:
    """The current tenant's Settings (the deployment's for the default tenant)."""
    if _tenant.get() is None:
        return get_settings()
    return _tenant_settings()


@_singleton
def _tenant_settings() -> Settings:
    tenant = _tenant.get()
    assert tenant is not None
    return tenant_settings(get_settings(), tenant)


@_shared_over_raw
def tenant_store() -> TenantStore:
    from shared.tenancy.store import WarehouseTenantStore

    return WarehouseTenantStore(raw_warehouse(), clock())


@_shared_over_raw
def tenant_directory() -> TenantDirectory:
    """The tenants this instance knows, re-read every ``tenant_cache_seconds``."""
    from shared.tenancy.store import TenantDirectory

    return TenantDirectory(tenant_store(), clock(), get_settings().tenant_cache_seconds)


@_shared
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
    """The secret store as the tenant sees it: only its own secrets and the Intuit app's."""
    from shared.tenancy.model import tenant_secret_names
    from shared.tenancy.scope import TenantSecrets

    s = settings()
    allowed = tenant_secret_names(s)
    if s.tenant_id == DEFAULT_TENANT:
        allowed |= {s.stripe_invoicing_key_name}
    return TenantSecrets(raw_secrets(), s.tenant_id, allowed)


@_shared
def raw_secrets() -> SecretStore:
    s = get_settings()
    if s.secrets == "secret_manager":
        from shared.adapters.secret_manager import SecretManagerStore

        return SecretManagerStore.from_settings(s)
    from shared.adapters.local_secrets import FileSecretStore

    return FileSecretStore(s.resolved_local_secrets_path, defaults=LOCAL_SECRET_DEFAULTS)


@_singleton
def leases() -> LeaseStore:
    from shared.tenancy.scope import TenantLeases

    return TenantLeases(raw_leases(), current_tenant_id())


@_shared
def raw_leases() -> LeaseStore:
    from datetime import timedelta

    s = get_settings()
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
    """The instance's warehouse as the current tenant sees it: its rows only."""
    from shared.tenancy.scope import TenantWarehouse

    return TenantWarehouse(raw_warehouse(), current_tenant_id())


@_shared
def raw_warehouse() -> Warehouse:
    """The one warehouse of the instance, every tenant's rows (analysts, the tenants table)."""
    s = get_settings()
    if s.warehouse == "bigquery":
        from shared.adapters.bigquery_warehouse import BigQueryWarehouse

        return BigQueryWarehouse(
            project=s.gcp_project, dataset=s.bq_dataset, location=s.bq_location
        )
    from shared.adapters.duckdb_warehouse import DuckDbWarehouse

    return DuckDbWarehouse(s.resolved_duckdb_path)


@_singleton
def task_queue() -> TaskQueue:
    """The current tenant's queue; every task enqueued through it carries the tenant. On Cloud
    Tasks each tenant has a queue of its own (fairness: README, "Several companies")."""
    from shared.tenancy.scope import TenantTaskQueue

    s = settings()
    own = s.task_queue == "cloud_tasks" and s.tenant_id != DEFAULT_TENANT
    inner = _cloud_tasks_queue(s) if own and "task_queue" not in _overrides else raw_task_queue()
    return TenantTaskQueue(inner, s.tenant_id)


@_shared
def raw_task_queue() -> TaskQueue:
    s = get_settings()
    if s.task_queue == "cloud_tasks":
        return _cloud_tasks_queue(s)
    return local_task_queue()


def _cloud_tasks_queue(s: Settings) -> TaskQueue:
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


def local_task_queue(dispatcher: Dispatcher | None = None) -> LocalTaskQueue:
    """The in-process queue of the settings; ``dispatcher`` replaces its HTTP push (e.g. a worker
    called in this process)."""
    from shared.adapters.local_tasks import LocalTaskQueue

    s = get_settings()
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

    with for_tenant(task.payload.get("tenant_id")):
        deps = retry_policy_deps()
        record_exhausted_task(dict(task.payload), task.name, settings().task_max_attempts, deps)


def retry_policy_deps() -> RetryDeps:
    """What the retry policy records and enqueues with (cheap: built from the singletons)."""
    from shared.services.retry_policy import retry_deps

    return retry_deps(sync_deps(), task_queue(), settings())


@_shared
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
