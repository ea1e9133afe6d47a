"""A tenant's view of the shared adapters: its rows, its tasks, its leases, its secrets.

Built at the composition root around the one warehouse, queue, lease store and secret store of
the instance, so that the use cases stay tenant-unaware and still cannot cross: every row they
append is stamped with the tenant, every table they read is narrowed to it, every task they
enqueue carries it, every lease and secret they ask for is the tenant's own.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from shared.errors import AuthenticationError, PermanentError
from shared.ports import LeaseStore, SecretStore, Task, TaskQueue, Warehouse
from shared.tenancy.model import DEFAULT_TENANT

if TYPE_CHECKING:
    from shared.domain.leases import Lease

# Tables that carry tenant_id (bigquery_ddl/), and the views over them that expose it; a test
# holds this list to the DDL. sync_health (deployment-wide, for the alerts) and the ledger's
# settlement tables (the platform's own flow) are not keyed.
TENANT_TABLES = frozenset(
    {
        "stripe_events",
        "sync_links",
        "sync_log",
        "sync_runs",
        "payout_reconciliations",
        "reconciliation_findings",
        "ar_balances",
        "reconcile_runs",
    }
)
TENANT_VIEWS = frozenset(
    {
        "stripe_events_latest",
        "sync_links_current",
        "sync_failures",
        "sync_runs_current",
        "payout_reconciliations_current",
        "reconciliation_findings_open",
        "analyst_pending_syncs",
        "analyst_failed_syncs",
        "analyst_failures_by_reason",
        "analyst_sync_lag",
        "analyst_sync_lag_daily",
        "analyst_success_rate_daily",
        "analyst_ar_by_customer",
        "analyst_payout_reconciliation",
    }
)
TENANT_KEYED = TENANT_TABLES | TENANT_VIEWS
TENANT_PARAM = "tenant_scope"
# Rows from before tenants have no tenant_id: they are the default tenant's.
TENANT_OF_ROW = "COALESCE(tenant_id, 'default')"


class TenantScopeError(PermanentError):
    default_code = "tenant_scope"


@lru_cache(maxsize=4096)
def scoped_sql(sql: str) -> str:
    """BigQuery SQL with every tenant-keyed table or view it reads narrowed to
    ``@tenant_scope``: ``FROM sync_links_current AS l`` becomes ``FROM (SELECT * FROM
    sync_links_current WHERE COALESCE(tenant_id, 'default') = @tenant_scope) AS l``.

    Statements other than queries may not touch keyed tables through a tenant's warehouse.
    """
    try:
        trees = sqlglot.parse(sql, read="bigquery")
    except SqlglotError as error:
        raise TenantScopeError(f"cannot parse SQL to scope it: {error}") from None
    statements, narrowed_any = [], False
    for tree in trees:
        if tree is None:
            continue
        ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
        keyed = [
            table
            for table in tree.find_all(exp.Table)
            if table.name.lower() in TENANT_KEYED and table.name.lower() not in ctes
        ]
        if keyed and not isinstance(tree, exp.Query):
            raise TenantScopeError("a tenant's warehouse only reads the tables of tenants")
        narrowed_any = narrowed_any or bool(keyed)
        for table in keyed:
            bare = table.copy()
            bare.set("alias", None)
            narrowed = (
                exp.select("*")
                .from_(bare)
                .where(sqlglot.condition(f"{TENANT_OF_ROW} = @{TENANT_PARAM}", dialect="bigquery"))
            )
            alias = exp.TableAlias(this=exp.to_identifier(table.alias_or_name))
            table.replace(exp.Subquery(this=narrowed, alias=alias))
        statements.append(tree.sql(dialect="bigquery"))
    return ";\n".join(statements) if narrowed_any else sql


class TenantWarehouse:
    """The instance's warehouse as one tenant sees it."""

    def __init__(self, inner: Warehouse, tenant_id: str) -> None:
        self.inner = inner
        self.tenant_id = tenant_id

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        scoped = scoped_sql(sql)
        if scoped is sql:  # nothing keyed (e.g. the tenants table): as it was
            return self.inner.query(sql, params)
        return self.inner.query(scoped, {**(params or {}), TENANT_PARAM: self.tenant_id})

    def append(
        self, table: str, rows: Sequence[Mapping[str, Any]], row_ids: Sequence[str] | None = None
    ) -> None:
        if table.rsplit(".", 1)[-1] not in TENANT_TABLES:
            self.inner.append(table, rows, row_ids)
            return
        stamped = [{**row, "tenant_id": self.tenant_id} for row in rows]
        if row_ids is not None and self.tenant_id != DEFAULT_TENANT:
            row_ids = [f"{self.tenant_id}/{row_id}" for row_id in row_ids]
        self.inner.append(table, stamped, row_ids)

    def __getattr__(self, name: str) -> Any:  # the adapter's own extras (counters, close...)
        return getattr(self.inner, name)


