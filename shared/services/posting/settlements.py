"""What settles an invoice, and how much of it each settlement applies in QBO.

For a currency QBO holds exactly, each settlement applies its own amount. For a three-decimal
one, the amounts follow ``shared.domain.rounding`` rule 2: cumulative in Stripe's order, so a
settled invoice's QBO balance is exactly 0. That needs every settlement of the invoice, so it
costs one more Stripe list (its credit notes), and only for those currencies.
"""

from __future__ import annotations

from decimal import Decimal

from shared.domain.rounding import books_settlements, rounds
from shared.domain.stripe_models import StripeInvoice
from shared.domain.stripe_payments import (
    StripeCreditNote,
    StripeInvoicePayment,
    StripePaymentRecord,
)
from shared.ports import JsonDict
from shared.services.posting.work import Work

PAYMENT_RECORD = "payment_record"
# the list expands what each payment names, so deciding where its money went costs no call more
PAYMENT_EXPANSIONS = ["data.payment.payment_intent", "data.payment.payment_record"]
BALANCE = "balance"  # settlement key of the customer credit the invoice used at finalization
OUT_OF_BAND_REST = "out_of_band"  # settlement key of what Stripe says was paid outside it
WRITE_OFF = "write_off"  # settlement key of an uncollectible invoice's remainder


def invoice_payments(
    work: Work, invoice: StripeInvoice, raw_invoice: JsonDict | None = None
) -> list[StripeInvoicePayment]:
    """The invoice's payments as Stripe has them now: those the invoice included, or (more than
    it embeds) the whole list; none asked for when nothing is paid."""
    if invoice.amount_paid <= 0:
        return []
    included = (raw_invoice or {}).get("payments")
    if isinstance(included, dict) and not included.get("has_more"):
        raws = list(included.get("data") or [])
    else:
        raws = work.deps.stripe.list_objects(
            "invoice_payment", {"invoice": invoice.id, "expand": PAYMENT_EXPANSIONS}
        )
    return [StripeInvoicePayment.model_validate(raw) for raw in raws]


def paid(payments: list[StripeInvoicePayment]) -> list[StripeInvoicePayment]:
    return [p for p in payments if p.status == "paid" and p.amount_paid]


def off_stripe(payment: StripeInvoicePayment) -> bool:
    """Money that never passed through Stripe: a PaymentRecord not reported by Stripe itself."""
    if payment.payment_type != PAYMENT_RECORD:
        return False
    record = payment.payment.get(PAYMENT_RECORD)
    if isinstance(record, dict):
        return StripePaymentRecord.model_validate(record).off_stripe
    return True  # not expanded: a payment record is an off-Stripe payment unless Stripe says


def out_of_band_rest(invoice: StripeInvoice, payments: list[StripeInvoicePayment]) -> int:
    """What Stripe says was paid that no invoice payment accounts for: paid outside Stripe."""
    return invoice.amount_paid - sum(p.amount_paid or 0 for p in paid(payments))


def settlement_amounts(
    work: Work, invoice: StripeInvoice, payments: list[StripeInvoicePayment]
) -> dict[str, Decimal]:
    """Settlement key (BALANCE, a payment's or credit note's id, OUT_OF_BAND_REST, WRITE_OFF)
    -> what it applies to the QBO invoice; empty for a currency QBO holds exactly."""
    if not rounds(invoice.currency):
        return {}
    schedule: list[tuple[int, int, str, int]] = []  # (when, order on ties, key, minor units)
    for raw in work.deps.stripe.list_objects("credit_note", {"invoice": invoice.id}):
        note = StripeCreditNote.model_validate(raw)
        if note.status != "void" and note.applied_before_payment > 0:
            when = note.effective_at or note.created
            schedule.append((when, 0, note.id, note.applied_before_payment))
    for payment in paid(payments):
        schedule.append((payment.paid_at, 1, payment.id, payment.amount_paid or 0))
    rest = out_of_band_rest(invoice, payments)
    transitions = invoice.status_transitions
    if rest > 0:
        schedule.append((transitions.paid_at or invoice.created, 2, OUT_OF_BAND_REST, rest))
    if invoice.status == "uncollectible" and invoice.amount_remaining > 0:
        when = transitions.marked_uncollectible_at or invoice.created
        schedule.append((when, 3, WRITE_OFF, invoice.amount_remaining))
    schedule.sort()
    if invoice.balance_applied > 0:  # the customer's credit, taken at finalization: first
        schedule.insert(0, (invoice.created, -1, BALANCE, invoice.balance_applied))
    applied = books_settlements([minor for *_, minor in schedule], invoice.currency)
    return {key: amount for (_, _, key, _), amount in zip(schedule, applied, strict=True)}
