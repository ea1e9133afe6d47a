"""Each posting rule through the worker against the fake servers: QBO's books afterwards."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask.testing import FlaskClient

from local_emulator.fakes.qbo.engine import FakeQbo
from local_emulator.harness.stack import LocalStack
from tests.functional.conftest import T0, seed_acme_invoice

AUTH = {"Authorization": "Bearer local-dev-token"}


def sync(client: FlaskClient, object_type: str, object_id: str, retry: int = 0) -> dict[str, Any]:
    headers = {
        **AUTH,
        "X-CloudTasks-TaskName": f"t-{object_id}",
        "X-CloudTasks-TaskRetryCount": str(retry),
    }
    response = client.post(
        "/", json={"object_type": object_type, "object_id": object_id}, headers=headers
    )
    assert response.status_code == 200, response.get_json()
    body: dict[str, Any] = response.get_json()
    assert body["outcome"] != "FAILED", body
    return body


def seed_invoice(stack: LocalStack, invoice_id: str, **fields: Any) -> dict[str, Any]:
    return seed_acme_invoice(stack, invoice_id, **fields)


def invoice_payment(
    stack: LocalStack, payment_id: str, invoice_id: str, amount: int, pi: str
) -> None:
    stack.fake_stripe.seed_object(
        {
            "id": payment_id,
            "object": "invoice_payment",
            "invoice": invoice_id,
            "amount_paid": amount,
            "amount_requested": amount,
            "currency": "usd",
            "status": "paid",
            "created": T0 + 100,
            "payment": {"type": "payment_intent", "payment_intent": pi},
            "status_transitions": {"paid_at": T0 + 100, "canceled_at": None},
        }
    )


def entities(fake: FakeQbo, entity: str) -> list[dict[str, Any]]:
    return fake.state_json().get(entity, [])


def invoice_doc(fake: FakeQbo, stripe_id: str) -> dict[str, Any]:
    (doc,) = [d for d in entities(fake, "Invoice") if stripe_id in str(d.get("PrivateNote"))]
    return doc


def balance(fake: FakeQbo, name: str) -> Decimal:
    (account,) = [a for a in entities(fake, "Account") if a["Name"] == name]
    return Decimal(str(account["CurrentBalance"]))


def test_invoice_paid_in_two_payments(stack: LocalStack, client: FlaskClient) -> None:
    seed_invoice(stack, "in_0001", status="paid", amount_paid=10000, amount_remaining=0)
    invoice_payment(stack, "inpay_1", "in_0001", 4000, "pi_1")
    invoice_payment(stack, "inpay_2", "in_0001", 6000, "pi_2")
    sync(client, "invoice", "in_0001")
    sync(client, "invoice", "in_0001")  # again: nothing new
    payments = entities(stack.fake_qbo, "Payment")
    assert sorted(Decimal(str(p["TotalAmt"])) for p in payments) == [
        Decimal("40.00"),
        Decimal("60.00"),
    ]
    assert Decimal(str(invoice_doc(stack.fake_qbo, "in_0001")["Balance"])) == 0
    assert balance(stack.fake_qbo, "Stripe Clearing") == Decimal("100.00")


def test_partly_paid_and_the_rest_out_of_band(stack: LocalStack, client: FlaskClient) -> None:
    seed_invoice(
        stack,
        "in_0002",
        status="paid",
        amount_paid=10000,
        amount_remaining=0,
    )
    invoice_payment(stack, "inpay_3", "in_0002", 2500, "pi_3")
    sync(client, "invoice", "in_0002")
    assert Decimal(str(invoice_doc(stack.fake_qbo, "in_0002")["Balance"])) == 0
    assert balance(stack.fake_qbo, "Stripe Clearing") == Decimal("25.00")
    # found by type: the newer company's Undeposited Funds is named "Payments to deposit"
    assert balance(stack.fake_qbo, "Payments to deposit") == Decimal("75.00")
    names = {a["Name"] for a in entities(stack.fake_qbo, "Account")}
    assert "Undeposited Funds" not in names  # none created beside it


def test_voided_invoice_is_voided_in_qbo(stack: LocalStack, client: FlaskClient) -> None:
    seed_invoice(stack, "in_0003", status="void")
    sync(client, "invoice", "in_0003")
    doc = invoice_doc(stack.fake_qbo, "in_0003")
    assert Decimal(str(doc["Balance"])) == 0
    assert Decimal(str(doc["TotalAmt"])) == 0


def test_uncollectible_invoice_is_written_off(stack: LocalStack, client: FlaskClient) -> None:
    seed_invoice(stack, "in_0004", status="uncollectible")
    sync(client, "invoice", "in_0004")
    assert Decimal(str(invoice_doc(stack.fake_qbo, "in_0004")["Balance"])) == 0
    (memo,) = entities(stack.fake_qbo, "CreditMemo")
    assert "Stripe invoice_writeoff in_0004" in memo["PrivateNote"]
    assert balance(stack.fake_qbo, "Bad Debt") == Decimal("100.00")


def test_charge_without_invoice_and_its_partial_refunds(
    stack: LocalStack, client: FlaskClient
) -> None:
    stack.fake_stripe.seed_object(
        {
            "id": "ch_1",
            "object": "charge",
            "amount": 5000,
            "amount_refunded": 1500,
            "currency": "usd",
            "customer": "cus_A",
            "status": "succeeded",
            "paid": True,
            "payment_intent": "pi_9",
            "created": T0,
            "description": "Workshop",
        }
    )
    for refund_id, amount in (("re_1", 1000), ("re_2", 500)):
        stack.fake_stripe.seed_object(
            {
                "id": refund_id,
                "object": "refund",
                "amount": amount,
                "currency": "usd",
                "charge": "ch_1",
                "payment_intent": "pi_9",
                "status": "succeeded",
                "created": T0 + 10,
            }
        )
    sync(client, "charge", "ch_1")
    sync(client, "refund", "re_1")  # the refund's own event after the charge's: nothing new
    assert len(entities(stack.fake_qbo, "SalesReceipt")) == 1
    assert len(entities(stack.fake_qbo, "RefundReceipt")) == 2
    assert balance(stack.fake_qbo, "Stripe Clearing") == Decimal("35.00")


def test_credit_note_before_payment_reduces_the_open_balance(
    stack: LocalStack, client: FlaskClient
) -> None:
    seed_invoice(stack, "in_0005", amount_remaining=7000)
    stack.fake_stripe.seed_object(
        {
            "id": "cn_1",
            "object": "credit_note",
            "number": "ACME-0005-CN-01",
            "invoice": "in_0005",
            "customer": "cus_A",
            "currency": "usd",
            "type": "pre_payment",
            "status": "issued",
            "amount": 3000,
            "subtotal": 3000,
            "total": 3000,
            "pre_payment_amount": 3000,
            "post_payment_amount": 0,
            "created": T0 + 200,
        }
    )
    sync(client, "credit_note", "cn_1")  # before the invoice was ever synced
    sync(client, "invoice", "in_0005")
    assert Decimal(str(invoice_doc(stack.fake_qbo, "in_0005")["Balance"])) == Decimal("70.00")


def test_dispute_withdrawn_then_won(stack: LocalStack, client: FlaskClient) -> None:
    txns = [
        {
            "id": "txn_w",
            "object": "balance_transaction",
            "amount": -5000,
            "fee": 1500,
            "net": -6500,
            "currency": "usd",
            "type": "adjustment",
            "created": T0 + 300,
        },
        {
            "id": "txn_r",
            "object": "balance_transaction",
            "amount": 5000,
            "fee": -1500,
            "net": 6500,
            "currency": "usd",
            "type": "adjustment",
            "created": T0 + 900,
        },
    ]
    dispute = {
        "id": "du_1",
        "object": "dispute",
        "amount": 5000,
        "currency": "usd",
        "charge": "ch_1",
        "status": "won",
        "reason": "fraudulent",
        "created": T0 + 300,
    }
    stack.fake_stripe.seed_object(
        {**dispute, "balance_transactions": txns[:1], "status": "needs_response"}
    )
    sync(client, "dispute", "du_1")
    assert balance(stack.fake_qbo, "Stripe Clearing") == Decimal("-65.00")
    stack.fake_stripe.seed_object({**dispute, "balance_transactions": txns})
    sync(client, "dispute", "du_1")
    assert len(entities(stack.fake_qbo, "JournalEntry")) == 2
    assert balance(stack.fake_qbo, "Stripe Clearing") == 0
