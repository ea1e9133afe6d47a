"""An invoice converged to Stripe's state: the QBO invoice, then everything that hangs off it
(its statement, the customer credit it used, its payments, its write-off or its void)."""

from __future__ import annotations

from shared.domain.cutover import Cutover, finalized_before
from shared.domain.stripe_models import StripeInvoice
from shared.ports import JsonDict
from shared.services.posting.customer_balance import apply_invoice_balance
from shared.services.posting.cutover import cutover_of, ensure_opening
from shared.services.posting.invoice_payments import post_payments, write_off
from shared.services.posting.invoices import (
    PostedInvoice,
    attach_statement_once,
    ensure_invoice,
    fetch_invoice_raw,
    void_in_qbo,
)
from shared.services.posting.work import SyncResult, Work


def reconcile_invoice(work: Work, invoice_id: str) -> SyncResult:
    raw, invoice = fetch_invoice_raw(work, invoice_id)
    if not invoice.is_accounting_document:
        return SyncResult("SKIPPED", "Invoice", reason="draft: not an accounting document yet")
    work.hold("invoice", invoice.id)
    cutover = cutover_of(work)
    if cutover is not None and finalized_before(invoice, cutover):
        return reconcile_before_cutover(work, raw, invoice, cutover)
    posted = ensure_invoice(work, invoice)
    attach_statement_once(work, raw, posted)
    if invoice.status == "void":  # what applies to it (credit it used included) is undone first
        void_in_qbo(work, invoice.id, "invoice", "Invoice", posted.ref.value)
        return SyncResult("COMPLETED", "Invoice", posted.ref.value, reason="voided")
    apply_invoice_balance(work, posted)
    post_payments(work, posted, raw)
    if invoice.status == "uncollectible":
        write_off(work, posted)
    return SyncResult("COMPLETED", "Invoice", posted.ref.value)


def reconcile_before_cutover(
    work: Work, raw: JsonDict, invoice: StripeInvoice, cutover: Cutover
) -> SyncResult:
    """An invoice finalized before the cutover: what it owed then is a line of its customer's
    opening balance; what settles it from the cutover on applies to that opening invoice."""
    if invoice.status == "void":
        return SyncResult("SKIPPED", "Invoice", reason="before the cutover, and void: owes nothing")
    opening = ensure_opening(work, invoice.customer, invoice.currency, cutover)
    if opening.invoice is None:
        return SyncResult("SKIPPED", "Invoice", reason="before the cutover: nothing owed then")
    terms = work.deps.references.terms(invoice.currency, cutover.opening_day)
    posted = PostedInvoice(invoice, opening.customer, opening.invoice, terms)
    post_payments(work, posted, raw, after=cutover)
    marked = invoice.status_transitions.marked_uncollectible_at
    if invoice.status == "uncollectible" and not cutover.before(marked):
        write_off(work, posted)
    return SyncResult(
        "COMPLETED", "Invoice", opening.invoice.value, reason="before the cutover: opening balance"
    )


def sync_invoice(work: Work) -> SyncResult:
    return reconcile_invoice(work, work.request.object_id)
