"""Which Stripe events start a sync, and of which object."""

from __future__ import annotations

from typing import Any

from shared.domain.stripe_models import StripeEvent, ref_id

# Every event of these types triggers a sync of the object it names; the worker re-reads that
# object from Stripe, so which of the types arrives first does not matter. invoice.created is
# left out on purpose: a draft is not an accounting document.
HANDLED_EVENT_TYPES: dict[str, str] = {
    "customer.created": "customer",
    "customer.updated": "customer",
    "invoice.finalized": "invoice",
    "invoice.updated": "invoice",
    "invoice.paid": "invoice",
    "invoice.payment_succeeded": "invoice",
    "invoice.voided": "invoice",
    "invoice.marked_uncollectible": "invoice",
}


def sync_target_from_event(event: StripeEvent) -> tuple[str, str] | None:
    """(object type, object id) the event asks us to sync, or None for events we only archive."""
    object_type = HANDLED_EVENT_TYPES.get(event.type)
    if object_type is None:
        return None
    obj: dict[str, Any] = event.object
    if event.object_type == object_type:
        object_id = event.object_id
    else:
        object_id = ref_id(obj.get(object_type))
    return (object_type, object_id) if object_id else None
