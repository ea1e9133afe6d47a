"""The webhook tells tenants apart: a Connect event by its ``account`` at the platform's
endpoint, an account with its own endpoint by the path and that tenant's signing secret. Each
event is archived under its tenant and its task carries it; an account no tenant holds, or a
disabled tenant, is archived and not synced; a worker task runs as its tenant."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import functions_framework
import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from local_emulator.fakes.stripe.webhooks import sign_payload
from local_emulator.generator.stripe_objects import customer_object, event_object
from shared import bootstrap
from shared.adapters.local_secrets import InMemorySecretStore
from shared.config import reset_settings
from shared.tenancy.model import Tenant
from shared.tenancy.store import InMemoryTenantStore, TenantDirectory
from tests.fakes import InMemoryTaskQueue, RecordingWarehouse

PLATFORM_SECRET = "whsec_platform_connect"
SOLO_SECRET = "whsec_solo_own_endpoint"
SOURCE = Path(__file__).resolve().parents[2] / "functions" / "stripe_webhook.py"
TENANTS = [
    Tenant("acme", qbo_realm_id="9130350000000002", stripe_account="acct_1Acme"),
    Tenant("gone", qbo_realm_id="9130350000000003", stripe_account="acct_1Gone", status="DISABLED"),
    Tenant("solo", qbo_realm_id="9130350000000004"),  # its own key and endpoint
]
Ports = tuple[RecordingWarehouse, InMemoryTaskQueue]


class Clock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@pytest.fixture
def ports() -> Iterator[Ports]:
    reset_settings()
    bootstrap.reset()
    warehouse, queue = RecordingWarehouse(), InMemoryTaskQueue()
    bootstrap.override(
        secrets=InMemorySecretStore(
            {
                "stripe-webhook-secret": PLATFORM_SECRET,
                "tenant-solo-stripe-webhook-secret": SOLO_SECRET,
            }
        ),
        warehouse=warehouse,
        task_queue=queue,
        tenant_directory=TenantDirectory(InMemoryTenantStore(TENANTS), Clock()),
    )
    yield warehouse, queue
    bootstrap.reset()
    reset_settings()


@pytest.fixture
def client() -> FlaskClient:
    app = functions_framework.create_app(target="stripe_webhook", source=str(SOURCE))
    return app.test_client()


def event(event_id: str, account: str | None = None) -> bytes:
    obj = customer_object("cus_1", name="Acme", created=1_767_225_600)
    body = event_object(event_id, "customer.created", 1_767_225_600, obj)
    if account:
        body["account"] = account
    return json.dumps(body).encode()


def post(client: FlaskClient, body: bytes, secret: str, path: str = "/") -> TestResponse:
    header = sign_payload(body, secret, int(time.time()))
    return client.post(
        path, data=body, headers={"Stripe-Signature": header}, content_type="application/json"
    )


def archived(warehouse: RecordingWarehouse) -> list[tuple[str, str]]:
    return [(r["event_id"], r["tenant_id"]) for r in warehouse.rows.get("stripe_events", [])]


def test_a_connect_event_goes_to_the_tenant_holding_its_account(
    ports: Ports, client: FlaskClient
) -> None:
    warehouse, queue = ports
    assert post(client, event("evt_1", "acct_1Acme"), PLATFORM_SECRET).status_code == 200
    assert post(client, event("evt_2"), PLATFORM_SECRET).status_code == 200  # the platform's
    assert archived(warehouse) == [("evt_1", "acme"), ("evt_2", "default")]
    tasks = {name: task.payload.get("tenant_id") for name, task in queue.tasks.items()}
    window = 1_767_225_600 // 5
    # The same Stripe id in two accounts: two tasks, never one.
    assert tasks == {
        f"t-acme-obj-customer-cus_1-{window}": "acme",
        f"obj-customer-cus_1-{window}": None,
    }


def test_an_account_no_active_tenant_holds_is_archived_and_not_synced(
    ports: Ports, client: FlaskClient
) -> None:
    warehouse, queue = ports
    assert post(client, event("evt_3", "acct_1Stranger"), PLATFORM_SECRET).status_code == 200
    assert post(client, event("evt_4", "acct_1Gone"), PLATFORM_SECRET).status_code == 200
    assert archived(warehouse) == [("evt_3", "unrouted"), ("evt_4", "gone")]
    assert queue.tasks == {}


def test_an_own_endpoint_takes_only_its_tenants_signature_and_account(
    ports: Ports, client: FlaskClient
) -> None:
    warehouse, queue = ports
    assert post(client, event("evt_5"), SOLO_SECRET, "/solo").status_code == 200
    assert post(client, event("evt_6"), PLATFORM_SECRET, "/solo").status_code == 400
    assert post(client, event("evt_7"), SOLO_SECRET, "/").status_code == 400
    refused = post(client, event("evt_8", "acct_1Acme"), SOLO_SECRET, "/solo")
    assert (refused.status_code, refused.get_json()["code"]) == (400, "wrong_account")
    unknown = post(client, event("evt_9"), SOLO_SECRET, "/nobody")
    assert (unknown.status_code, unknown.get_json()["code"]) == (400, "unknown_tenant")
    assert archived(warehouse) == [("evt_5", "solo")]
    assert [t.payload.get("tenant_id") for t in queue.tasks.values()] == ["solo"]
