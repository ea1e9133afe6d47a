"""Charges and refunds: an invoice's charge reconciles its invoice; any other is a sales receipt."""

from __future__ import annotations

from datetime import date
from functools import partial

from shared.domain.mapping import date_from_unix
from shared.domain.mapping_money import (
    qbo_refund_receipt_from_refund,
    qbo_sales_receipt_from_charge,
)
from shared.domain.mapping_reversals import qbo_sales_receipt_from_failed_refund
from shared.domain.qbo_models import QboCustomer, Ref
from shared.domain.sales_tax import Part
from shared.domain.stripe_payments import (
    StripeCharge,
    StripeCreditNote,
    StripeInvoicePayment,
    StripeRefund,
)
from shared.errors import NotFoundError
from shared.services.posting.customers import ensure_customer
from shared.services.posting.cutover import cutover_of
from shared.services.posting.invoice_sync import reconcile_invoice
from shared.services.posting.invoices import fetch_invoice
from shared.services.posting.receipts import void_receipt_of_charge
from shared.services.posting.sales import invoice_parts, no_tax_parts, note_parts, part_of
from shared.services.posting.taxing import taxed
from shared.services.posting.work import SyncResult, Work
from shared.services.qbo_lookup import find_all

GUEST_NAME = "Stripe guest customer"
REFUND_DONE = "succeeded"
REFUND_UNDONE = ("failed", "canceled")


def invoice_of_charge(work: Work, charge: StripeCharge) -> str | None:
    """The invoice a charge pays, through the invoice payment that names its PaymentIntent."""
    if not charge.payment_intent:
        return None
    found = work.deps.stripe.list_objects(
        "invoice_payment",
        {"payment": {"type": "payment_intent", "payment_intent": charge.payment_intent}},
    )
    return StripeInvoicePayment.model_validate(found[0]).invoice if found else None


def ensure_guest(work: Work, currency: str) -> Ref:
    """Charges without a Stripe customer are booked to one guest customer per currency."""
    terms = work.terms(currency)
    suffix = f" {currency.upper()}" if terms.foreign else ""
    name = GUEST_NAME + suffix
    document = QboCustomer(
        DisplayName=name,
        Notes="Stripe customer guest",
        CurrencyRef=Ref(value=currency.upper()) if terms.foreign else None,
    )
    return Ref(
        value=work.ensure(
            "guest",
            "customer",
            f"Customer:{currency.upper()}",
            "Customer",
            build=document.to_qbo,
            lookup=lambda: find_all(work.deps.qbo, "Customer", "DisplayName", name),
        )
    )


def customer_for(work: Work, customer_id: str | None, currency: str) -> Ref:
    if customer_id:
        return ensure_customer(work, customer_id, work.terms(currency))
    return ensure_guest(work, currency)


def refund_parts(work: Work, refund: StripeRefund) -> list[Part]:
    """What a refund gives back: a part of the credit note that names it, else of the invoice
    its charge paid, with its share of their tax; a refund of anything else carries no tax."""
    deps = work.deps
    item = deps.references.item(deps.books.items.refunds)
    description = f"Refund of {refund.charge}" if refund.charge else "Stripe refund"
    invoice_id = None
    if refund.charge:
        charge = StripeCharge.model_validate(deps.stripe.retrieve("charge", refund.charge))
        invoice_id = invoice_of_charge(work, charge)
    if invoice_id is None:
        day = date_from_unix(refund.created, deps.books.tz)
        return no_tax_parts(work, refund.amount, item, description, day)
    for raw in deps.stripe.list_objects("credit_note", {"invoice": invoice_id}):
        note = StripeCreditNote.model_validate(raw)
        if note.status != "void" and any(r.refund == refund.id for r in note.refunds):
            total = note.total if note.total is not None else note.amount
            return part_of(note_parts(work, note), refund.amount, item, description, total)
    invoice = fetch_invoice(work, invoice_id)
    return part_of(invoice_parts(work, invoice), refund.amount, item, description, invoice.total)


def post_refund(work: Work, refund: StripeRefund, customer_id: str | None) -> SyncResult:
    deps = work.deps
    cutover = cutover_of(work)
    if cutover is not None and cutover.before(refund.created):
        # clearing's opening balance holds it; money it gave back after the cutover is posted
        if refund.status in REFUND_UNDONE and not cutover.before(_returned_unix(work, refund)):
            reversal = reverse_refund(work, refund, customer_id)
            return SyncResult("COMPLETED", "SalesReceipt", reversal, reason="reversed")
        return SyncResult("SKIPPED", "RefundReceipt", reason="before the cutover")
    if refund.status in REFUND_UNDONE:
        if work.done(refund.id, "RefundReceipt") is None:
            return SyncResult("SKIPPED", "RefundReceipt", reason=f"refund {refund.status}")
        reversal = reverse_refund(work, refund, customer_id)
        return SyncResult(
            "COMPLETED", "SalesReceipt", reversal, reason=f"reversed: {refund.status}"
        )
    if refund.status != REFUND_DONE:
        return SyncResult("SKIPPED", "RefundReceipt", reason=f"refund {refund.status}")
    terms = deps.references.terms(refund.currency, date_from_unix(refund.created, deps.books.tz))
    customer = customer_for(work, refund.customer or customer_id, refund.currency)
    clearing = deps.references.account("clearing", refund.currency)
    form = taxed(work, refund_parts(work, refund), terms)
    document = qbo_refund_receipt_from_refund(
        refund, customer, form, clearing, terms, tz=deps.books.tz
    )
    qbo_id = work.ensure(
        refund.id,
        "refund",
        "RefundReceipt",
        "RefundReceipt",
        build=document.to_qbo,
        lookup=lambda: find_all(deps.qbo, "RefundReceipt", "DocNumber", document.DocNumber or ""),
    )
    return SyncResult("COMPLETED", "RefundReceipt", qbo_id)


