"""Undoing what was posted, the ways QBO allows, whatever order the work arrives in.

Service level: sync_object over the in-memory gateways (``memory_books``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from local_emulator.fakes.qbo.reports import ar_by_customer
from local_emulator.generator import objects as o
from tests.functional.memory_books import T0, MemoryBooks

D = Decimal


def credit_note(
    books: MemoryBooks, invoice: dict[str, Any], amount: int, **fields: Any
) -> dict[str, Any]:
    note = o.credit_note(
        "cn_1",
        invoice=invoice,
        number="ACME-CN-1",
        amount=amount,
        created=T0 + 120,
        kind="pre_payment",
        reason="order_change",
        memo=None,
    )
    note = {**note, **fields}
    books.seed(note)
    return note


def customer_ar(books: MemoryBooks) -> Decimal:
    (balance,) = ar_by_customer(books.qbo.state_json()).values()
    return balance


@pytest.mark.parametrize("credit_first", [True, False], ids=["credit_first", "void_first"])
def test_an_invoice_voided_after_a_credit_note_is_voided_in_qbo(
    books: MemoryBooks, credit_first: bool
) -> None:
    invoice = books.invoice("in_0001", 10_000, amount_remaining=7_000)
    credit_note(books, invoice, 3_000)
    if credit_first:
        books.sync("invoice", "in_0001")
        books.sync("credit_note", "cn_1")
        assert D(str(books.doc("Invoice", "in_0001")["Balance"])) == D("70.00")
    books.seed({**invoice, "status": "void"})
    books.sync("invoice", "in_0001")
    books.sync("credit_note", "cn_1")  # after the void, or arriving late: nothing changes
    voided = books.doc("Invoice", "in_0001")
    assert voided["PrivateNote"].startswith("Voided") and D(str(voided["TotalAmt"])) == 0
    if credit_first:
        memo = books.doc("CreditMemo", "cn_1")
        assert memo["PrivateNote"].startswith("Voided - Stripe credit_note cn_1")
        assert D(str(memo["TotalAmt"])) == 0 and memo["DocNumber"] == "ACME-CN-1"
        (application,) = books.docs("Payment")
        assert application["PrivateNote"].startswith("Voided") and application["Line"] == []
    else:
        assert books.docs("CreditMemo") == [] and books.docs("Payment") == []
    assert customer_ar(books) == 0
    assert books.balance("Stripe Sales Income") == 0
    assert books.qbo.books.trial_balance() == 0
    before = books.qbo.request_counts()
    books.sync("invoice", "in_0001")
    after = books.qbo.request_counts()
    assert after.get("void", 0) == before.get("void", 0)  # once


def test_an_uncollectible_invoice_voided_later_undoes_its_write_off(books: MemoryBooks) -> None:
    invoice = books.invoice("in_0002", 5_000)
    uncollectible = {
        **invoice,
        "status": "uncollectible",
        "status_transitions": {**invoice["status_transitions"], "marked_uncollectible_at": T0 + 99},
    }
    books.seed(uncollectible)
    books.sync("invoice", "in_0002")
    assert books.balance("Bad Debt") == D("50.00")
    books.seed({**uncollectible, "status": "void"})
    books.sync("invoice", "in_0002")
    assert books.balance("Bad Debt") == 0
    assert books.doc("CreditMemo", "in_0002")["PrivateNote"].startswith("Voided - ")
    assert customer_ar(books) == 0
    assert books.qbo.books.trial_balance() == 0


def test_a_voided_credit_note_restores_its_invoice(books: MemoryBooks) -> None:
    invoice = books.invoice("in_0003", 10_000, amount_remaining=6_000)
    note = credit_note(books, invoice, 4_000)
    books.sync("invoice", "in_0003")
    books.sync("credit_note", "cn_1")
    books.seed({**note, "status": "void"}, {**invoice, "amount_remaining": 10_000})
    books.sync("credit_note", "cn_1")
    books.sync("credit_note", "cn_1")
    assert D(str(books.doc("Invoice", "in_0003")["Balance"])) == D("100.00")
    assert books.doc("CreditMemo", "cn_1")["PrivateNote"].startswith("Voided")
    assert customer_ar(books) == D("100.00")
    assert "CreditMemo:void" in books.links("cn_1")


def test_a_credit_memo_qbo_will_not_zero_is_deleted(books: MemoryBooks) -> None:
    books.qbo.books.refuse_zero_credit_memos = True
    invoice = books.invoice("in_0004", 10_000, amount_remaining=6_000)
    note = credit_note(books, invoice, 4_000)
    books.sync("invoice", "in_0004")
    books.sync("credit_note", "cn_1")
    books.seed({**note, "status": "void"})
    books.sync("credit_note", "cn_1")
    assert books.docs("CreditMemo") == []
    assert "CreditMemo:deleted" in books.links("cn_1")
    assert D(str(books.doc("Invoice", "in_0004")["Balance"])) == D("100.00")


def test_a_payment_someone_recorded_stays_as_credit_when_its_invoice_is_voided(
    books: MemoryBooks,
) -> None:
    invoice = books.invoice("in_0005", 10_000)
    books.sync("invoice", "in_0005")
    qbo_invoice = books.doc("Invoice", "in_0005")
    books.qbo.create(
        "Payment",
        {
            "CustomerRef": qbo_invoice["CustomerRef"],
            "TotalAmt": D("25.00"),
            "Line": [
                {
                    "Amount": D("25.00"),
                    "LinkedTxn": [{"TxnId": qbo_invoice["Id"], "TxnType": "Invoice"}],
                }
            ],
        },
    )
    books.seed({**invoice, "status": "void"})
    books.sync("invoice", "in_0005")
    (payment,) = books.docs("Payment")
    assert payment["Line"] == [] and D(str(payment["UnappliedAmt"])) == D("25.00")
    assert customer_ar(books) == D("-25.00")  # the money was received: the customer's credit
    assert books.doc("Invoice", "in_0005")["PrivateNote"].startswith("Voided")


def test_a_refund_stripe_gives_back_is_reversed_on_the_day_it_came_back(
    books: MemoryBooks,
) -> None:
    charge = o.charge(
        "ch_1",
        amount=4_900,
        currency="usd",
        customer_id="cus_A",
        pi_id="pi_1",
        created=T0,
        description="Day pass",
        succeeded=True,
        balance_transaction="txn_1",
    )
    refund = o.refund(
        "re_1",
        charge_id="ch_1",
        pi_id="pi_1",
        amount=4_900,
        currency="usd",
        created=T0 + 3_600,
        status="succeeded",
        balance_transaction="txn_2",
    )
    books.seed({**charge, "amount_refunded": 4_900, "refunded": True}, refund)
    books.sync("charge", "ch_1")
    assert books.balance("Stripe Clearing") == 0
    failure = o.balance_transaction(
        "txn_3",
        amount=4_900,
        fee=0,
        currency="usd",
        created=T0 + 5 * 86_400,
        source="re_1",
        txn_type="refund_failure",
        category="refund_failure",
        description="REFUND FAILURE",
        fee_description="",
    )
    books.seed(failure, {**refund, "status": "failed", "failure_balance_transaction": "txn_3"})
    books.sync("refund", "re_1")
    books.sync("refund", "re_1")
    (receipt,) = [r for r in books.docs("SalesReceipt") if "refund_reversal" in r["PrivateNote"]]
    assert receipt["TxnDate"] == "2026-01-06" and D(str(receipt["TotalAmt"])) == D("49.00")
    assert books.doc("RefundReceipt", "re_1")["TotalAmt"] == D("49.00")  # kept: it happened
    assert books.balance("Stripe Clearing") == D("49.00")
    assert books.qbo.books.trial_balance() == 0
