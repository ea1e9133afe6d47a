"""The composition root: builds the adapters and use cases from Settings once per instance,
lazily, and only what a function needs (``from shared import bootstrap``; ``bootstrap.X()``).

Imports of vendor clients happen inside the builders, so a function's cold start pays only for
the clients it uses (the webhook never imports the QBO client or reportlab).

Tenants (issue 14): ``with for_tenant(tenant_id):`` makes every builder build (and cache, per
tenant) that tenant's: its Settings (realm, Stripe account, books, secret names, throttle
budget), and the instance's one warehouse, queue, lease store and secret store as the tenant sees
them (shared/tenancy/scope.py). Outside it, the default tenant: the deployment's own settings.

- ``scope``: what is built once, per tenant, or given (``override``, ``reset``, ``for_tenant``);
- ``adapters``: the ports' implementations (warehouse, queue, leases, secrets, Stripe, QBO);
- ``use_cases``: the use cases over them (sync, ingest, replay, backfill, undo, reconcile...).
"""

from shared.bootstrap.adapters import (
    LOCAL_SECRET_DEFAULTS,
    clock,
    company,
    leases,
    local_task_queue,
    qbo_gateway,
    raw_leases,
    raw_secrets,
    raw_task_queue,
    raw_warehouse,
    secrets,
    stripe_gateway,
    task_queue,
    tenant_directory,
    tenant_store,
    warehouse,
    webhook_verifier,
)
from shared.bootstrap.scope import (
    current_tenant_id,
    for_tenant,
    override,
    reset,
    settings,
    tenant_ids,
)
from shared.bootstrap.use_cases import (
    BACKFILL_SNAPSHOT_SECONDS,
    backfill,
    catch_up,
    existing_books,
    ingest_deps,
    reconcile,
    replay,
    retry_policy_deps,
    settlement_poll,
    stripe_billing,
    sync_deps,
    tenant_ingest,
    undo,
)

__all__ = [
    "BACKFILL_SNAPSHOT_SECONDS",
    "LOCAL_SECRET_DEFAULTS",
    "backfill",
    "catch_up",
    "clock",
    "company",
    "current_tenant_id",
    "existing_books",
    "for_tenant",
    "ingest_deps",
    "leases",
    "local_task_queue",
    "override",
    "qbo_gateway",
    "raw_leases",
    "raw_secrets",
    "raw_task_queue",
    "raw_warehouse",
    "reconcile",
    "replay",
    "reset",
    "retry_policy_deps",
    "secrets",
    "settings",
    "settlement_poll",
    "stripe_billing",
    "stripe_gateway",
    "sync_deps",
    "task_queue",
    "tenant_directory",
    "tenant_ids",
    "tenant_ingest",
    "tenant_store",
    "undo",
    "warehouse",
    "webhook_verifier",
]
