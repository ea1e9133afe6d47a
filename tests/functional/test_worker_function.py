"""The sync_worker function through the framework's test client, real adapters, fake servers."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from local_emulator.harness.stack import LocalStack
from shared import bootstrap
from tests.functional.conftest import seed_acme_invoice


def seed_invoice(
    stack: LocalStack, invoice_id: str, *, status: str = "open", total: int | None = None
) -> None:
    extra = {} if total is None else {"total": total}
    seed_acme_invoice(stack, invoice_id, amount=2500, quantity=2, draft=status == "draft", **extra)


def run_task(
    client: FlaskClient,
    payload: dict[str, Any],
    *,
    retry: int = 0,
    token: str | None = "local-dev-token",  # noqa: S107 - the local stand-in for OIDC
    name: str = "evt-test",
) -> TestResponse:
    headers = {"X-CloudTasks-TaskName": name, "X-CloudTasks-TaskRetryCount": str(retry)}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return client.post(
        "/", data=json.dumps(payload), headers=headers, content_type="application/json"
    )


def invoice_task(invoice_id: str) -> dict[str, Any]:
    return {
        "event_id": "evt_1",
        "event_type": "invoice.finalized",
        "object_type": "invoice",
        "object_id": invoice_id,
    }


def qbo_invoices(stack: LocalStack) -> list[dict[str, Any]]:
    return stack.fake_qbo.state_json().get("Invoice", [])


def current_link(invoice_id: str) -> dict[str, Any]:
    rows = bootstrap.warehouse().query(
        "SELECT * FROM sync_links_current WHERE stripe_object_id = @id", {"id": invoice_id}
    )
    assert len(rows) == 1
    return rows[0]


def test_finalized_invoice_becomes_one_qbo_invoice(stack: LocalStack, client: FlaskClient) -> None:
    seed_invoice(stack, "in_0001")
    response = run_task(client, invoice_task("in_0001"))
    assert response.status_code == 200
    assert response.get_json()["outcome"] == "COMPLETED"
    (doc,) = qbo_invoices(stack)
    assert doc["DocNumber"] == "ACME-0001"
    assert Decimal(str(doc["TotalAmt"])) == Decimal("25.00")
    link = current_link("in_0001")
    assert link["status"] == "COMPLETED"
    assert link["qbo_entity_id"] == doc["Id"]
    customers = stack.fake_qbo.state_json()["Customer"]
    assert [c["DisplayName"] for c in customers] == ["Acme [cus_A]"]
    again = run_task(client, invoice_task("in_0001"), name="evt-other")
    assert again.get_json()["outcome"] == "SKIPPED"
    assert len(qbo_invoices(stack)) == 1


def test_a_draft_never_reaches_qbo(stack: LocalStack, client: FlaskClient) -> None:
    seed_invoice(stack, "in_0002", status="draft")
    response = run_task(client, invoice_task("in_0002"))
    assert response.get_json()["outcome"] == "SKIPPED"
    assert qbo_invoices(stack) == []


@pytest.mark.parametrize("fault", ["qbo_5xx", "qbo_429", "qbo_drop_response"])
def test_transient_fault_answers_503_and_the_retry_heals_without_duplicate(
    stack: LocalStack, client: FlaskClient, fault: str
) -> None:
    seed_invoice(stack, "in_0003")
    run_task(client, {"object_type": "customer", "object_id": "cus_A"})  # customer first
    stack.fake_qbo.faults.force(fault)
    failed = run_task(client, invoice_task("in_0003"))
    if fault == "qbo_429":
        # 200 with a follow-up task 60 s ahead (Cloud Tasks would retry a 503 too soon)
        assert failed.status_code == 200
        assert failed.get_json()["outcome"] == "RETRY_SCHEDULED"
    else:
        assert failed.status_code == 503
    retried = run_task(client, invoice_task("in_0003"), retry=1)
    assert retried.status_code == 200
    assert retried.get_json()["outcome"] == "COMPLETED"
    assert len(qbo_invoices(stack)) == 1


def test_permanent_failure_is_recorded_and_answered_200(
    stack: LocalStack, client: FlaskClient
) -> None:
    seed_invoice(stack, "in_0004", total=4000)  # lines say 2500: refuse rather than post wrong
    response = run_task(client, invoice_task("in_0004"))
    assert response.status_code == 200
    assert response.get_json()["outcome"] == "FAILED"
    link = current_link("in_0004")
    assert link["status"] == "FAILED"
    assert link["last_error_code"] == "lines_total_mismatch"
    failures = bootstrap.warehouse().query("SELECT * FROM sync_failures")
    assert [row["stripe_object_id"] for row in failures] == ["in_0004"]
    assert qbo_invoices(stack) == []


def test_unknown_object_types_are_skipped(stack: LocalStack, client: FlaskClient) -> None:
    response = run_task(client, {"object_type": "plan", "object_id": "price_1"})
    assert response.status_code == 200
    assert response.get_json()["outcome"] == "SKIPPED"


@pytest.mark.parametrize(("token", "status"), [(None, 401), ("wrong", 403)])
def test_private_endpoint_refuses_callers_without_the_token(
    stack: LocalStack, client: FlaskClient, token: str | None, status: int
) -> None:
    seed_invoice(stack, "in_0005")
    assert run_task(client, invoice_task("in_0005"), token=token).status_code == status
    assert qbo_invoices(stack) == []


def test_malformed_task_is_refused(stack: LocalStack, client: FlaskClient) -> None:
    response = client.post(
        "/", data=b"not json", headers={"Authorization": "Bearer local-dev-token"}
    )
    assert response.status_code == 400
    assert run_task(client, {"object_type": "invoice"}).status_code == 400
