"""The cutover's figures and documents (pure): what an invoice owed at the cutover, a customer's
credit, what clearing held, and the opening documents QBO gets."""

from __future__ import annotations

from datetime import UTC, date
from decimal import Decimal
from typing import Any

from shared.domain.cutover import (
    Cutover,
    OpenInvoice,
    clearing_at_cutover,
    credit_at_cutover,
    credit_from_balance_at_cutover,
    open_at_cutover,
    qbo_opening_entry_from_clearing,
    qbo_opening_invoice_from_open_invoices,
)
from shared.domain.idempotency import DOC_NUMBER_MAX
from shared.domain.mapping import CurrencyTerms
from shared.domain.qbo_models import Ref
from shared.domain.stripe_customer_balance import StripeCustomerBalanceTransaction
from shared.domain.stripe_models import StripeInvoice
from shared.domain.stripe_payments import (
    StripeBalanceTransaction,
    StripeCreditNote,
    StripeInvoicePayment,
)

CUTOVER = Cutover(date(2026, 1, 12), UTC)
T = CUTOVER.moment  # 2026-01-12T00:00:00Z
DAY = 86_400


def invoice(**fields: Any) -> StripeInvoice:
    base: dict[str, Any] = {
        "id": "in_1", "customer": "cus_1", "number": "A-1", "status": "open", "currency": "usd",
        "created": T - 9 * DAY, "subtotal": 10_000, "total": 10_000, "amount_due": 10_000,
        "amount_paid": 0, "amount_remaining": 10_000, "lines": [],
        "status_transitions": {"finalized_at": T - 8 * DAY},
    }  # fmt: skip
    return StripeInvoice.model_validate({**base, **fields})


def payment(pid: str, amount: int, paid_at: int) -> StripeInvoicePayment:
    return StripeInvoicePayment.model_validate(
        {"id": pid, "invoice": "in_1", "amount_paid": amount, "currency": "usd", "status": "paid",
         "status_transitions": {"paid_at": paid_at}}
    )  # fmt: skip


def note(nid: str, kind: str, amount: int, created: int, **fields: Any) -> StripeCreditNote:
    return StripeCreditNote.model_validate(
        {"id": nid, "invoice": "in_1", "customer": "cus_1", "currency": "usd", "type": kind,
         "status": "issued", "amount": amount, "created": created, **fields}
    )  # fmt: skip


def test_the_cutover_is_the_start_of_its_day_in_the_books_time_zone() -> None:
    assert T == 1_768_176_000 and CUTOVER.before(T - 1) and not CUTOVER.before(T)
    assert CUTOVER.opening_day == date(2026, 1, 11)


def test_an_invoice_owes_its_amount_due_less_what_was_paid_before_the_cutover() -> None:
    paid = invoice(amount_paid=7_000, amount_remaining=3_000, status="open")
    payments = [payment("inpay_1", 4_000, T - DAY), payment("inpay_2", 3_000, T + DAY)]
    assert open_at_cutover(paid, payments, [], CUTOVER) == 6_000
    # finalized on or after the cutover: posted in full, not in the opening balance
    later = invoice(status_transitions={"finalized_at": T})
    assert open_at_cutover(later, [], [], CUTOVER) == 0


def test_out_of_band_counts_by_the_invoice_paid_at() -> None:
    oob = invoice(status="paid", amount_paid=10_000, amount_remaining=0, paid_out_of_band=True)
    early = oob.model_copy(update={"status_transitions": oob.status_transitions.model_copy(
        update={"paid_at": T - DAY})})  # fmt: skip
    late = oob.model_copy(update={"status_transitions": oob.status_transitions.model_copy(
        update={"paid_at": T + DAY})})  # fmt: skip
    assert open_at_cutover(early, [], [], CUTOVER) == 0
    assert open_at_cutover(late, [], [], CUTOVER) == 10_000


def test_credit_notes_after_the_cutover_are_added_back_and_void_ones_never_count() -> None:
    credited = invoice(amount_due=7_000, amount_remaining=7_000)
    notes = [
        note("cn_1", "pre_payment", 2_000, T - DAY),  # in amount_due at the cutover already
        note("cn_2", "pre_payment", 1_000, T + DAY),  # posted after, against the opening
        note("cn_3", "pre_payment", 500, T - DAY, status="void"),  # void now: never counted
    ]
    assert open_at_cutover(credited, [], notes, CUTOVER) == 8_000


def test_void_and_written_off_invoices_owe_nothing() -> None:
    assert open_at_cutover(invoice(status="void"), [], [], CUTOVER) == 0
    written = {"finalized_at": T - 8 * DAY, "marked_uncollectible_at": T - DAY}
    assert open_at_cutover(invoice(status="uncollectible", status_transitions=written), [], [],
                           CUTOVER) == 0  # fmt: skip
    later = {"finalized_at": T - 8 * DAY, "marked_uncollectible_at": T + DAY}
    assert open_at_cutover(invoice(status="uncollectible", status_transitions=later), [], [],
                           CUTOVER) == 10_000  # fmt: skip


