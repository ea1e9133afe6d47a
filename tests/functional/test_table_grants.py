"""Least privilege in BigQuery, checked against what the code does: every function is run over
HTTP through the local stack (the webhook, the worker on what it enqueued, a settlement poll with
its statements, catch-up, replay, reconcile) with a warehouse that records each table a query
reads and each table an append writes, per function. Terraform must grant each function exactly
those: a read role on every table and view it reads (and the tables behind those views), an
append-only role on the tables it appends to, and nothing it does not use."""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlglot
import stripe
from flask import has_request_context, request
from sqlglot import exp

from local_emulator.fakes.stripe.webhooks import WebhookDeliverer
from local_emulator.generator import generate_month
from local_emulator.generator.payouts import add_payouts
from local_emulator.generator.settlements import create_sample_customers, seed_sample_settlements
from local_emulator.harness.scenario import Scenario, with_account
from local_emulator.harness.stack import STRIPE_KEY, LocalStack, tenant_id_for
from shared import bootstrap
from shared.adapters.ddl import ddl_files, split_statements
from tests.contract.terraform_support import load_terraform

TENANT_ACCOUNT, TENANT_REALM = "acct_1Grants", "9130350000000002"
Grants = dict[str, dict[str, set[str]]]  # function -> "reads" | "appends" -> tables


def tables_in(sql: str) -> set[str]:
    """The tables and views a BigQuery statement names (CTEs and UNNEST left out)."""
    tree = sqlglot.parse_one(sql, dialect="bigquery")
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    return {t.name for t in tree.find_all(exp.Table) if t.name and t.name not in ctes}


def ddl_objects() -> tuple[set[str], dict[str, set[str]]]:
    """Tables the DDL creates, and each view's direct sources."""
    tables: set[str] = set()
    views: dict[str, set[str]] = {}
    for path in ddl_files():
        for statement in split_statements(path.read_text(encoding="utf-8")):
            tree = sqlglot.parse_one(statement, dialect="bigquery")
            if not isinstance(tree, exp.Create):
                continue
            name = tree.this.find(exp.Table)
            assert name is not None
            if tree.kind == "VIEW":
                views[name.name] = tables_in(tree.expression.sql(dialect="bigquery"))
            elif tree.kind == "TABLE":
                tables.add(name.name)
    return tables, views


def behind(objects: set[str], views: Mapping[str, set[str]]) -> set[str]:
    """The objects and everything their views read, all the way down."""
    seen, todo = set(), list(objects)
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(views.get(name, ()))
    return seen


def terraform_grants() -> Grants:
    catalog = load_terraform().local("functions")
    return {
        name: {"reads": set(fn["bq_reads"]), "appends": set(fn["bq_appends"])}
        for name, fn in catalog.items()
    }


