"""A pre-payment credit note voided, then the invoice paid in full: whichever task runs first.

Stripe: an invoice of 100.00 gets a credit note of 30.00 before payment (QBO: a CreditMemo
applied to the invoice by a zero Payment, balance 70.00); the note is voided (due 100.00
again), then the invoice is paid in full. If the invoice's task (or the charge's) posts the
payment of 100.00 before the credit note's task has undone the application, QBO refuses it
(6000: more than the open balance), so the task that needs the balance undoes the voided
note's application first. Service level: sync_object over the in-memory gateways.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from local_emulator.fakes.qbo.reports import ar_by_customer
from local_emulator.generator import objects as o
from tests.functional.memory_books import T0, MemoryBooks, paid_by_intent

D = Decimal
DAY = 86_400


def pre_payment_note(
    books: MemoryBooks, note_id: str, invoice: dict[str, Any], amount: int, at: int
) -> dict[str, Any]:
    note = o.credit_note(
        note_id,
        invoice=invoice,
        number=f"ACME-{note_id.upper()}",
        amount=amount,
        created=at,
        kind="pre_payment",
        reason="order_change",
        memo=None,
    )
    books.seed(note)
    return note


def credited_then_voided(books: MemoryBooks) -> tuple[dict[str, Any], dict[str, Any]]:
    """Day 0: the invoice and its credit note posted. Day 1 (Stripe): the note voided."""
    invoice = books.invoice("in_0001", 10_000, amount_remaining=7_000)
    note = pre_payment_note(books, "cn_1", invoice, 3_000, T0 + 120)
    books.sync("invoice", "in_0001")
    books.sync("credit_note", "cn_1")
    assert D(str(books.doc("Invoice", "in_0001")["Balance"])) == D("70.00")
    books.seed({**note, "status": "void", "voided_at": T0 + DAY})
    return invoice, note


def paid_in_full(books: MemoryBooks, invoice: dict[str, Any]) -> None:
    paid_at = T0 + DAY + 7_200
    payment = paid_by_intent(
        "inpay_1", invoice_id="in_0001", amount=10_000, currency="usd",
        pi_id="pi_1", charge_id="ch_1", paid_at=paid_at,
    )  # fmt: skip
    books.seed(
        *payment,
        {
            **invoice,
            "status": "paid",
            "amount_paid": 10_000,
            "amount_remaining": 0,
            "status_transitions": {**invoice["status_transitions"], "paid_at": paid_at},
        },
    )


def assert_settled(books: MemoryBooks) -> None:
    """The payment of 100.00 settles the invoice; the voided note's memo and its application
    are voided; AR and the books balance."""
    assert D(str(books.doc("Invoice", "in_0001")["Balance"])) == 0
    memo = books.doc("CreditMemo", "cn_1")
    assert memo["PrivateNote"].startswith("Voided") and D(str(memo["TotalAmt"])) == 0
    payments = {str(p["PrivateNote"]): p for p in books.docs("Payment")}
    money = [p for p in payments.values() if D(str(p["TotalAmt"])) != 0]
    assert [D(str(p["TotalAmt"])) for p in money] == [D("100.00")]
    (application,) = [p for note, p in payments.items() if "cn_1" in note]
    assert application["PrivateNote"].startswith("Voided") and application["Line"] == []
    assert set(books.links("cn_1")) >= {"CreditMemo", "CreditMemo:void"}
    (ar,) = ar_by_customer(books.qbo.state_json()).values()
    assert ar == 0
    assert books.qbo.books.trial_balance() == 0


@pytest.mark.parametrize(
    "order",
    [
        ("invoice", "credit_note"),  # the payment's task first: it undoes the application
        ("credit_note", "invoice"),
        ("invoice", "invoice", "credit_note", "credit_note"),  # repeated deliveries
    ],
    ids=["payment_first", "void_first", "repeated"],
)
def test_a_voided_credit_note_never_blocks_the_payment(
    books: MemoryBooks, order: tuple[str, ...]
) -> None:
    invoice, _ = credited_then_voided(books)
    paid_in_full(books, invoice)
    ids = {"invoice": "in_0001", "credit_note": "cn_1"}
    for kind in order:
        books.sync(kind, ids[kind])  # asserts nothing FAILED
    assert_settled(books)
    before = books.qbo.request_counts()
    for kind in ("invoice", "credit_note"):
        books.sync(kind, ids[kind])
    after = books.qbo.request_counts()
    writes = ("create", "update", "void", "delete")
    assert {k: after.get(k, 0) for k in writes} == {k: before.get(k, 0) for k in writes}


def test_the_payment_undoes_a_voided_note_qbo_will_not_zero(books: MemoryBooks) -> None:
    """QBO refusing the zero update: the memo deleted, from the payment's task."""
    books.qbo.books.refuse_zero_credit_memos = True
    invoice, _ = credited_then_voided(books)
    paid_in_full(books, invoice)
    books.sync("invoice", "in_0001")
    books.sync("credit_note", "cn_1")
    assert books.docs("CreditMemo") == []
    assert "CreditMemo:deleted" in books.links("cn_1")
    assert D(str(books.doc("Invoice", "in_0001")["Balance"])) == 0
    assert books.qbo.books.trial_balance() == 0


def test_a_second_note_applies_after_the_voided_one_is_undone(books: MemoryBooks) -> None:
    """A note of 80.00 voided, another of 80.00 issued: the second one's task gets there
    before the first one's and applies it only once the first is undone."""
    invoice = books.invoice("in_0001", 10_000, amount_remaining=2_000)
    first = pre_payment_note(books, "cn_1", invoice, 8_000, T0 + 120)
    books.sync("invoice", "in_0001")
    books.sync("credit_note", "cn_1")
    books.seed({**first, "status": "void", "voided_at": T0 + DAY})
    second = pre_payment_note(books, "cn_2", invoice, 8_000, T0 + DAY + 60)
    books.seed({**invoice, "amount_remaining": 2_000, "pre_payment_credit_notes_amount": 8_000})
    books.sync("credit_note", second["id"])
    books.sync("credit_note", "cn_1")
    assert D(str(books.doc("Invoice", "in_0001")["Balance"])) == D("20.00")
    assert books.doc("CreditMemo", "cn_1")["PrivateNote"].startswith("Voided")
    assert D(str(books.doc("CreditMemo", "cn_2")["TotalAmt"])) == D("80.00")
    assert books.qbo.books.trial_balance() == 0


def test_a_write_off_after_the_void_writes_off_what_stripe_says(books: MemoryBooks) -> None:
    """Voided, then uncollectible: the write-off of 100.00 needs the whole balance too."""
    invoice, _ = credited_then_voided(books)
    transitions = {**invoice["status_transitions"], "marked_uncollectible_at": T0 + 2 * DAY}
    books.seed(
        {
            **invoice,
            "status": "uncollectible",
            "amount_remaining": 10_000,
            "status_transitions": transitions,
        }
    )
    books.sync("invoice", "in_0001")
    books.sync("credit_note", "cn_1")
    assert D(str(books.doc("Invoice", "in_0001")["Balance"])) == 0
    assert books.balance("Bad Debt") == D("100.00")
    assert books.doc("CreditMemo", "cn_1")["PrivateNote"].startswith("Voided")
    assert books.qbo.books.trial_balance() == 0