def test_a_customer_credit_is_what_notes_before_the_cutover_left_on_its_balance() -> None:
    notes = [
        note("cn_1", "post_payment", 3_000, T - DAY, post_payment_amount=3_000,
             refunds=[{"amount_refunded": 1_000}]),
        note("cn_2", "post_payment", 900, T + DAY, post_payment_amount=900),
        note("cn_3", "post_payment", 400, T - DAY, post_payment_amount=400, status="void"),
    ]  # fmt: skip
    assert credit_at_cutover(notes, CUTOVER) == 2_000


def test_with_balance_transactions_the_credit_is_the_balance_read_back_to_the_cutover() -> None:
    """The customer's balance then, in its currency (its ending balance before the cutover),
    with what an invoice void now had used back; no balance transactions: None (the notes)."""

    def bt(tid: str, amount: int, kind: str, created: int, **fields: Any) -> Any:
        return StripeCustomerBalanceTransaction.model_validate(
            {"id": tid, "amount": amount, "currency": "usd", "customer": "cus_1", "type": kind,
             "created": created, **fields}
        )  # fmt: skip

    txns = [
        bt("cbtxn_4", -1_500, "unapplied_from_invoice", T + DAY, invoice="in_1"),
        bt("cbtxn_3", 700, "applied_to_invoice", T - DAY, invoice="in_2"),
        bt("cbtxn_2", 1_500, "applied_to_invoice", T - 2 * DAY, invoice="in_1"),
        bt("cbtxn_1", -4_000, "adjustment", T - 3 * DAY),
    ]
    assert credit_from_balance_at_cutover(txns, "usd", CUTOVER) == 4_000 - 700
    assert credit_from_balance_at_cutover(txns[1:], "usd", CUTOVER) == 4_000 - 700 - 1_500
    assert credit_from_balance_at_cutover(txns, "eur", CUTOVER) is None


def txn(tid: str, kind: str, amount: int, fee: int, created: int, **extra: Any) -> Any:
    return StripeBalanceTransaction.model_validate(
        {"id": tid, "type": kind, "amount": amount, "fee": fee, "net": amount - fee,
         "currency": "usd", "created": created, **extra}
    )  # fmt: skip


def test_clearing_holds_what_was_booked_and_not_paid_out_before_the_cutover() -> None:
    txns = [
        txn("txn_1", "charge", 10_000, 320, T - 5 * DAY),  # paid out before: nothing
        txn("txn_2", "charge", 5_000, 175, T - 2 * DAY),  # gross (its fee comes with its payout)
        txn("txn_3", "refund", -1_000, 0, T - DAY),  # at its amount
        txn("txn_4", "adjustment", -2_000, 1_500, T - DAY, source="du_1"),  # dispute: net
        txn("txn_5", "stripe_fee", -300, 0, T - DAY),  # Stripe's fee: at the payout
        txn("txn_6", "charge", 8_000, 262, T - 3 * DAY),  # failed payout before: net
        txn("txn_7", "charge", 9_999, 300, T),  # after the cutover: posted in full
    ]
    held = clearing_at_cutover(txns, {"txn_1"}, {"txn_6"}, CUTOVER)
    assert held == 5_000 - 1_000 - 3_500 + 7_738


def test_the_opening_documents() -> None:
    terms = CurrencyTerms("eur", "usd", Decimal("1.08"))
    lines = [OpenInvoice("in_2", "B-2", 1_250), OpenInvoice("in_1", None, 99)]
    doc = qbo_opening_invoice_from_open_invoices(
        "cus_NffrFeUfNV2Hib", lines, Ref(value="58"), Ref(value="7"), terms, cutover=CUTOVER
    ).to_qbo()
    assert doc["TxnDate"] == "2026-01-11" and doc["CurrencyRef"] == {"value": "EUR"}
    assert [line["Amount"] for line in doc["Line"]] == [Decimal("0.99"), Decimal("12.50")]
    assert "in_1" in doc["Line"][0]["Description"] and "B-2" in doc["Line"][1]["Description"]
    assert len(doc["DocNumber"]) <= DOC_NUMBER_MAX
    assert doc["PrivateNote"].startswith("Stripe opening_balance cus_NffrFeUfNV2Hib")
    entry = qbo_opening_entry_from_clearing(
        -4_200, Ref(value="90"), Ref(value="30"), CurrencyTerms("usd", "usd"), CUTOVER
    ).to_qbo()
    sides = {line["JournalEntryLineDetail"]["AccountRef"]["value"]:
             line["JournalEntryLineDetail"]["PostingType"] for line in entry["Line"]}  # fmt: skip
    assert sides == {"90": "Credit", "30": "Debit"}  # a negative balance credits clearing
    assert {line["Amount"] for line in entry["Line"]} == {Decimal("42.00")}
