"""Tenants: the model and its Settings, the directory, and the scope every tenant's adapters
get (rows stamped and narrowed, tasks carrying the tenant, leases and secrets its own)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlglot
from sqlglot import exp

from shared.adapters.ddl import ddl_files, split_statements
from shared.adapters.duckdb_warehouse import DuckDbWarehouse
from shared.config import Settings
from shared.errors import AuthenticationError, BadRequestError
from shared.ports import Task
from shared.tenancy.model import (
    DEFAULT_TENANT,
    Tenant,
    TenantDisabledError,
    UnknownTenantError,
    tenant_secret_names,
    tenant_settings,
    validate_tenant,
)
from shared.tenancy.scope import (
    TENANT_TABLES,
    TENANT_VIEWS,
    TenantScopeError,
    TenantSecrets,
    TenantTaskQueue,
    TenantWarehouse,
    scoped_sql,
)
from shared.tenancy.store import InMemoryTenantStore, TenantDirectory, WarehouseTenantStore
from tests.fakes import InMemoryTaskQueue

BASE = Settings()
ACME = Tenant("acme", qbo_realm_id="9130350000000002", stripe_account="acct_1Acme")


class Clock:
    def __init__(self) -> None:
        self.at = datetime(2026, 12, 1, tzinfo=UTC)

    def now(self) -> datetime:
        return self.at


def test_a_tenant_settings_are_the_deployment_with_its_realm_account_secrets_and_books() -> None:
    tenant = Tenant(
        "acme",
        qbo_realm_id="9130350000000002",
        stripe_account="acct_1Acme",
        settings={
            "books_toml": '[accounts]\nclearing = "Stripe (Acme)"\n',
            "cutover_date": "2026-01-01",
        },
    )
    s = tenant_settings(BASE, tenant)
    assert (s.tenant_id, s.qbo_realm_id, s.stripe_account) == (
        "acme",
        tenant.qbo_realm_id,
        "acct_1Acme",
    )
    assert (s.books.accounts.clearing, str(s.cutover_date)) == ("Stripe (Acme)", "2026-01-01")
    assert BASE.books.accounts.clearing != "Stripe (Acme)"  # the deployment's stay its own
    assert s.qbo_refresh_token_name == "tenant-acme-qbo-refresh-token"
    assert s.stripe_webhook_secret_name == "tenant-acme-stripe-webhook-secret"
    # A connected account is read with the platform's key (and Stripe-Account).
    assert s.stripe_secret_key_name == BASE.stripe_secret_key_name
    own = tenant_settings(BASE, Tenant("solo", qbo_realm_id="9130350000000003"))
    assert own.stripe_secret_key_name == "tenant-solo-stripe-secret-key"
    assert tenant_settings(BASE, Tenant(DEFAULT_TENANT, BASE.qbo_realm_id)) is BASE
    assert s.tasks_queue_name == f"{BASE.tasks_queue_name}-acme"  # a queue of its own


@pytest.mark.parametrize(
    ("tenant", "says"),
    [
        (Tenant("Acme!", qbo_realm_id="1"), "tenant id"),
        (Tenant("acme", qbo_realm_id="913x"), "realm"),
        (Tenant("acme", qbo_realm_id="1", stripe_account="cus_1"), "acct_"),
        (Tenant("acme", qbo_realm_id="1", settings={"warehouse": "bigquery"}), "warehouse"),
        (
            Tenant("acme", qbo_realm_id="1", settings={"qbo_requests_per_minute": "many"}),
            "validate",
        ),
        (
            Tenant("acme", qbo_realm_id="1", settings={"books_toml": "[accounts]\nnope = 1"}),
            "validate",
        ),
    ],
)
def test_a_bad_tenant_is_refused_naming_what_is_wrong(tenant: Tenant, says: str) -> None:
    with pytest.raises(BadRequestError, match=says):
        validate_tenant(tenant, BASE)


def test_the_directory_reads_the_store_once_per_ttl_and_knows_accounts() -> None:
    store, clock = InMemoryTenantStore([ACME]), Clock()
    directory = TenantDirectory(store, clock, ttl_seconds=60)
    assert directory.get("acme") == ACME
    assert directory.by_account("acct_1Acme") == ACME and directory.by_account("acct_2") is None
    assert store.reads == 1
    store.put(Tenant("acme", ACME.qbo_realm_id, ACME.stripe_account, status="DISABLED"), "t")
    assert directory.get("acme").active  # cached for the ttl
    clock.at += timedelta(seconds=61)
    with pytest.raises(TenantDisabledError):
        directory.get("acme", active=True)
    with pytest.raises(UnknownTenantError):
        directory.get("nobody")


def test_the_warehouse_store_appends_and_reads_the_latest_row_per_tenant() -> None:
    warehouse, clock = DuckDbWarehouse(":memory:"), Clock()
    store = WarehouseTenantStore(warehouse, clock)
    store.put(ACME, "ops@example.test")
    clock.at += timedelta(seconds=1)
    store.put(
        Tenant(
            "acme",
            ACME.qbo_realm_id,
            ACME.stripe_account,
            "DISABLED",
            {"cutover_date": "2026-01-01"},
        ),
        "ops",
    )
    (found,) = store.all()
    assert (found.status, dict(found.settings), found.stripe_account) == (
        "DISABLED",
        {"cutover_date": "2026-01-01"},
        "acct_1Acme",
    )


def test_scoped_sql_narrows_every_keyed_table_and_view_it_reads() -> None:
    sql = (
        "WITH f AS (SELECT * FROM sync_failures) SELECT l.stripe_object_id FROM "
        "sync_links_current AS l JOIN f ON f.stripe_object_id = l.stripe_object_id, tenants"
    )
    scoped = sqlglot.parse_one(scoped_sql(sql), read="bigquery")
    narrowed = [s.find(exp.Table).name for s in scoped.find_all(exp.Subquery) if s.find(exp.Table)]
    assert sorted(narrowed) == ["sync_failures", "sync_links_current"]
    assert scoped_sql("SELECT * FROM tenants_current") == "SELECT * FROM tenants_current"
    with pytest.raises(TenantScopeError):
        scoped_sql("DELETE FROM sync_links WHERE TRUE")


def _ddl() -> tuple[set[str], set[str]]:
    keyed_tables, keyed_views = set(), set()
    for path in ddl_files():
        for statement in split_statements(path.read_text(encoding="utf-8")):
            tree = sqlglot.parse_one(statement, read="bigquery")
            if not isinstance(tree, exp.Create) or "tenant_id" not in statement:
                continue
            name = tree.this.find(exp.Table)
            assert name is not None
            (keyed_views if tree.kind == "VIEW" else keyed_tables).add(name.name)
    return keyed_tables - {"tenants"}, keyed_views - {"tenants_current"}


def test_the_keyed_tables_and_views_are_those_of_the_ddl_with_a_tenant_column() -> None:
    tables, views = _ddl()
    assert tables == TENANT_TABLES
    assert views == TENANT_VIEWS


def test_two_tenants_rows_in_one_warehouse_never_meet() -> None:
    shared = DuckDbWarehouse(":memory:")
    acme, beta = TenantWarehouse(shared, "acme"), TenantWarehouse(shared, "beta")
    old = TenantWarehouse(shared, DEFAULT_TENANT)
    row = {"stripe_object_id": "in_1", "qbo_entity_type": "Invoice", "status": "COMPLETED"}
    at = datetime(2026, 12, 1, tzinfo=UTC)
    acme.append("sync_links", [{**row, "qbo_entity_id": "7", "recorded_at": at}])
    beta.append("sync_links", [{**row, "qbo_entity_id": "9", "recorded_at": at}])
    shared.append("sync_links", [{**row, "qbo_entity_id": "1", "recorded_at": at}])  # pre-tenant
    sql = "SELECT qbo_entity_id, tenant_id FROM sync_links_current WHERE stripe_object_id = @id"
    assert acme.query(sql, {"id": "in_1"}) == [{"qbo_entity_id": "7", "tenant_id": "acme"}]
    assert beta.query(sql, {"id": "in_1"}) == [{"qbo_entity_id": "9", "tenant_id": "beta"}]
    assert old.query(sql, {"id": "in_1"}) == [{"qbo_entity_id": "1", "tenant_id": "default"}]
    assert len(shared.query("SELECT * FROM sync_links_current")) == 3


def test_a_tenants_tasks_carry_it_in_payload_and_name() -> None:
    inner = InMemoryTaskQueue()
    TenantTaskQueue(inner, "acme").enqueue(Task("obj-invoice-in_1-9", {"object_id": "in_1"}))
    TenantTaskQueue(inner, DEFAULT_TENANT).enqueue(
        Task("obj-invoice-in_1-9", {"object_id": "in_1"})
    )
    assert sorted(inner.tasks) == ["obj-invoice-in_1-9", "t-acme-obj-invoice-in_1-9"]
    assert inner.tasks["t-acme-obj-invoice-in_1-9"].payload["tenant_id"] == "acme"
    assert "tenant_id" not in inner.tasks["obj-invoice-in_1-9"].payload


class Secrets:
    def __init__(self) -> None:
        self.read: list[str] = []

    def get(self, name: str) -> str:
        self.read.append(name)
        return "value"

    def refresh(self, name: str) -> str:
        return self.get(name)

    def put(self, name: str, value: str) -> None:
        self.read.append(f"put:{name}")


def test_a_tenants_secret_store_refuses_any_other_tenants_secret_unasked() -> None:
    inner: Any = Secrets()
    acme = tenant_settings(BASE, ACME)
    store = TenantSecrets(inner, "acme", tenant_secret_names(acme))
    assert store.get("tenant-acme-qbo-refresh-token") == "value"
    store.get(BASE.qbo_client_id_name)  # the Intuit app's: every tenant's
    for foreign in ("tenant-beta-qbo-refresh-token", BASE.qbo_refresh_token_name):
        with pytest.raises(AuthenticationError):
            store.get(foreign)
        with pytest.raises(AuthenticationError):
            store.put(foreign, "x")
    assert inner.read == ["tenant-acme-qbo-refresh-token", BASE.qbo_client_id_name]


def test_on_cloud_tasks_each_tenant_enqueues_on_a_queue_of_its_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from shared import bootstrap
    from shared.config import reset_settings

    monkeypatch.setenv("SYNC_TASK_QUEUE", "cloud_tasks")
    reset_settings()
    bootstrap.reset()
    try:
        bootstrap.override(tenant_directory=TenantDirectory(InMemoryTenantStore([ACME]), Clock()))
        queues = {}
        for tenant_id in ("default", "acme"):
            with bootstrap.for_tenant(tenant_id):
                queue = bootstrap.task_queue()
                assert isinstance(queue, TenantTaskQueue)
                queues[tenant_id] = queue.inner._queue_path.rsplit("/", 1)[-1]  # type: ignore[attr-defined]
        assert queues == {"default": BASE.tasks_queue_name, "acme": f"{BASE.tasks_queue_name}-acme"}
    finally:
        bootstrap.reset()
        monkeypatch.delenv("SYNC_TASK_QUEUE")
        reset_settings()


def test_a_tenants_leases_are_its_own_under_the_keys_it_asked_for() -> None:
    from shared.adapters.local_leases import InMemoryLeaseStore
    from shared.errors import LeaseHeldError
    from shared.tenancy.scope import TenantLeases

    store = InMemoryLeaseStore(Clock())
    acme, beta = TenantLeases(store, "acme"), TenantLeases(store, "beta")
    ttl = timedelta(minutes=5)
    lease = acme.acquire("invoice:in_1", "task-a", ttl)
    assert lease.key == "invoice:in_1"  # what Work compares with lease_key(...)
    beta.acquire("invoice:in_1", "task-b", ttl)  # the same id in another account: no wait
    with pytest.raises(LeaseHeldError):
        acme.acquire("invoice:in_1", "task-c", ttl)
    acme.release(lease)
    acme.acquire("invoice:in_1", "task-c", ttl)  # given back under the store's own key
