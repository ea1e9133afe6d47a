"""QBO's "Automatically apply credits" on: QBO applies credits by itself when an invoice or a
credit memo is created; the sync undoes that and applies credits as Stripe did (service level)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from local_emulator.generator import objects as o
from tests.functional.memory_books import T0, MemoryBooks, paid_by_intent

D = Decimal


def note(books: MemoryBooks, invoice: dict[str, Any], note_id: str, amount: int, kind: str) -> None:
    books.seed(
        o.credit_note(
            note_id,
            invoice=invoice,
            number=f"ACME-{note_id}",
            amount=amount,
            created=T0 + 500,
            kind=kind,
            reason="order_change",
            memo=None,
        )
    )


def balance(books: MemoryBooks, invoice_id: str) -> Decimal:
    return D(str(books.doc("Invoice", invoice_id)["Balance"]))


def on(books: MemoryBooks) -> None:
    books.qbo.books.auto_apply_credit = True


def test_a_credit_note_is_applied_to_its_own_invoice_not_the_oldest(books: MemoryBooks) -> None:
    on(books)
    books.invoice("in_0001", 10_000)
    books.sync("invoice", "in_0001")  # the customer's oldest open invoice
    second = books.invoice("in_0002", 8_000, amount_remaining=5_000)
    note(books, second, "cn_1", 3_000, "pre_payment")
    books.sync("invoice", "in_0002")
    books.sync("credit_note", "cn_1")  # QBO applies it to in_0001 by itself; the sync undoes that
    assert balance(books, "in_0001") == D("100.00")
    assert balance(books, "in_0002") == D("50.00")
    (application,) = books.docs("Payment")  # QBO's own is gone, ours applies it
    assert application["PrivateNote"].startswith("Stripe credit_application cn_1")
    assert D(str(books.doc("CreditMemo", "cn_1")["RemainingCredit"])) == 0
    assert books.qbo.books.trial_balance() == 0


def test_a_credit_kept_for_the_customer_stays_a_credit(books: MemoryBooks) -> None:
    on(books)
    books.invoice("in_0003", 10_000)
    books.sync("invoice", "in_0003")
    paid = books.invoice("in_0004", 4_000, status="paid", amount_paid=4_000, amount_remaining=0)
    books.seed(
        *paid_by_intent(
            "inpay_4",
            invoice_id="in_0004",
            amount=4_000,
            currency="usd",
            pi_id="pi_4",
            charge_id="ch_4",
            paid_at=T0 + 200,
        )
    )
    note(books, paid, "cn_2", 1_500, "post_payment")  # credited to the customer's balance
    books.sync("invoice", "in_0004")
    books.sync("credit_note", "cn_2")
    assert balance(books, "in_0003") == D("100.00")
    memo = books.doc("CreditMemo", "cn_2")
    assert D(str(memo["RemainingCredit"])) == D("15.00")
    books.invoice("in_0005", 2_000)
    books.sync("invoice", "in_0005")  # created: QBO applies the open credit to it; undone
    assert balance(books, "in_0005") == D("20.00")
    assert D(str(books.doc("CreditMemo", "cn_2")["RemainingCredit"])) == D("15.00")
    assert all(p["PrivateNote"].startswith("Stripe ") for p in books.docs("Payment"))
    assert "Payment:" in " ".join(books.links("in_0005"))  # the undo is on record


def test_the_setting_is_read_once(books: MemoryBooks) -> None:
    for n in range(3):
        books.invoice(f"in_001{n}", 1_000)
        books.sync("invoice", f"in_001{n}")
    assert books.qbo_gateway.calls.get("preferences") == 1


def test_a_credit_qbo_applied_elsewhere_meanwhile_is_taken_back(books: MemoryBooks) -> None:
    """Between the memo's creation and its application, another invoice of the customer is
    created (another worker, or a person): QBO applies the memo there; ours is refused (6000),
    so the sync takes the credit back and applies it again."""
    on(books)
    gateway = books.qbo_gateway
    created = gateway.create

    def create_with_interference(entity: str, document: dict[str, Any], request_id: str) -> Any:
        note_text = str(document.get("PrivateNote") or "")
        if entity == "Payment" and note_text.startswith("Stripe credit_application"):
            other = {
                **books.doc("Invoice", "in_0021"),
                "Line": books.doc("Invoice", "in_0021")["Line"][:1],
            }
            body = {k: other[k] for k in ("CustomerRef", "Line")}
            books.qbo.create("Invoice", body)  # QBO applies the open memo to it at once
            gateway.create = created  # type: ignore[method-assign]
        return created(entity, document, request_id)

    gateway.create = create_with_interference  # type: ignore[method-assign]
    invoice = books.invoice("in_0021", 8_000, amount_remaining=5_000)
    note(books, invoice, "cn_3", 3_000, "pre_payment")
    books.sync("invoice", "in_0021")
    books.sync("credit_note", "cn_3")
    assert balance(books, "in_0021") == D("50.00")
    assert D(str(books.doc("CreditMemo", "cn_3")["RemainingCredit"])) == 0
    others = [d for d in books.docs("Invoice") if "in_0021" not in str(d.get("PrivateNote"))]
    assert [D(str(d["Balance"])) for d in others] == [D("80.00")]
