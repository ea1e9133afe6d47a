"""Invoices: the QBO invoice of a finalized Stripe invoice, its void, its statement."""

from __future__ import annotations

from dataclasses import dataclass

from shared.domain.idempotency import doc_number_from_stripe_number
from shared.domain.mapping import (
    CurrencyTerms,
    date_from_unix,
    qbo_invoice_from_stripe_invoice,
)
from shared.domain.qbo_models import Ref
from shared.domain.stripe_models import StripeInvoice, invoice_from_api
from shared.ports import JsonDict
from shared.services.posting.autoapply import release_auto_applications
from shared.services.posting.customers import ensure_customer
from shared.services.posting.products import product_items
from shared.services.posting.sales import (
    department_of,
    invoice_parts,
    kept_in_qbo,
    tax_kept,
)
from shared.services.posting.taxing import taxed
from shared.services.posting.voids import void_in_qbo
from shared.services.posting.work import Work
from shared.services.qbo_lookup import find_all

__all__ = ["PostedInvoice", "ensure_invoice", "fetch_invoice", "void_in_qbo"]
# The invoice's payments come included, each with what it names expanded (a PaymentIntent with
# its latest charge, or a PaymentRecord): where its money went is known without a call more.
INVOICE_EXPANSIONS = (
    "payments",
    "payments.data.payment.payment_intent",
    "payments.data.payment.payment_record",
)


@dataclass(frozen=True)
class PostedInvoice:
    invoice: StripeInvoice
    customer: Ref
    ref: Ref
    terms: CurrencyTerms


def fetch_invoice_raw(work: Work, invoice_id: str) -> tuple[JsonDict, StripeInvoice]:
    """The invoice as Stripe has it now, with every line and its payments included, raw and as
    our model (one request unless it has more lines or payments than Stripe embeds)."""
    raw = work.deps.stripe.retrieve("invoice", invoice_id, expand=INVOICE_EXPANSIONS)
    embedded = raw.get("lines") or {}
    lines = embedded.get("data", []) if isinstance(embedded, dict) else []
    if not isinstance(embedded, dict) or embedded.get("has_more"):
        lines = work.deps.stripe.list_invoice_lines(invoice_id)
    return raw, invoice_from_api(raw, lines)


def fetch_invoice(work: Work, invoice_id: str) -> StripeInvoice:
    return fetch_invoice_raw(work, invoice_id)[1]


def ensure_invoice(work: Work, invoice: StripeInvoice) -> PostedInvoice:
    """The QBO invoice for a finalized Stripe invoice (drafts never get here)."""
    finalized = invoice.status_transitions.finalized_at or invoice.created
    terms = work.deps.references.terms(
        invoice.currency, date_from_unix(finalized, work.deps.books.tz)
    )
    customer = ensure_customer(work, invoice.customer, terms)
    linked = work.done(invoice.id, "Invoice")
    if linked is not None and tax_kept(work, invoice.id, "Invoice"):
        release_auto_applications(work, invoice.id, "invoice", "Invoice", linked)
        return PostedInvoice(invoice, customer, Ref(value=linked), terms)
    products = product_items(work, {line.product_id for line in invoice.lines if line.product_id})
    form = taxed(work, invoice_parts(work, invoice, products), terms)
    document = qbo_invoice_from_stripe_invoice(
        invoice,
        customer,
        form,
        terms,
        tz=work.deps.books.tz,
        department=department_of(work, invoice),
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
        detail=products.detail,
    )
    kept_in_qbo(work, invoice.id, "invoice", "Invoice", qbo_id, form=form)
    release_auto_applications(work, invoice.id, "invoice", "Invoice", qbo_id)
    return PostedInvoice(invoice, customer, Ref(value=qbo_id), terms)


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
