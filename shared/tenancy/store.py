"""Where tenants are kept: the warehouse's ``tenants`` table (appended, read through
``tenants_current``), or memory for tests; and a per-instance directory over either."""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

from shared.ports import Clock, Warehouse
from shared.tenancy.model import (
    DEFAULT_TENANT,
    Tenant,
    TenantDisabledError,
    UnknownTenantError,
)

TENANTS_SQL = """
SELECT tenant_id, stripe_account, qbo_realm_id, status, settings, recorded_at
FROM tenants_current
ORDER BY tenant_id
"""


class TenantStore(Protocol):
    """The tenants of the deployment (the default one is implicit and never stored)."""

    def all(self) -> list[Tenant]:
        """Every tenant, disabled ones included, by id."""
        ...

    def put(self, tenant: Tenant, recorded_by: str) -> None:
        """Record the tenant's new state (add, change or disable): a row appended."""
        ...


class WarehouseTenantStore:
    """The ``tenants`` table, in BigQuery or DuckDB (one SQL for both)."""

    def __init__(self, warehouse: Warehouse, clock: Clock) -> None:
        self._warehouse = warehouse
        self._clock = clock

    def all(self) -> list[Tenant]:
        return [_tenant_from_row(row) for row in self._warehouse.query(TENANTS_SQL)]

    def put(self, tenant: Tenant, recorded_by: str) -> None:
        now = self._clock.now()
        row = {
            "tenant_id": tenant.tenant_id,
            "stripe_account": tenant.stripe_account,
            "qbo_realm_id": tenant.qbo_realm_id,
            "status": tenant.status,
            "settings": json.dumps(dict(tenant.settings), sort_keys=True, default=str),
            "recorded_at": now,
            "recorded_by": recorded_by,
        }
        self._warehouse.append("tenants", [row], row_ids=[f"{tenant.tenant_id}@{now.isoformat()}"])


class InMemoryTenantStore:
    def __init__(self, tenants: list[Tenant] | None = None) -> None:
        self._tenants = {t.tenant_id: t for t in tenants or []}
        self._lock = threading.Lock()
        self.reads = 0

    def all(self) -> list[Tenant]:
        with self._lock:
            self.reads += 1
            return sorted(self._tenants.values(), key=lambda t: t.tenant_id)

    def put(self, tenant: Tenant, recorded_by: str) -> None:
        with self._lock:
            self._tenants[tenant.tenant_id] = tenant


def _tenant_from_row(row: Mapping[str, Any]) -> Tenant:
    settings = row.get("settings") or {}
    if isinstance(settings, str):
        settings = json.loads(settings)
    recorded = row.get("recorded_at")
    return Tenant(
        tenant_id=str(row["tenant_id"]),
        qbo_realm_id=str(row["qbo_realm_id"]),
        stripe_account=str(row.get("stripe_account") or ""),
        status="DISABLED" if row.get("status") == "DISABLED" else "ACTIVE",
        settings=dict(settings),
        recorded_at=recorded if isinstance(recorded, datetime) else None,
    )


class TenantDirectory:
    """The store's tenants, read at most once per ``ttl_seconds`` per instance: a tenant added
    or disabled reaches every warm instance within that, with no redeploy. A failing store is
    a TransientError (the task or delivery is retried), never a wrong answer."""

    def __init__(self, store: TenantStore, clock: Clock, ttl_seconds: float = 60.0) -> None:
        self._store = store
        self._clock = clock
        self._ttl = ttl_seconds
        self._lock = threading.Lock()
        self._read_at: datetime | None = None
        self._by_id: dict[str, Tenant] = {}

    def _tenants(self) -> dict[str, Tenant]:
        now = self._clock.now()
        with self._lock:
            fresh = self._read_at is not None and (now - self._read_at).total_seconds() < self._ttl
            if fresh:
                return self._by_id
        tenants = {t.tenant_id: t for t in self._store.all()}
        with self._lock:
            self._by_id, self._read_at = tenants, now
            return tenants

    def refresh(self) -> None:
        with self._lock:
            self._read_at = None

    def all(self) -> list[Tenant]:
        return sorted(self._tenants().values(), key=lambda t: t.tenant_id)

    def get(self, tenant_id: str, *, active: bool = False) -> Tenant:
        """The tenant; UnknownTenantError, or TenantDisabledError when ``active`` is asked."""
        found = self._tenants().get(tenant_id)
        if found is None:
            raise UnknownTenantError(f"no tenant {tenant_id!r}")
        if active and not found.active:
            raise TenantDisabledError(f"tenant {tenant_id!r} is disabled")
        return found

    def by_account(self, stripe_account: str) -> Tenant | None:
        """The tenant (active or not) that holds a connected account, if any."""
        for tenant in self._tenants().values():
            if tenant.stripe_account == stripe_account and tenant.tenant_id != DEFAULT_TENANT:
                return tenant
        return None