def tenant_task_name(tenant_id: str, name: str) -> str:
    """Task names stay unique across tenants (two accounts' objects may share an id); the
    default tenant's names are what they always were."""
    return name if tenant_id == DEFAULT_TENANT else f"t-{tenant_id}-{name}"


class TenantTaskQueue:
    """Every task a tenant's use cases enqueue carries the tenant, in its payload and name."""

    def __init__(self, inner: TaskQueue, tenant_id: str) -> None:
        self.inner = inner
        self.tenant_id = tenant_id

    def enqueue(self, task: Task) -> bool:
        if self.tenant_id == DEFAULT_TENANT:
            return self.inner.enqueue(task)
        prefix = f"t-{self.tenant_id}-"
        name = task.name if task.name.startswith(prefix) else prefix + task.name
        payload = {**task.payload, "tenant_id": self.tenant_id}
        return self.inner.enqueue(dataclasses.replace(task, name=name, payload=payload))

    def __getattr__(self, name: str) -> Any:  # the adapter's own extras (drain, close...)
        return getattr(self.inner, name)


class TenantLeases:
    """Lease keys are the tenant's: one tenant's family never waits for another's. The tenant
    sees its leases under the keys it asked for (``invoice:in_1``); the store under its own."""

    def __init__(self, inner: LeaseStore, tenant_id: str) -> None:
        self.inner = inner
        self.tenant_id = tenant_id

    def _scoped(self, key: str) -> str:
        return key if self.tenant_id == DEFAULT_TENANT else f"t.{self.tenant_id}:{key}"

    def acquire(self, key: str, holder: str, ttl: timedelta) -> Lease:
        lease = self.inner.acquire(self._scoped(key), holder, ttl)
        return dataclasses.replace(lease, key=key)

    def release(self, lease: Lease, *, settled: bool = True) -> None:
        self.inner.release(dataclasses.replace(lease, key=self._scoped(lease.key)), settled=settled)

    def __getattr__(self, name: str) -> Any:  # the adapter's own extras (counters, close...)
        return getattr(self.inner, name)


class TenantSecrets:
    """The secret store, limited to the names a tenant may read (its own and the Intuit
    app's): a name of another tenant's is refused before the store is asked."""

    def __init__(self, inner: SecretStore, tenant_id: str, allowed: frozenset[str]) -> None:
        self.inner = inner
        self.tenant_id = tenant_id
        self.allowed = allowed

    def _check(self, name: str) -> str:
        if name not in self.allowed:
            raise AuthenticationError(
                f"secret {name} is not one of tenant {self.tenant_id}'s", code="tenant_secret"
            )
        return name

    def get(self, name: str) -> str:
        return self.inner.get(self._check(name))

    def refresh(self, name: str) -> str:
        return self.inner.refresh(self._check(name))

    def put(self, name: str, value: str) -> None:
        self.inner.put(self._check(name), value)
