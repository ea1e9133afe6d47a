"""The stripe_webhook function through the framework's test client, fakes at the ports."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC
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
from shared.domain.retries import ENQUEUED_AT, enqueued_at
from tests.fakes import InMemoryTaskQueue, RecordingWarehouse

SECRET = "whsec_test_functional"
Ports = tuple[RecordingWarehouse, InMemoryTaskQueue]
SOURCE = Path(__file__).resolve().parents[2] / "functions" / "stripe_webhook.py"


@pytest.fixture
def ports(
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[RecordingWarehouse, InMemoryTaskQueue]]:
    monkeypatch.setenv("SYNC_WEBHOOK_MAX_BODY_BYTES", "4096")
    reset_settings()
    bootstrap.reset()
    warehouse, queue = RecordingWarehouse(), InMemoryTaskQueue()
    bootstrap.override(
        secrets=InMemorySecretStore({"stripe-webhook-secret": SECRET}),
        warehouse=warehouse,
        task_queue=queue,
    )
    yield warehouse, queue
    bootstrap.reset()
    reset_settings()


@pytest.fixture
def client() -> FlaskClient:
    app = functions_framework.create_app(target="stripe_webhook", source=str(SOURCE))
    return app.test_client()


def customer_event(event_id: str = "evt_cus_1", event_type: str = "customer.created") -> bytes:
    obj = customer_object("cus_1", name="Acme", created=1_767_225_600)
    return json.dumps(event_object(event_id, event_type, 1_767_225_600, obj)).encode()


def post(
    client: FlaskClient, body: bytes, *, signature: str | None = None, at: int | None = None
) -> TestResponse:
    header = (
        signature if signature is not None else sign_payload(body, SECRET, at or int(time.time()))
    )
    headers = {"Stripe-Signature": header} if header else {}
    return client.post("/", data=body, headers=headers, content_type="application/json")


def test_valid_event_is_archived_and_enqueued(ports: Ports, client: FlaskClient) -> None:
    warehouse, queue = ports
    response = post(client, customer_event())
    assert response.status_code == 200
    window = 1_767_225_600 // 5  # events of one object within 5 s share a task
    assert response.get_json() == {
        "received": True,
        "event_id": "evt_cus_1",
        "task": f"obj-customer-cus_1-{window}",
    }
    (row,) = warehouse.rows["stripe_events"]
    assert row["event_id"] == "evt_cus_1"
    assert row["object_id"] == "cus_1"
    assert row["source"] == "webhook"
    assert json.loads(row["payload"])["type"] == "customer.created"
    task = queue.tasks[f"obj-customer-cus_1-{window}"]
    ready = (window + 1) * 5 + 2.0  # the window's end plus the clock-skew margin
    assert task.payload == {
        "event_id": "evt_cus_1",
        "event_type": "customer.created",
        "object_type": "customer",
        "object_id": "cus_1",
        "fresh_after": ready,
        ENQUEUED_AT: task.payload[ENQUEUED_AT],
    }
    assert task.schedule_time is not None and task.schedule_time.timestamp() == ready
    # The start of its retry horizon: the time the webhook archived it (DuckDB: naive UTC).
    archived = row["received_at"]
    archived = archived.replace(tzinfo=UTC) if archived.tzinfo is None else archived
    assert enqueued_at(dict(task.payload)) == archived.replace(microsecond=0)


def test_events_of_one_object_in_one_window_share_a_task(ports: Ports, client: FlaskClient) -> None:
    _, queue = ports
    assert post(client, customer_event()).status_code == 200
    assert post(client, customer_event("evt_cus_2", "customer.updated")).status_code == 200
    later = customer_object("cus_1", name="Acme", created=1_767_225_600)
    event = event_object("evt_cus_3", "customer.updated", 1_767_225_605, later)
    assert post(client, json.dumps(event).encode()).status_code == 200
    assert sorted(queue.tasks) == [
        f"obj-customer-cus_1-{1_767_225_600 // 5}",
        f"obj-customer-cus_1-{1_767_225_605 // 5}",
    ]


def test_duplicate_delivery_is_accepted_and_enqueues_once(
    ports: Ports, client: FlaskClient
) -> None:
    _, queue = ports
    assert post(client, customer_event()).status_code == 200
    assert post(client, customer_event()).status_code == 200
    assert list(queue.tasks) == [f"obj-customer-cus_1-{1_767_225_600 // 5}"]


def test_unknown_event_type_is_archived_without_a_task(ports: Ports, client: FlaskClient) -> None:
    warehouse, queue = ports
    body = json.dumps(event_object("evt_p", "plan.created", 1, {"id": "price_1", "object": "plan"}))
    response = post(client, body.encode())
    assert response.status_code == 200
    assert response.get_json()["task"] is None
    assert len(warehouse.rows["stripe_events"]) == 1
    assert queue.tasks == {}


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("bad_signature", "signature"),
        ("wrong_secret", "signature"),
        ("stale", "tolerance"),
        ("missing_header", "Stripe-Signature"),
        ("malformed_json", "not valid JSON"),
        ("not_an_event", "not a Stripe event"),
        ("event_missing_fields", "type"),
        ("too_large", "exceeds the limit"),
    ],
)
def test_bad_inputs_get_400_and_leave_nothing(
    ports: Ports, client: FlaskClient, case: str, message: str
) -> None:
    warehouse, queue = ports
    body, signature, at = customer_event(), None, None
    if case == "bad_signature":
        signature = sign_payload(body, SECRET, int(time.time())).split(",")[0] + ",v1=" + "0" * 64
    elif case == "wrong_secret":
        signature = sign_payload(body, "whsec_other", int(time.time()))
    elif case == "stale":
        at = int(time.time()) - 301
    elif case == "missing_header":
        signature = ""
    elif case == "malformed_json":
        body = b'{"id": "evt_1", "object": "event", '
    elif case == "not_an_event":
        body = json.dumps({"id": "cus_1", "object": "customer"}).encode()
    elif case == "event_missing_fields":
        body = json.dumps({"id": "evt_1", "object": "event", "created": 1, "data": {}}).encode()
    elif case == "too_large":
        body = customer_event()[:-1] + b', "padding": "' + b"x" * 5000 + b'"}'
    response = post(client, body, signature=signature, at=at)
    assert response.status_code == 400
    assert message in response.get_json()["message"]
    assert warehouse.rows == {}
    assert queue.tasks == {}


def test_get_is_not_allowed(ports: Ports, client: FlaskClient) -> None:
    assert client.get("/").status_code == 405


def test_archive_failure_answers_503_and_enqueues_nothing(
    ports: Ports, client: FlaskClient
) -> None:
    warehouse, queue = ports
    warehouse.fail_appends = True
    response = post(client, customer_event())
    assert response.status_code == 503
    assert queue.tasks == {}


def test_enqueue_failure_answers_503_so_stripe_retries(ports: Ports, client: FlaskClient) -> None:
    _, queue = ports
    queue.fail = True
    assert post(client, customer_event()).status_code == 503
