"""Which events start a sync of which object."""

from local_emulator.generator.stripe_objects import customer_object, event_object
from shared.domain.routing import sync_target_from_event
from shared.domain.stripe_models import StripeEvent


def event(event_type: str, obj: dict[str, object]) -> StripeEvent:
    return StripeEvent.model_validate(event_object("evt_1", event_type, 0, obj))


def test_customer_and_invoice_events_name_their_object() -> None:
    assert sync_target_from_event(
        event("customer.created", customer_object("cus_1", name="A", created=0))
    ) == ("customer", "cus_1")
    invoice = {"id": "in_1", "object": "invoice", "customer": "cus_1"}
    for kind in ("invoice.finalized", "invoice.paid", "invoice.voided"):
        assert sync_target_from_event(event(kind, invoice)) == ("invoice", "in_1")


def test_drafts_and_unknown_types_are_only_archived() -> None:
    invoice = {"id": "in_1", "object": "invoice", "customer": "cus_1"}
    assert sync_target_from_event(event("invoice.created", invoice)) is None
    assert (
        sync_target_from_event(event("plan.created", {"id": "price_1", "object": "plan"})) is None
    )
