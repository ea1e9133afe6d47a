"""Builders of the instance's adapters (clock, secrets, leases, warehouse, queue, Stripe, QBO,
the QBO company), from the Settings in scope, lazily: a vendor client is imported by the builder
that needs it, so a function's cold start pays only for the clients it uses.

Each tenant sees the instance's one warehouse, queue, lease store and secret store through a view
of its own (``warehouse()`` over ``raw_warehouse()``; shared/tenancy/scope.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.bootstrap.scope import (
    _overrides,
    _shared,
    _shared_over_raw,
    _singleton,
    current_tenant_id,
    for_tenant,
    settings,
)
from shared.config import Settings, get_settings
from shared.tenancy.model import DEFAULT_TENANT

if TYPE_CHECKING:
    from shared.adapters.local_tasks import Dispatcher, LocalTaskQueue
    from shared.ports import (
        Clock,
        LeaseStore,
        QboGateway,
        SecretStore,
        StripeGateway,
        Task,
        TaskQueue,
        Warehouse,
        WebhookVerifier,
    )
    from shared.services.company import CompanyReader
    from shared.tenancy.store import TenantDirectory, TenantStore


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
    from shared.bootstrap.use_cases import retry_policy_deps
    from shared.services.retry_policy import record_exhausted_task

    with for_tenant(task.payload.get("tenant_id")):
        deps = retry_policy_deps()
        record_exhausted_task(dict(task.payload), task.name, settings().task_max_attempts, deps)


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
def company() -> CompanyReader:
    """The QBO company (home currency, tax model, tax setup), read on first use, every 10 min."""
    from shared.services.company import CompanyReader

    return CompanyReader(qbo_gateway(), clock())
