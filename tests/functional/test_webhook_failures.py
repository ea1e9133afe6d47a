"""The webhook when a dependency fails (5xx so that Stripe delivers again, ERROR when a person
must act) and when Stripe signed a body the archive cannot store (a clear 4xx, nothing stored);
two signing secrets at once."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import pytest
from flask.testing import FlaskClient

from local_emulator.fakes.stripe.webhooks import sign_payload
from shared import bootstrap
from shared.adapters.local_secrets import InMemorySecretStore
from shared.errors import AuthenticationError, NotFoundError, SyncError, UpstreamUnavailableError
from tests.fakes import InMemoryTaskQueue, RecordingWarehouse
from tests.functional.test_webhook_function import (
    SECRET,
    Ports,
    client,
    customer_event,
    ports,
    post,
)

__all__ = ["client", "ports"]  # fixtures


class FailingWarehouse(RecordingWarehouse):
    def __init__(self, error: SyncError) -> None:
        super().__init__()
        self.error = error

    def append(self, table: str, rows: Any, row_ids: Any = None) -> None:
        raise self.error


class FailingQueue(InMemoryTaskQueue):
    def __init__(self, error: SyncError) -> None:
        super().__init__()
        self.error = error

    def enqueue(self, task: Any) -> bool:
        raise self.error


def webhook_errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.ERROR and "webhook" in r.getMessage()]


@pytest.mark.parametrize(
    ("error", "alerts"),
    [
        (AuthenticationError("BigQuery refused the insert (PermissionDenied)"), True),
        (NotFoundError("table stripe_events not found"), True),
        (UpstreamUnavailableError("BigQuery unavailable"), False),
    ],
)
def test_an_archive_failure_answers_5xx(
    ports: Ports,
    client: FlaskClient,
    caplog: pytest.LogCaptureFixture,
    error: SyncError,
    alerts: bool,
) -> None:
    bootstrap.override(warehouse=FailingWarehouse(error))
    with caplog.at_level(logging.INFO, logger="sync"):
        response = post(client, customer_event())
    assert response.status_code == 503
    assert response.get_json()["code"] == "archive_failed"
    assert ports[1].tasks == {}
    assert bool(webhook_errors(caplog)) is alerts


@pytest.mark.parametrize(
    "error",
    [
        AuthenticationError("PermissionDenied"),
        NotFoundError("queue not found"),
        UpstreamUnavailableError("Cloud Tasks unavailable"),
    ],
)
def test_an_enqueue_failure_answers_5xx(
    ports: Ports, client: FlaskClient, error: SyncError
) -> None:
    bootstrap.override(task_queue=FailingQueue(error))
    response = post(client, customer_event())
    assert response.status_code == 503
    assert response.get_json()["code"] == "enqueue_failed"


def test_no_enabled_secret_version_answers_5xx(
    ports: Ports, client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    bootstrap.override(secrets=InMemorySecretStore())
    with caplog.at_level(logging.INFO, logger="sync"):
        response = post(client, customer_event())
    assert response.status_code == 503
    assert response.get_json()["code"] == "webhook_secret_failed"
    assert webhook_errors(caplog)


def _event(**changes: Any) -> dict[str, Any]:
    return {**json.loads(customer_event()), **changes}


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize(
    "body",
    [
        b"\xef\xbb\xbf" + customer_event(),
        json.dumps(_event(created=10**15)).encode(),
        json.dumps(_event(created=-1)).encode(),
        json.dumps(_event()).encode()[:-1] + b',"deep":' + _nested(600).encode() + b"}",
        json.dumps(_event()).encode()[:-1] + b',"deep":' + _nested(1500).encode() + b"}",
    ],
    ids=["bom", "created-far-future", "created-negative", "nested-600", "nested-1500"],
)
def test_a_signed_body_the_archive_cannot_store_is_a_clear_4xx(
    ports: Ports, client: FlaskClient, caplog: pytest.LogCaptureFixture, body: bytes
) -> None:
    with caplog.at_level(logging.INFO, logger="sync"):
        response = post(client, body)
    assert response.status_code == 400
    assert response.get_json()["code"] == "unstorable_event"
    assert ports[0].rows == {} and ports[1].tasks == {}
    assert webhook_errors(caplog)  # signed by Stripe: a person looks at it


def test_two_signing_secrets_are_accepted_at_once(ports: Ports, client: FlaskClient) -> None:
    bootstrap.override(
        secrets=InMemorySecretStore({"stripe-webhook-secret": f"whsec_new {SECRET}"})
    )
    body = customer_event()
    now = int(time.time())
    assert post(client, body, signature=sign_payload(body, "whsec_new", now)).status_code == 200
    assert post(client, body, signature=sign_payload(body, SECRET, now)).status_code == 200
    refused = post(client, body, signature=sign_payload(body, "whsec_other", now))
    assert refused.status_code == 400
