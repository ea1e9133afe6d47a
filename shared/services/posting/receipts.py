"""SalesReceipts of charges that later turned out to pay an invoice.

Stripe's partial-payment flow lets a PaymentIntent succeed on its own and be attached to an
invoice afterwards (``POST /v1/invoices/{id}/attach_payment``). Synced before the attachment, its
charge became a SalesReceipt; once attached, the invoice's Payment receives that money, so the
receipt is voided (QBO keeps a voided SalesReceipt at zero; its marker stays in the memo).

Both sides look, so every order of events and every interleaving of the two tasks ends with
one receipt of the money: the invoice task looks for a receipt after posting the Payment (by the
link, else in QBO by DocNumber), and the charge task looks at Stripe again after posting a
receipt. Whichever runs last sees the other's work.

A charge from before the cutover (``Settings.cutover_date``) has no receipt: the opening balance
holds its money in clearing, as received on its own. A journal entry takes it out of clearing
again, against Opening Balance Equity (``JournalEntry:opening_receipt``), as voiding its receipt
would.
"""

from __future__ import annotations

from functools import partial

from shared.domain.cutover import OPENING_RECEIPT, qbo_opening_receipt_reversal
from shared.domain.idempotency import doc_number_from_stripe_number
from shared.domain.mapping import carries_marker, date_from_unix, marker
from shared.domain.stripe_models import ref_id
from shared.domain.stripe_payments import StripeCharge, StripeInvoicePayment
from shared.errors import NotFoundError
from shared.services.posting.cutover import cutover_of
from shared.services.posting.voids import void_in_qbo
from shared.services.posting.work import Work
from shared.services.qbo_lookup import entity_id, find_all

RECEIPT = "SalesReceipt"
# On the invoice payment, pointing at its QBO Payment: its charge's receipt was looked for (a
# role named after the entity it points at, as every link's is)
CHECKED = "Payment:receipt_checked"


def void_receipt_of_charge(work: Work, charge_id: str) -> str | None:
    """Void the charge's SalesReceipt if there is one; its QBO id, or None."""
    receipt = work.done(charge_id, RECEIPT)
    if receipt is None:
        number = doc_number_from_stripe_number(charge_id)
        ours = marker("charge", charge_id)  # only a receipt we wrote for this charge
        found = [
            doc
            for doc in find_all(work.deps.qbo, RECEIPT, "DocNumber", number)
            if carries_marker(doc, ours)
        ]
        receipt = entity_id(found[0]) if found else None
    if receipt is not None:
        void_in_qbo(work, charge_id, "charge", RECEIPT, receipt)
    return receipt


def reverse_receipt_once(work: Work, payment: StripeInvoicePayment, payment_qbo_id: str) -> None:
    """After an invoice payment is in the books, its charge's earlier receipt is voided (once)."""
    if work.done(payment.id, CHECKED) is not None:
        return
    charge_id = payment.charge
    if charge_id is None and payment.payment_intent:  # the list did not expand it
        try:
            intent = work.deps.stripe.retrieve("payment_intent", payment.payment_intent)
        except NotFoundError:  # no PaymentIntent, no charge of its own: nothing was receipted
            intent = {}
        charge_id = ref_id(intent.get("latest_charge"))
    if charge_id:
        with work.holding("charge", charge_id):  # the receipt is the charge's family
            if not reverse_opening_receipt(work, charge_id, payment):
                void_receipt_of_charge(work, charge_id)
    work.record(payment.id, "invoice_payment", CHECKED, payment_qbo_id)


def reverse_opening_receipt(work: Work, charge_id: str, payment: StripeInvoicePayment) -> bool:
    """A charge from before the cutover: its money taken out of clearing again (once), where
    the opening balance holds it; False for any other charge (its receipt, if any, is voided)."""
    cutover = cutover_of(work)
    if cutover is None:
        return False
    deps = work.deps
    charge = StripeCharge.model_validate(deps.stripe.retrieve("charge", charge_id))
    if not cutover.before(charge.created):
        return False
    day = date_from_unix(payment.paid_at, deps.books.tz)
    refs = deps.references
    entry = qbo_opening_receipt_reversal(
        charge.id,
        charge.amount,
        refs.account("clearing", charge.currency),
        refs.account("opening"),
        refs.terms(charge.currency, day),
        day=day,
    )
    number = entry.DocNumber or ""
    work.ensure(
        charge.id,
        "charge",
        OPENING_RECEIPT,
        "JournalEntry",
        build=entry.to_qbo,
        lookup=partial(find_all, deps.qbo, "JournalEntry", "DocNumber", number),
        doc_number=number,
    )
    return True
