"""Which Stripe events start a sync, and of which object."""

from __future__ import annotations

from shared.domain.stripe_models import StripeEvent, ref_id

# Event type -> (object type to sync, the field of the event's object that names it; None: the
# object itself). The worker re-reads that object from Stripe, so which event arrives first does
# not matter. invoice.created is left out on purpose: a draft is not an accounting document.
HANDLED_EVENT_TYPES: dict[str, tuple[str, str | None]] = {
    "customer.created": ("customer", None),
    "customer.updated": ("customer", None),
    "invoice.finalized": ("invoice", None),
    "invoice.updated": ("invoice", None),
    "invoice.paid": ("invoice", None),
    "invoice.payment_succeeded": ("invoice", None),
    "invoice.voided": ("invoice", None),
    "invoice.marked_uncollectible": ("invoice", None),
    "invoice_payment.paid": ("invoice", "invoice"),
    "charge.succeeded": ("charge", None),
    "charge.captured": ("charge", None),
    "charge.updated": ("charge", None),
    "charge.refunded": ("charge", None),
    "payment_intent.succeeded": ("charge", "latest_charge"),
    "refund.created": ("refund", None),
    "refund.updated": ("refund", None),
    "refund.failed": ("refund", None),
    "credit_note.created": ("credit_note", None),
    "credit_note.updated": ("credit_note", None),
    "credit_note.voided": ("credit_note", None),
    "charge.dispute.created": ("dispute", None),
    "charge.dispute.updated": ("dispute", None),
    "charge.dispute.funds_withdrawn": ("dispute", None),
    "charge.dispute.funds_reinstated": ("dispute", None),
    "charge.dispute.closed": ("dispute", None),
    "payout.paid": ("payout", None),
    "payout.reconciliation_completed": ("payout", None),
    "payout.failed": ("payout", None),
    "payout.canceled": ("payout", None),
}


def synced_object_types() -> tuple[str, ...]:
    """Every object type a sync task can name (what replay's type filter accepts)."""
    return tuple(sorted({object_type for object_type, _ in HANDLED_EVENT_TYPES.values()}))


def sync_target_from_event(event: StripeEvent) -> tuple[str, str] | None:
    """(object type, object id) the event asks us to sync, or None for events we only archive."""
    rule = HANDLED_EVENT_TYPES.get(event.type)
    if rule is None:
        return None
    object_type, field = rule
    object_id = event.object_id if field is None else ref_id(event.object.get(field))
    return (object_type, object_id) if object_id else None
