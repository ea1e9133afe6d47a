"""Credit notes and disputes: credits against invoices, and funds a dispute takes or returns."""

from __future__ import annotations

from functools import partial

from shared.domain.cutover import finalized_before
from shared.domain.mapping import date_from_unix
from shared.domain.mapping_money import (
    DisputeAccounts,
    qbo_credit_application,
    qbo_credit_memo_from_credit_note,
    qbo_journal_entry_from_dispute_txn,
    qbo_refund_receipt_from_off_stripe_refunds,
)
from shared.domain.qbo_models import Ref
from shared.domain.stripe_payments import StripeCreditNote, StripeDispute
from shared.errors import MappingGapError
from shared.services.posting.autoapply import ensure_payment, release_auto_applications
from shared.services.posting.cutover import cutover_of, ensure_opening
from shared.services.posting.invoices import ensure_invoice, fetch_invoice
from shared.services.posting.sales import kept_in_qbo, note_parts, part_of
from shared.services.posting.settlements import invoice_payments, settlement_amounts
from shared.services.posting.taxing import taxed
from shared.services.posting.voids import undo_voided_credit_notes, void_credit_memo
from shared.services.posting.work import SyncResult, Work
from shared.services.qbo_lookup import find_all


def post_off_stripe_refunds(work: Work, note: StripeCreditNote, customer: Ref) -> None:
    """What the note paid back outside Stripe leaves Undeposited Funds, in one RefundReceipt."""
    if note.refunded_off_stripe <= 0:
        return
    deps = work.deps
    terms = deps.references.terms(note.currency, date_from_unix(note.created, deps.books.tz))
    item = deps.references.item(deps.books.items.refunds)
    parts = part_of(
        note_parts(work, note), note.refunded_off_stripe, item,
        f"Refunded outside Stripe: {note.number}", _note_total(note),
    )  # fmt: skip
    form = taxed(work, parts, terms)
    document = qbo_refund_receipt_from_off_stripe_refunds(
        note,
        customer,
        form,
        deps.references.account("undeposited", note.currency),
        terms,
        tz=deps.books.tz,
    )
    work.ensure(
        note.id,
        "credit_note",
        "RefundReceipt:off_stripe",
        "RefundReceipt",
        build=document.to_qbo,
        lookup=lambda: find_all(deps.qbo, "RefundReceipt", "DocNumber", document.DocNumber or ""),
    )


def _note_total(note: StripeCreditNote) -> int:
    return note.total if note.total is not None else note.amount


def post_credit_note(work: Work, note: StripeCreditNote) -> SyncResult:
    """The note's CreditMemo (before payment: applied to the invoice; after payment: the part
    credited to the customer's balance), and what it paid back outside Stripe."""
    deps = work.deps
    note = _held(work, note)
    if note.status == "void":
        return undo_credit_note(work, note, "voided")
    before, kept = note.applied_before_payment, note.credited_to_balance
    cutover = cutover_of(work)
    if cutover is not None and cutover.before(note.effective_at or note.created):
        if kept > 0:  # the customer's credit at the cutover: its opening credit memo
            ensure_opening(work, note.customer, note.currency, cutover)
        return SyncResult("SKIPPED", "CreditMemo", reason="before the cutover: opening balance")
    if before <= 0 and kept <= 0 and note.refunded_off_stripe <= 0:
        return SyncResult("SKIPPED", "CreditMemo", reason="refunded in full: the refund posts")
    invoice = fetch_invoice(work, note.invoice)
    if invoice.status == "void" and kept <= 0 and note.refunded_off_stripe <= 0:
        # it only reduced an invoice that is void now: QBO voids that invoice whole
        return undo_credit_note(work, note, "its invoice is void")
    terms = deps.references.terms(note.currency, date_from_unix(note.created, deps.books.tz))
    settles = None
    if cutover is not None and finalized_before(invoice, cutover):
        # its invoice is a line of the opening balance: the credit applies to that
        opening = ensure_opening(work, invoice.customer, invoice.currency, cutover)
        customer, invoice_ref = opening.customer, opening.invoice
        if invoice_ref is None and before > 0:
            raise MappingGapError(
                f"credit note {note.id}: its invoice owed nothing at the cutover", code="cutover"
            )
    else:
        posted = ensure_invoice(work, invoice)
        customer, invoice_ref = posted.customer, posted.ref
        # what it settles of the invoice, when QBO cannot hold the amount exactly (``rounding``)
        settles = settlement_amounts(work, invoice, invoice_payments(work, invoice)).get(note.id)
    post_off_stripe_refunds(work, note, customer)
    if before <= 0 and kept <= 0:
        return SyncResult("COMPLETED", "RefundReceipt", reason="refunded outside Stripe")
    whole = note_parts(work, note)
    if before > 0:
        parts = whole
    else:
        item = deps.references.default_item()
        parts = part_of(whole, kept, item, "Credit to the customer's balance", _note_total(note))
    form = taxed(work, parts, terms, total=settles if before == note.amount else None)
    document = qbo_credit_memo_from_credit_note(note, customer, form, terms, tz=deps.books.tz)
    memo_id = work.ensure(
        note.id,
        "credit_note",
        "CreditMemo",
        "CreditMemo",
        build=document.to_qbo,
        lookup=lambda: find_all(deps.qbo, "CreditMemo", "DocNumber", document.DocNumber or ""),
    )
    kept_in_qbo(work, note.id, "credit_note", "CreditMemo", memo_id, form=form)
    release_auto_applications(work, note.id, "credit_note", "CreditMemo", memo_id)
    if before > 0 and invoice_ref is not None:
        application = qbo_credit_application(
            "credit_application",
            note.id,
            customer=customer,
            invoice=invoice_ref,
            credit_memo=Ref(value=memo_id),
            amount=before,
            terms=terms,
            txn_date_unix=note.effective_at or note.created,
            tz=deps.books.tz,
            applied=settles,
        )
        undo = partial(
            release_auto_applications,
            work, note.id, "credit_note", "CreditMemo", memo_id, again=True,
        )  # fmt: skip
        # another note of the invoice voided since (its own task may come later) is undone first
        first = partial(undo_voided_credit_notes, work, note.invoice)
        ensure_payment(
            work, note.id, "credit_note", "Payment:credit", application, undo=undo, first=first
        )
    return SyncResult("COMPLETED", "CreditMemo", memo_id)