def _returned_unix(work: Work, refund: StripeRefund) -> int:
    """When Stripe gave the refund back: its failure balance transaction's time."""
    when = refund.created
    if refund.failure_balance_transaction:
        try:
            raw = work.deps.stripe.retrieve(
                "balance_transaction", refund.failure_balance_transaction
            )
            when = max(int(raw.get("created") or 0), refund.created)
        except NotFoundError:
            pass
    return when


def _returned_on(work: Work, refund: StripeRefund) -> date:
    return date_from_unix(_returned_unix(work, refund), work.deps.books.tz)


def reverse_refund(work: Work, refund: StripeRefund, customer_id: str | None) -> str:
    """A refund receipt the API cannot void: a sales receipt reverses it, once."""
    deps = work.deps
    returned_on = _returned_on(work, refund)
    terms = deps.references.terms(refund.currency, returned_on)
    document = qbo_sales_receipt_from_failed_refund(
        refund,
        customer_for(work, refund.customer or customer_id, refund.currency),
        taxed(work, refund_parts(work, refund), terms),
        deps.references.account("clearing", refund.currency),
        terms,
        returned_on=returned_on,
    )
    return work.ensure(
        refund.id,
        "refund",
        "SalesReceipt:reversal",
        "SalesReceipt",
        build=document.to_qbo,
        lookup=lambda: find_all(deps.qbo, "SalesReceipt", "DocNumber", document.DocNumber or ""),
        doc_number=document.DocNumber,
    )


def post_refunds_of(work: Work, charge: StripeCharge) -> None:
    if charge.amount_refunded <= 0:
        return
    with work.reads_after_previous_run():  # a refund's failure may have been seen meanwhile
        refunds = work.deps.stripe.list_objects("refund", {"charge": charge.id})
    for raw in refunds:
        post_refund(work, StripeRefund.model_validate(raw), charge.customer)


def post_sales_receipt(work: Work, charge: StripeCharge) -> SyncResult:
    deps = work.deps
    work.hold("charge", charge.id)
    terms = deps.references.terms(charge.currency, date_from_unix(charge.created, deps.books.tz))
    customer = customer_for(work, charge.customer, charge.currency)
    description = charge.description or "Stripe charge"
    day = date_from_unix(charge.created, deps.books.tz)
    item = deps.references.default_item()
    document = qbo_sales_receipt_from_charge(
        charge,
        customer,
        taxed(work, no_tax_parts(work, charge.amount, item, description, day), terms),
        deps.references.account("clearing", charge.currency),
        terms,
        tz=deps.books.tz,
    )
    qbo_id = work.ensure(
        charge.id,
        "charge",
        "SalesReceipt",
        "SalesReceipt",
        build=document.to_qbo,
        lookup=lambda: find_all(deps.qbo, "SalesReceipt", "DocNumber", document.DocNumber or ""),
    )
    return SyncResult("COMPLETED", "SalesReceipt", qbo_id)


def sync_charge(work: Work) -> SyncResult:
    """A charge of an invoice reconciles the invoice; any other is a SalesReceipt, voided again
    if Stripe attached its PaymentIntent to an invoice meanwhile (see ``receipts``)."""
    charge = StripeCharge.model_validate(
        work.deps.stripe.retrieve("charge", work.request.object_id)
    )
    if charge.status != "succeeded":
        return SyncResult("SKIPPED", reason=f"charge {charge.status}")
    posted_with_invoice = None
    if charge.payment_intent and charge.amount_refunded <= 0:
        # nothing of its own to write: done if its invoice's sync posted it (one link read)
        work.deps.links.prime([charge.id, charge.payment_intent])
        posted_with_invoice = work.done(charge.payment_intent, "Payment")
    invoice_id = None if posted_with_invoice else invoice_of_charge(work, charge)
    if posted_with_invoice:
        result = SyncResult(
            "COMPLETED", "Payment", posted_with_invoice, reason="posted with its invoice"
        )
    elif invoice_id is not None:
        result = reconcile_invoice(work, invoice_id)
    elif (cutover := cutover_of(work)) is not None and cutover.before(charge.created):
        work.hold("charge", charge.id)
        result = SyncResult("SKIPPED", "SalesReceipt", reason="before the cutover")
    else:
        result = post_sales_receipt(work, charge)
        if invoice_of_charge(work, charge) is not None:
            # attached while we posted: the invoice's own sync (its invoice_payment.paid event)
            # posts the Payment; the receipt of the same money goes
            void_receipt_of_charge(work, charge.id)
            result = SyncResult(
                "COMPLETED", "SalesReceipt", result.qbo_entity_id, reason="voided: attached"
            )
    post_refunds_of(work, charge)
    return result


def sync_refund(work: Work) -> SyncResult:
    refund = fetch_refund(work, work.request.object_id)
    customer_id = refund.customer
    if refund.charge:
        # The refund belongs to its charge's family: the invoice it paid, else the charge.
        charge = StripeCharge.model_validate(work.deps.stripe.retrieve("charge", refund.charge))
        customer_id = customer_id or charge.customer
        invoice_id = invoice_of_charge(work, charge)
        work.hold(*(("invoice", invoice_id) if invoice_id else ("charge", charge.id)))
    else:
        work.hold("refund", refund.id)
    if refund.status == REFUND_DONE:  # read before the lease: its failure may have been seen
        refund = work.newest(refund, partial(fetch_refund, work, refund.id))
    return post_refund(work, refund, customer_id)


def fetch_refund(work: Work, refund_id: str) -> StripeRefund:
    return StripeRefund.model_validate(work.deps.stripe.retrieve("refund", refund_id))
