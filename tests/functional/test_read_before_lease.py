"""A run reads Stripe before it takes its family's lease; the family's previous run may end in
between, having acted on a newer state. The lease says when that run ended; a run whose copy
may be older reads again what it would post, where a newer state undoes it and the undoing run
finds nothing to undo when nothing was posted (Work.reads_after_previous_run).

The cases that need it: a credit note's task reads the note (issued) and waits for the invoice's
lease; meanwhile Stripe voids the note, its own task finds nothing posted (SKIPPED), and the
invoice is paid in full and posted. Acting on its old copy, the first task would post the memo
and apply it to an invoice with no balance left (QBO 6000: FAILED, and wrong books). A refund's
task reads it succeeded while it fails and its own task finds nothing to reverse: the old copy
would post a RefundReceipt for money that never left.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from local_emulator.fakes.stripe.gateway import InMemoryStripeGateway
from local_emulator.fakes.stripe.state import FakeStripe
from local_emulator.generator import objects as o
from shared.adapters.local_leases import InMemoryLeaseStore
from tests.functional.memory_books import T0, MemoryBooks
from tests.functional.test_credit_note_voided_then_paid import paid_in_full, pre_payment_note

D = Decimal
DAY = 86_400


class OthersRunAfterRead(InMemoryStripeGateway):
    """The StripeGateway port: the first read of ``object_id`` answers, then ``meanwhile`` runs
    (other tasks, to the end) before the reader goes on: its copy predates their work."""

    def __init__(self, fake: FakeStripe, object_id: str, meanwhile: Callable[[], None]) -> None:
        super().__init__(fake)
        self.object_id = object_id
        self.meanwhile: Callable[[], None] | None = meanwhile
        self.reads: list[str] = []

    def retrieve(
        self, object_type: str, object_id: str, expand: Sequence[str] = ()
    ) -> dict[str, Any]:
        answer = super().retrieve(object_type, object_id, expand)
        if object_id == self.object_id:
            self.reads.append(str(answer["status"]))
            hook, self.meanwhile = self.meanwhile, None
            if hook is not None:
                hook()
        return answer


def test_a_note_read_issued_while_others_voided_and_settled_it_is_not_posted(
    books: MemoryBooks,
) -> None:
    books.deps.leases = InMemoryLeaseStore(books.clock)
    invoice = books.invoice("in_0001", 10_000, amount_remaining=7_000)
    note = pre_payment_note(books, "cn_1", invoice, 3_000, T0 + 120)
    books.sync("invoice", "in_0001")

    def meanwhile() -> None:
        books.seed({**note, "status": "void", "voided_at": T0 + DAY})
        books.sync("credit_note", "cn_1")  # the void's task: nothing posted yet
        paid_in_full(books, invoice)
        books.sync("invoice", "in_0001")  # the payment of 100.00

    gateway = OthersRunAfterRead(books.stripe, "cn_1", meanwhile)
    books.deps.stripe = gateway
    result = books.sync("credit_note", "cn_1")  # asserts not FAILED

    assert gateway.reads == ["issued", "void", "void"]  # read, the void's task, read again
    assert (result.outcome, result.reason) == ("SKIPPED", "voided: nothing was posted")
    assert books.docs("CreditMemo") == []
    assert D(str(books.doc("Invoice", "in_0001")["Balance"])) == 0
    assert books.qbo.books.trial_balance() == 0


def test_a_run_whose_reads_follow_the_previous_run_does_not_read_again(
    books: MemoryBooks,
) -> None:
    """Runs one after another: each read after the previous run ended; one read each."""
    books.deps.leases = InMemoryLeaseStore(books.clock)
    invoice = books.invoice("in_0001", 10_000, amount_remaining=7_000)
    pre_payment_note(books, "cn_1", invoice, 3_000, T0 + 120)
    gateway = OthersRunAfterRead(books.stripe, "cn_1", lambda: None)
    books.deps.stripe = gateway
    books.sync("invoice", "in_0001")
    books.sync("credit_note", "cn_1")
    books.sync("credit_note", "cn_1")
    assert gateway.reads == ["issued", "issued"]
    assert D(str(books.doc("Invoice", "in_0001")["Balance"])) == D("70.00")


def test_a_refund_read_succeeded_while_others_saw_it_fail_is_not_posted(
    books: MemoryBooks,
) -> None:
    books.deps.leases = InMemoryLeaseStore(books.clock)
    charge = o.charge(
        "ch_1", amount=4_900, currency="usd", customer_id="cus_A", pi_id="pi_1", created=T0,
        description="Day pass", succeeded=True, balance_transaction="txn_1",
    )  # fmt: skip
    refund = o.refund(
        "re_1", charge_id="ch_1", pi_id="pi_1", amount=4_900, currency="usd",
        created=T0 + 3_600, status="succeeded", balance_transaction="txn_2",
    )  # fmt: skip
    books.seed(charge)
    books.sync("charge", "ch_1")
    books.seed({**charge, "amount_refunded": 4_900, "refunded": True}, refund)
    failure = o.balance_transaction(
        "txn_3", amount=4_900, fee=0, currency="usd", created=T0 + 86_400, source="re_1",
        txn_type="refund_failure", category="refund_failure", description="REFUND FAILURE",
        fee_description="",
    )  # fmt: skip

    def meanwhile() -> None:
        books.seed(failure, {**refund, "status": "failed", "failure_balance_transaction": "txn_3"})
        books.sync("refund", "re_1")  # the failure's task: nothing posted to reverse

    gateway = OthersRunAfterRead(books.stripe, "re_1", meanwhile)
    books.deps.stripe = gateway
    result = books.sync("refund", "re_1")

    assert gateway.reads == ["succeeded", "failed", "failed"]
    assert (result.outcome, result.reason) == ("SKIPPED", "refund failed")
    assert books.docs("RefundReceipt") == []
    assert books.balance("Stripe Clearing") == D("49.00")  # the sale's money, still at Stripe
    assert books.qbo.books.trial_balance() == 0
