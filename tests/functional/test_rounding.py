"""Three-decimal currencies under the rounding policy (shared.domain.rounding), service level:
QBO's books stay self-consistent (a settled invoice has balance 0, every payout leaves clearing
exact), whether the fake refuses or rounds finer amounts, and reconcile agrees under the rule."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from local_emulator.generator import objects as o
from shared.services.reconcile import Reconcile
from tests.functional.memory_books import T0, MemoryBooks, paid_by_intent

D = Decimal
DAY = 86_400


def paid_in_two(books: MemoryBooks) -> None:
    """KWD 34.162 paid as 11.387 + 22.775: rounded one by one, 11.39 + 22.78 = 34.17 > 34.16."""
    invoice = books.invoice("in_0001", 34_162, currency="kwd")
    books.seed(
        {**invoice, "status": "paid", "amount_paid": 34_162, "amount_remaining": 0},
        *(
            obj
            for n, amount in ((1, 11_387), (2, 22_775))
            for obj in paid_by_intent(
                f"inpay_{n}",
                invoice_id="in_0001",
                amount=amount,
                currency="kwd",
                pi_id=f"pi_{n}",
                charge_id=f"ch_{n}",
                paid_at=T0 + 100 * n,
            )
        ),
    )
    books.sync("invoice", "in_0001")


def amounts(books: MemoryBooks, entity: str) -> dict[str, Decimal]:
    return {str(d["PrivateNote"]): D(str(d["TotalAmt"])) for d in books.docs(entity)}


def clearing(books: MemoryBooks) -> Decimal:
    (account,) = [a for a in books.docs("Account") if a["Name"] == "Stripe Clearing KWD"]
    return D(str(account["CurrentBalance"]))


@pytest.mark.parametrize("qbo_rounds", [False, True], ids=["qbo_refuses", "qbo_rounds"])
def test_an_invoice_paid_in_parts_is_settled_to_zero(qbo_rounds: bool) -> None:
    books = MemoryBooks()
    books.qbo.books.round_amounts = qbo_rounds  # undocumented either way: same books
    books.customer()
    paid_in_two(books)
    invoice = books.doc("Invoice", "in_0001")
    assert D(str(invoice["TotalAmt"])) == D("34.16") and D(str(invoice["Balance"])) == 0
    assert amounts(books, "Payment") == {
        "Stripe invoice_payment inpay_1 (ch_1)": D("11.39"),
        "Stripe invoice_payment inpay_2 (ch_2)": D("22.77"),  # 34.16 - 11.39
    }
    # clearing holds each payment at its own rounded amount: 11.39 + 22.78
    assert amounts(books, "JournalEntry") == {"Stripe payment_rounding inpay_2": D("0.01")}
    assert clearing(books) == D("34.17")
    assert books.qbo.books.trial_balance() == 0


def test_a_credit_note_and_a_payment_settle_to_zero(books: MemoryBooks) -> None:
    invoice = books.invoice("in_0002", 10_005, currency="kwd")  # 10.00 in QBO (half-even)
    note = o.credit_note(
        "cn_1",
        invoice=invoice,
        number="ACME-CN-1",
        amount=3_335,  # 3.34
        created=T0 + 120,
        kind="pre_payment",
        reason="order_change",
        memo=None,
    )
    payment = paid_by_intent(
        "inpay_3",
        invoice_id="in_0002",
        amount=6_670,  # 6.67 on its own; settles 10.00 - 3.34 = 6.66
        currency="kwd",
        pi_id="pi_3",
        charge_id="ch_3",
        paid_at=T0 + 300,
    )
    books.seed(note, {**invoice, "amount_remaining": 6_670})
    books.sync("credit_note", "cn_1")
    qbo_invoice = books.doc("Invoice", "in_0002")
    assert D(str(qbo_invoice["Balance"])) == D("6.66")
    books.seed(*payment, {**invoice, "status": "paid", "amount_paid": 6_670, "amount_remaining": 0})
    books.sync("invoice", "in_0002")
    assert D(str(books.doc("Invoice", "in_0002")["Balance"])) == 0
    memo = books.doc("CreditMemo", "cn_1")
    assert D(str(memo["TotalAmt"])) == D("3.34") and D(str(memo["RemainingCredit"])) == 0
    assert clearing(books) == D("6.67")
    assert books.qbo.books.trial_balance() == 0


def _txn(txn_id: str, txn_type: str, amount: int, fee: int, source: str) -> dict[str, Any]:
    return {
        **o.balance_transaction(
            txn_id,
            amount=amount,
            fee=fee,
            currency="kwd",
            created=T0 + 500,
            source=source,
            txn_type=txn_type,
            category=txn_type,
            description=txn_type,
            fee_description="Stripe processing fees",
        ),
        "payout": "po_1",
    }


def test_a_payout_leaves_clearing_exact(books: MemoryBooks) -> None:
    paid_in_two(books)
    txns = [
        _txn("txn_1", "charge", 11_387, 347, "ch_1"),
        _txn("txn_2", "charge", 22_775, 687, "ch_2"),
    ]
    amount = sum(t["amount"] - t["fee"] for t in txns)  # 33.128: 33.13 in QBO
    own = {**_txn("txn_po", "payout", -amount, 0, "po_1")}
    books.seed(
        *txns,
        own,
        {
            "id": "po_1",
            "object": "payout",
            "amount": amount,
            "currency": "kwd",
            "arrival_date": T0 + 3 * DAY,
            "created": T0 + DAY,
            "status": "paid",
            "automatic": True,
            "reconciliation_status": "completed",
            "balance_transaction": "txn_po",
            "failure_balance_transaction": None,
        },
    )
    books.sync("payout", "po_1")
    (deposit,) = books.docs("Deposit")
    assert D(str(deposit["TotalAmt"])) == D("33.13")
    # 11.39 + 22.78 in, fees 1.03 (1.034) and the deposit out: 0.01 left, moved to rounding
    assert amounts(books, "JournalEntry")["Stripe payout_rounding po_1"] == D("0.01")
    assert clearing(books) == 0
    (check,) = books.warehouse.query("SELECT status FROM payout_reconciliations_current")
    assert check["status"] == "BALANCED"
    assert books.qbo.books.trial_balance() == 0


def test_reconcile_compares_open_invoices_under_the_rule(books: MemoryBooks) -> None:
    invoice = books.invoice("in_0004", 20_005, currency="kwd")  # 20.00 in QBO
    books.seed(
        {**invoice, "amount_paid": 5_001, "amount_remaining": 15_004},
        *paid_by_intent(
            "inpay_4",
            invoice_id="in_0004",
            amount=5_001,  # 5.00
            currency="kwd",
            pi_id="pi_4",
            charge_id="ch_4",
            paid_at=T0 + 100,
        ),
    )
    books.sync("invoice", "in_0004")
    assert D(str(books.doc("Invoice", "in_0004")["Balance"])) == D("15.00")  # 20.00 - R(5.001)
    report = Reconcile(books.stripe_gateway, books.qbo_gateway, books.warehouse, books.clock).run(
        since=datetime(2025, 12, 1, tzinfo=UTC)
    )
    assert report.findings == []
    (row,) = books.warehouse.query("SELECT stripe_open, qbo_open FROM ar_balances")
    assert row["stripe_open"] == row["qbo_open"] == D("15.00")
