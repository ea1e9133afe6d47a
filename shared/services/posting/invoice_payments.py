"""An invoice's payments: one QBO Payment per Stripe invoice payment, deposited where the money
went (Stripe clearing, or Undeposited Funds for money that moved outside Stripe), the rest
Stripe says was paid out of band, and the write-off of an uncollectible invoice. Under the
rounding policy each applies what its place among the invoice's settlements says
(``settlements``), and a payment through Stripe gets a rounding entry when that differs from
what clearing holds of it.

A PaymentIntent that succeeded on its own and was attached to the invoice later
(``attach_payment``) may already be in the books as a SalesReceipt: money that ends on an invoice
is received once, so that receipt is voided when its payment is posted (see ``receipts``).
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache, partial

from shared.domain.cutover import Cutover
from shared.domain.mapping import CurrencyTerms, date_from_unix
from shared.domain.mapping_money import (
    qbo_credit_application,
    qbo_out_of_band_payment_from_invoice,
    qbo_payment_from_invoice_payment,
    qbo_write_off_from_invoice,
)
from shared.domain.mapping_rounding import RoundingAccounts, qbo_rounding_entry
from shared.domain.qbo_models import Ref
from shared.domain.stripe_payments import StripeInvoicePayment
from shared.ports import JsonDict
from shared.services.posting.autoapply import ensure_payment, release_auto_applications
from shared.services.posting.invoices import PostedInvoice
from shared.services.posting.receipts import reverse_receipt_once
from shared.services.posting.sales import invoice_parts, part_of
from shared.services.posting.settlements import (
    OUT_OF_BAND_REST,
    WRITE_OFF,
    invoice_payments,
    off_stripe,
    out_of_band_rest,
    paid,
    settlement_amounts,
)
from shared.services.posting.taxing import taxed
from shared.services.posting.voids import undo_voided_credit_notes
from shared.services.posting.work import Work
from shared.services.qbo_lookup import find_all


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
    # a payment applies what Stripe says is due: credit notes voided since are undone first
    # (once a run, and only if a payment is still to be created)
    first = cache(partial(undo_voided_credit_notes, work, invoice.id))
    for payment in paid(payments):
        if after is not None and after.before(payment.paid_at):
            continue
        elsewhere = off_stripe(payment)
        terms = deps.references.terms(
            invoice.currency, date_from_unix(payment.paid_at, deps.books.tz)
        )
        account = deps.references.account(
            "undeposited" if elsewhere else "clearing", invoice.currency
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
        qbo_id = ensure_payment(
            work, payment.id, "invoice_payment", "Payment", document, undo=undo, first=first
        )
        intent = payment.payment_intent
        if intent and work.done(intent, "Payment") is None:
            # The charge's own task learns from this that its invoice posted it (no lookup).
            work.record(intent, "payment_intent", "Payment", qbo_id)
        if not elsewhere:
            round_payment(work, payment, document.TotalAmt, account, terms)
            if not payment.is_default:
                reverse_receipt_once(work, payment, qbo_id)
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
        ensure_payment(work, invoice.id, "invoice", "Payment:oob", document, undo=undo, first=first)


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
    bad_debt_item = deps.references.item(deps.books.items.bad_debt, "bad_debt")
    parts = part_of(
        invoice_parts(work, invoice), invoice.amount_remaining, bad_debt_item,
        f"Written off: {invoice.number}", invoice.total,
    )  # fmt: skip
    memo = qbo_write_off_from_invoice(
        invoice,
        posted.customer,
        taxed(work, parts, posted.terms, total=applied),
        posted.terms,
        tz=deps.books.tz,
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
        first=partial(undo_voided_credit_notes, work, invoice.id),
    )