class RecordingWarehouse:
    """Passes through to the stack's warehouse, noting the tables each function touches: the
    function is the one whose request is being served (the host mounts each at /<name>), or,
    in a thread of its own pool, the function the test is calling (``current``)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.current = "setup"
        self.used: Grants = defaultdict(lambda: {"reads": set(), "appends": set()})
        self._lock = threading.Lock()

    def _function(self) -> str:
        return request.script_root.strip("/") if has_request_context() else self.current

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        with self._lock:
            self.used[self._function()]["reads"] |= tables_in(sql)
        result: list[dict[str, Any]] = self._inner.query(sql, params)
        return result

    def append(
        self, table: str, rows: Sequence[Mapping[str, Any]], row_ids: Sequence[str] | None = None
    ) -> None:
        with self._lock:
            self.used[self._function()]["appends"].add(table)
        self._inner.append(table, rows, row_ids)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


@pytest.fixture
def recorded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Grants]:
    # Each function reads the tenants itself (in production each is its own instance).
    monkeypatch.setenv("SYNC_TENANT_CACHE_SECONDS", "0")
    with LocalStack(tmp_path / "state", seed=4, tenants={TENANT_ACCOUNT: TENANT_REALM}) as stack:
        recorder = RecordingWarehouse(bootstrap.raw_warehouse())
        bootstrap.override(warehouse=recorder)
        token = {"Authorization": f"Bearer {bootstrap.settings().local_auth_token}"}

        def call(name: str, body: dict[str, Any]) -> None:
            recorder.current = name
            response = requests.post(stack.host.url_for(name), json=body, headers=token, timeout=60)
            recorder.current = "setup"
            assert response.status_code == 200, (name, response.text)

        # Sample settlements become Stripe invoices; a generated month brings payouts too.
        client = stripe.StripeClient(
            STRIPE_KEY, base_addresses={"api": stack.stripe_server.base_url}
        )
        seed_sample_settlements(
            stack.warehouse, create_sample_customers(client), currencies={"usd"}
        )
        call("settlement_poll", {})
        lines = add_payouts(generate_month(6, customers=3, invoices=8, currencies=("usd",)), 6)
        scenario = Scenario(
            events=[x for x in lines if x.get("object") == "event"],
            objects=[x for x in lines if x.get("object") != "event"],
        )
        for obj in scenario.seed_state():
            stack.fake_stripe.seed_object(obj)
        events = stack.fake_stripe.events()  # the seeded month's events included
        # Stripe's events API reaches 30 days back: the missed one is a settlement invoice's.
        missed = [e for e in events if e["created"] > time.time() - 86_400][-1]
        delivered = [e for e in events if e["id"] != missed["id"]]
        deliveries = stack.deliverer().deliver(delivered)
        assert deliveries.attempts and not deliveries.failed
        # One delivery Stripe saw fail (a signature from a rolled secret): catch-up archives it.
        wrong = WebhookDeliverer(stack.fake_stripe, stack.host.url_for("stripe_webhook"),
                                 secret="whsec_rolled_away")  # fmt: skip
        assert wrong.send(missed) == 400
        stack.queue.drain()
        call("catch_up", {})
        call("replay", {"object_type": "invoice"})
        call("replay", {"failed": True})
        call("replay", {"source": "stripe", "since": int(time.time()) - 3_600})  # archives too
        stack.queue.drain()
        # Someone edits a synced invoice in QBO: reconcile records findings.
        doc = stack.fake_qbo.state_json()["Invoice"][0]
        stack.fake_qbo.update("Invoice", {**doc, "PrivateNote": f"{doc.get('PrivateNote')} ed"})
        line = dict(doc["Line"][0], Amount=Decimal("99999.00"))  # more than anything paid of it
        line["SalesItemLineDetail"] = {
            **line["SalesItemLineDetail"], "UnitPrice": Decimal(99999), "Qty": 1
        }  # fmt: skip
        stack.fake_qbo.update(
            "Invoice", {**stack.fake_qbo.state_json()["Invoice"][0], "Line": [line]}
        )
        call("reconcile", {})
        call("backfill", {"since": "2020-01-01"})
        # A tenant (a connected account): its events routed by account, its tasks, a replay
        # and a backfill of its own; catch-up and reconcile above went through every tenant.
        connected = with_account(generate_month(8, customers=2, invoices=3), TENANT_ACCOUNT)
        for obj in Scenario(events=connected).seed_state():
            stack.stripe_for(TENANT_ACCOUNT).seed_object(obj)
        tenant_events = [e for e in connected if e.get("object") == "event"]
        assert not stack.deliverer().deliver(tenant_events).failed
        stack.queue.drain()
        tenant = tenant_id_for(TENANT_ACCOUNT)
        call("replay", {"object_type": "invoice", "tenant_id": tenant})
        call("backfill", {"since": "2020-01-01", "tenant_id": tenant})
        stack.queue.drain()
        assert stack.qbo_for(TENANT_REALM).state_json().get("Invoice")
        call("sync_health", {})
        yield dict(recorder.used)


def test_terraform_grants_each_function_the_tables_it_uses_and_no_more(
    recorded: Grants,
) -> None:
    granted = terraform_grants()
    _, views = ddl_objects()
    exercised = set(recorded) - {"setup"}
    assert exercised == set(granted), "every deployed function was exercised"
    for name, use in sorted(recorded.items()):
        if name in ("setup", "backfill"):
            continue
        needed = behind(use["reads"], views)  # a view's reader needs the tables behind it
        assert granted[name]["reads"] == needed, (name, "reads")
        assert granted[name]["appends"] == use["appends"], (name, "appends")
    # The backfill posts with the worker's code (whatever of it a range needs) and keeps its
    # runs: the worker's grants and the runs table, and it used no more than those.
    worker, backfill = granted["sync_worker"], granted["backfill"]
    assert backfill["reads"] == worker["reads"] | {"sync_runs", "sync_runs_current"}
    assert backfill["appends"] == worker["appends"] | {"sync_runs"}
    assert behind(recorded["backfill"]["reads"], views) <= backfill["reads"]
    assert recorded["backfill"]["appends"] <= backfill["appends"]


def test_grants_name_real_tables_and_views_only() -> None:
    tables, views = ddl_objects()
    for name, grant in terraform_grants().items():
        assert grant["reads"] <= tables | set(views), name
        assert grant["appends"] <= tables, f"{name}: appends go to tables, never views"
        assert behind(grant["reads"], views) == grant["reads"], f"{name}: tables behind its views"
    # The public webhook appends to the archive and reads the tenants (whose event it is) only.
    assert terraform_grants()["stripe_webhook"] == {
        "reads": {"tenants", "tenants_current"},
        "appends": {"stripe_events"},
    }