def undo_credit_note(work: Work, note: StripeCreditNote, why: str) -> SyncResult:
    """Its credit memo, if posted, undone: what applies it voided, the memo zeroed."""
    memo = work.done(note.id, "CreditMemo")
    if memo is None:
        return SyncResult("SKIPPED", "CreditMemo", reason=f"{why}: nothing was posted")
    void_credit_memo(work, note.id, "credit_note", memo)
    return SyncResult("COMPLETED", "CreditMemo", memo, reason=why)


def _held(work: Work, note: StripeCreditNote) -> StripeCreditNote:
    """The note, its invoice's lease taken; read again if it could still be voided and the
    family's previous run ended after it was read (that run may have found it void)."""
    work.hold("invoice", note.invoice)
    if note.status == "void":
        return note
    return work.newest(note, partial(fetch_credit_note, work, note.id))


def fetch_credit_note(work: Work, note_id: str) -> StripeCreditNote:
    return StripeCreditNote.model_validate(work.deps.stripe.retrieve("credit_note", note_id))


def sync_credit_note(work: Work) -> SyncResult:
    return post_credit_note(work, fetch_credit_note(work, work.request.object_id))


def sync_dispute(work: Work) -> SyncResult:
    """A journal entry per balance transaction of the dispute: withdrawal, then reinstatement."""
    deps = work.deps
    dispute = StripeDispute.model_validate(deps.stripe.retrieve("dispute", work.request.object_id))
    work.hold("dispute", dispute.id)
    if not dispute.balance_transactions:
        return SyncResult("SKIPPED", "JournalEntry", reason="no funds moved yet")
    posted: list[str] = []
    cutover = cutover_of(work)
    for txn in dispute.balance_transactions:
        if cutover is not None and cutover.before(txn.created):
            continue  # clearing's opening balance holds what it moved
        terms = deps.references.terms(txn.currency, date_from_unix(txn.created, deps.books.tz))
        accounts = DisputeAccounts(
            clearing=deps.references.account("clearing", txn.currency),
            disputes=deps.references.account("disputes"),
            fees=deps.references.account("fees"),
        )
        entry = qbo_journal_entry_from_dispute_txn(
            txn, dispute, accounts, None, terms, tz=deps.books.tz
        )
        posted.append(
            work.ensure(
                txn.id,
                "balance_transaction",
                "JournalEntry",
                "JournalEntry",
                build=entry.to_qbo,
                lookup=partial(
                    find_all, deps.qbo, "JournalEntry", "DocNumber", entry.DocNumber or ""
                ),
            )
        )
    if not posted:
        return SyncResult("SKIPPED", "JournalEntry", reason="before the cutover: opening balance")
    return SyncResult("COMPLETED", "JournalEntry", posted[-1], reason=f"dispute {dispute.status}")
