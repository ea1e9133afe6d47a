"""Invoices: the QBO invoice, then everything that hangs off it, converged to Stripe's state."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import partial

from shared.domain.cutover import Cutover, finalized_before
from shared.domain.idempotency import doc_number_from_stripe_number
from shared.domain.mapping import (
    CurrencyTerms,
    date_from_unix,
    qbo_invoice_from_stripe_invoice,
)
from shared.domain.mapping_money import (
    qbo_credit_application,
    qbo_out_of_band_payment_from_invoice,
    qbo_payment_from_invoice_payment,
    qbo_write_off_from_invoice,
)
from shared.domain.mapping_rounding import RoundingAccounts, qbo_rounding_entry
from shared.domain.names import ITEM_NAME_MAX, name_with_id
from shared.domain.qbo_models import QboItem, Ref
from shared.domain.stripe_models import StripeInvoice, invoice_from_api
from shared.domain.stripe_payments import StripeInvoicePayment, StripeProduct
from shared.ports import JsonDict
from shared.services.existing_books import Wanted
from shared.services.posting.autoapply import ensure_payment, release_auto_applications
from shared.services.posting.customers import ensure_customer
from shared.services.posting.cutover import cutover_of, ensure_opening
from shared.services.posting.matching import adopt_existing
from shared.services.posting.settlements import (
    OUT_OF_BAND_REST,
    WRITE_OFF,
    invoice_payments,
    is_out_of_band,
    out_of_band_rest,
    paid,
    settlement_amounts,
)
from shared.services.posting.voids import void_in_qbo
from shared.services.posting.work import SyncResult, Work
from shared.services.qbo_lookup import find_all

__all__ = ["ensure_invoice", "fetch_invoice", "reconcile_invoice", "sync_invoice", "void_in_qbo"]


@dataclass(frozen=True)
class PostedInvoice:
    invoice: StripeInvoice
    customer: Ref
    ref: Ref
    terms: CurrencyTerms


def fetch_invoice_raw(work: Work, invoice_id: str) -> tuple[JsonDict, StripeInvoice]:
    """The invoice as Stripe has it now, with every line and its payments included, raw and as
    our model (one request unless it has more lines or payments than Stripe embeds)."""
    raw = work.deps.stripe.retrieve("invoice", invoice_id, expand=("payments",))
    embedded = raw.get("lines") or {}
    lines = embedded.get("data", []) if isinstance(embedded, dict) else []
    if not isinstance(embedded, dict) or embedded.get("has_more"):
        lines = work.deps.stripe.list_invoice_lines(invoice_id)
    return raw, invoice_from_api(raw, lines)


def fetch_invoice(work: Work, invoice_id: str) -> StripeInvoice:
    return fetch_invoice_raw(work, invoice_id)[1]


def ensure_product_item(work: Work, product_id: str) -> Ref:
    """A Stripe product as a QBO item, created on first use and linked like any object."""
    linked = work.done(product_id, "Item")
    if linked is not None:
        return Ref(value=linked)
    product = StripeProduct.model_validate(work.deps.stripe.retrieve("product", product_id))
    wanted = Wanted(product.id, name=product.name)
    existing = adopt_existing(work, product.id, "product", "Item", lambda b: b.item(wanted))
    if existing is not None:
        return Ref(value=existing)
    name = name_with_id(product.name, f" [{product.id}]", ITEM_NAME_MAX)
    references = work.deps.references
    item = QboItem(
        Name=name,
        IncomeAccountRef=references.account("income"),
        Description=f"Stripe product {product.id}",
    )
    return Ref(
        value=work.ensure(
            product.id,
            "product",
            "Item",
            "Item",
            build=item.to_qbo,
            lookup=lambda: find_all(work.deps.qbo, "Item", "Name", name),
        )
    )


def ensure_invoice(work: Work, invoice: StripeInvoice) -> PostedInvoice:
    """The QBO invoice for a finalized Stripe invoice (drafts never get here)."""
    finalized = invoice.status_transitions.finalized_at or invoice.created
    terms = work.deps.references.terms(
        invoice.currency, date_from_unix(finalized, work.deps.books.tz)
    )
    customer = ensure_customer(work, invoice.customer, terms)
    linked = work.done(invoice.id, "Invoice")
    if linked is not None:
        release_auto_applications(work, invoice.id, "invoice", "Invoice", linked)
        return PostedInvoice(invoice, customer, Ref(value=linked), terms)
    items = {
        pid: ensure_product_item(work, pid)
        for pid in {line.product_id for line in invoice.lines}
        if pid
    }
    document = qbo_invoice_from_stripe_invoice(
        invoice, customer, work.deps.references.sales_refs(items), terms, tz=work.deps.books.tz
    )
    doc_number = document.DocNumber or doc_number_from_stripe_number(invoice.id)
    qbo_id = work.ensure(
        invoice.id,
        "invoice",
        "Invoice",
        "Invoice",
        build=document.to_qbo,
        lookup=lambda: find_all(work.deps.qbo, "Invoice", "DocNumber", doc_number),
        doc_number=doc_number,
    )
    release_auto_applications(work, invoice.id, "invoice", "Invoice", qbo_id)
    return PostedInvoice(invoice, customer, Ref(value=qbo_id), terms)


def post_payments(
    work: Work,
    posted: PostedInvoice,
    raw_invoice: JsonDict | None = None,
    *,
    after: Cutover | None = None,
) -> None:
    """A QBO payment per Stripe payment; what Stripe says was paid outside it, to Undeposited.
    ``after``: only what was paid from the cutover on (the rest is in the opening balance)."""
    invoice, deps = posted.invoice, work.deps
    payments = invoice_payments(work, invoice, raw_invoice)
    if not payments and invoice.amount_paid <= 0:
        return
    # the links of every payment and its payment intent, in one read
    ids = [p.id for p in payments] + [p.payment_intent for p in payments if p.payment_intent]
    deps.links.prime([i for i in ids if i])
    # against an opening balance each settles its own amount (``rounding``: see the README)
    settled = settlement_amounts(work, invoice, payments) if after is None else {}
    undo = partial(
        release_auto_applications,
        work, invoice.id, "invoice", "Invoice", posted.ref.value, again=True,
    )  # fmt: skip
    for payment in paid(payments):
        if after is not None and after.before(payment.paid_at):
            continue
        out_of_band = is_out_of_band(payment)
        terms = deps.references.terms(
            invoice.currency, date_from_unix(payment.paid_at, deps.books.tz)
        )
        account = deps.references.account(
            "undeposited" if out_of_band else "clearing", invoice.currency
        )
        document = qbo_payment_from_invoice_payment(
            payment,
            posted.ref,
            posted.customer,
            account,
            terms,
            tz=deps.books.tz,
            applied=settled.get(payment.id),
        )
        qbo_id = ensure_payment(work, payment.id, "invoice_payment", "Payment", document, undo=undo)
        intent = payment.payment_intent
        if intent and work.done(intent, "Payment") is None:
            # The charge's own task learns from this that its invoice posted it (no lookup).
            work.record(intent, "payment_intent", "Payment", qbo_id)
        if not out_of_band:
            round_payment(work, payment, document.TotalAmt, account, terms)
    remainder = out_of_band_rest(invoice, payments)
    if after is not None and after.before(invoice.status_transitions.paid_at or invoice.created):
        remainder = 0
    if remainder > 0:
        document = qbo_out_of_band_payment_from_invoice(
            invoice,
            remainder,
            invoice_ref=posted.ref,
            customer=posted.customer,
            undeposited=deps.references.account("undeposited", invoice.currency),
            terms=posted.terms,
            tz=deps.books.tz,
            applied=settled.get(OUT_OF_BAND_REST),
        )
        ensure_payment(work, invoice.id, "invoice", "Payment:oob", document, undo=undo)


def round_payment(
    work: Work,
    payment: StripeInvoicePayment,
    applied: Decimal,
    clearing: Ref,
    terms: CurrencyTerms,
) -> None:
    """Clearing holds each payment at its own amount, rounded; when the payment settles the
    invoice by a cent more or less (``rounding`` rule 2), an entry moves that cent."""
    residual = applied - terms.amount(payment.amount_paid or 0)
    if not residual:
        return
    accounts = RoundingAccounts(clearing, work.deps.references.account("rounding"))
    on = date_from_unix(payment.paid_at, work.deps.books.tz)
    entry = qbo_rounding_entry(payment.id, "payment", residual, accounts, terms, on=on)
    work.ensure(
        payment.id,
        "invoice_payment",
        "JournalEntry:rounding",
        "JournalEntry",
        build=entry.to_qbo,
        lookup=partial(find_all, work.deps.qbo, "JournalEntry", "DocNumber", entry.DocNumber or ""),
        doc_number=entry.DocNumber,
    )


def write_off(work: Work, posted: PostedInvoice) -> None:
    """An uncollectible invoice's remainder goes to bad debt and is applied to the invoice."""
    invoice, deps = posted.invoice, work.deps
    if invoice.amount_remaining <= 0:
        return
    applied = settlement_amounts(work, invoice, invoice_payments(work, invoice)).get(WRITE_OFF)
    bad_debt_item = deps.references.item(deps.books.bad_debt_item_name, "bad_debt")
    memo = qbo_write_off_from_invoice(
        invoice, posted.customer, bad_debt_item, posted.terms, tz=deps.books.tz, applied=applied
    )
    memo_id = work.ensure(
        invoice.id,
        "invoice",
        "CreditMemo:writeoff",
        "CreditMemo",
        build=memo.to_qbo,
        lookup=lambda: find_all(deps.qbo, "CreditMemo", "DocNumber", memo.DocNumber or ""),
        doc_number=memo.DocNumber,
    )
    release = partial(
        release_auto_applications,
        work, invoice.id, "invoice", "CreditMemo", memo_id, role="CreditMemo:writeoff",
    )  # fmt: skip
    release()
    when = invoice.status_transitions.marked_uncollectible_at or invoice.created
    application = qbo_credit_application(
        "credit_application",
        invoice.id,
        customer=posted.customer,
        invoice=posted.ref,
        credit_memo=Ref(value=memo_id),
        amount=invoice.amount_remaining,
        terms=posted.terms,
        txn_date_unix=when,
        tz=deps.books.tz,
        applied=applied,
    )
    ensure_payment(
        work,
        invoice.id,
        "invoice",
        "Payment:writeoff",
        application,
        undo=partial(release, again=True),
    )


def attach_statement_once(work: Work, raw: JsonDict, posted: PostedInvoice) -> None:
    """A settlement's statement PDF goes onto its QBO invoice, once."""
    attach = work.deps.attach_statement
    metadata = raw.get("metadata") or {}
    if attach is None or not metadata.get("settlement_id"):
        return
    if work.done(posted.invoice.id, "Attachable") is not None:
        return
    attachable_id = attach(raw, posted.ref.value)
    if attachable_id is not None:
        work.record(posted.invoice.id, "invoice", "Attachable", attachable_id)


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
    if invoice.status == "void":
        void_in_qbo(work, invoice.id, "invoice", "Invoice", posted.ref.value)
        return SyncResult("COMPLETED", "Invoice", posted.ref.value, reason="voided")
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


def sync_product(work: Work) -> SyncResult:
    """A product as its QBO item (a backfill lists products; invoices create theirs on use)."""
    work.hold("product", work.request.object_id)
    return SyncResult("COMPLETED", "Item", ensure_product_item(work, work.request.object_id).value)


def sync_invoice(work: Work) -> SyncResult:
    return reconcile_invoice(work, work.request.object_id)
