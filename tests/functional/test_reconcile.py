"""The reconcile function through the framework's test client, against the fake servers."""

from __future__ import annotations

import logging
from decimal import Decimal
from pathlib import Path
from typing import Any

import functions_framework
import pytest
from flask.testing import FlaskClient

from local_emulator.harness.stack import LocalStack
from tests.functional.test_payouts import seed_payout, txn
from tests.functional.test_posting import AUTH, entities, seed_invoice, sync

SOURCE = Path(__file__).resolve().parents[2] / "functions" / "reconcile.py"
WINDOW = {"since": "2025-12-01T00:00:00+00:00"}


@pytest.fixture
def reconcile_client(stack: LocalStack) -> FlaskClient:
    return functions_framework.create_app(target="reconcile", source=str(SOURCE)).test_client()


def run(client: FlaskClient) -> dict[str, Any]:
    response = client.post("/", json=WINDOW, headers=AUTH)
    assert response.status_code == 200, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def open_findings(stack: LocalStack) -> list[dict[str, Any]]:
    return stack.warehouse.query(
        "SELECT kind, severity, stripe_object_id, qbo_entity_id FROM reconciliation_findings_open"
        " ORDER BY kind"
    )


def test_clean_books_have_no_findings(
    stack: LocalStack, client: FlaskClient, reconcile_client: FlaskClient
) -> None:
    seed_invoice(stack, "in_0101")
    sync(client, "invoice", "in_0101")
    body = run(reconcile_client)
    assert body["findings"] == 0 and body["checked"]["stripe_invoices"] == 1
    assert open_findings(stack) == []
    (ar,) = stack.warehouse.query("SELECT * FROM analyst_ar_by_customer")
    assert ar["stripe_open"] == ar["qbo_open"] == 100


def test_person_editing_a_synced_invoice_is_a_finding(
    stack: LocalStack,
    client: FlaskClient,
    reconcile_client: FlaskClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    seed_invoice(stack, "in_0102")
    sync(client, "invoice", "in_0102")
    (doc,) = entities(stack.fake_qbo, "Invoice")
    edited = {**doc, "Line": [dict(doc["Line"][0], Amount=Decimal("90.00"))]}
    edited["Line"][0]["SalesItemLineDetail"] = {
        **doc["Line"][0]["SalesItemLineDetail"], "UnitPrice": 90, "Qty": 1
    }  # fmt: skip
    stack.fake_qbo.update("Invoice", edited)  # someone in the QBO UI
    with caplog.at_level(logging.WARNING, logger="sync"):
        body = run(reconcile_client)
    assert body["by_kind"] == {"ar_mismatch": 1, "changed_in_qbo": 1}
    found = {(f["kind"], f["severity"], f["stripe_object_id"]) for f in open_findings(stack)}
    assert ("changed_in_qbo", "HIGH", "in_0102") in found
    assert ("ar_mismatch", "HIGH", "cus_A") in found
    warned = [r for r in caplog.records if r.getMessage() == "reconciliation finding"]
    assert {r.levelno for r in warned} == {logging.ERROR}


def test_payout_without_deposit_is_a_finding(
    stack: LocalStack, reconcile_client: FlaskClient
) -> None:
    seed_payout(stack, "po_9", [txn("txn_9", "charge", 1_000, 59, "ch_9", payout="po_9")])
    body = run(reconcile_client)
    assert body["by_kind"] == {"payout_without_deposit": 1}
    (finding,) = open_findings(stack)
    assert finding["severity"] == "CRITICAL" and finding["stripe_object_id"] == "po_9"


def test_a_payout_stripe_has_not_reconciled_is_its_own_finding(
    stack: LocalStack, reconcile_client: FlaskClient
) -> None:
    seed_payout(
        stack,
        "po_10",
        [txn("txn_10", "charge", 1_000, 59, "ch_10", payout="po_10")],
        reconciliation_status="in_progress",
    )
    assert run(reconcile_client)["by_kind"] == {"payout_awaiting_reconciliation": 1}
    (finding,) = open_findings(stack)
    assert finding["severity"] == "HIGH" and finding["stripe_object_id"] == "po_10"


def test_a_later_clean_run_closes_findings(
    stack: LocalStack, client: FlaskClient, reconcile_client: FlaskClient
) -> None:
    seed_payout(stack, "po_8", [txn("txn_8", "charge", 1_000, 59, "ch_8", payout="po_8")])
    run(reconcile_client)
    sync(client, "payout", "po_8")
    assert run(reconcile_client)["findings"] == 0
    assert open_findings(stack) == []


def test_without_a_token_401(stack: LocalStack, reconcile_client: FlaskClient) -> None:
    assert reconcile_client.post("/").status_code == 401


def test_bad_window_400(stack: LocalStack, reconcile_client: FlaskClient) -> None:
    response = reconcile_client.post("/", json={"since": "yesterday"}, headers=AUTH)
    assert response.status_code == 400
