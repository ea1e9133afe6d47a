"""Events delivered out of order and more than once."""

from __future__ import annotations

from local_emulator.generator.sim import StripeSim
from local_emulator.scenarios.stories.registry import finalized_invoice, new_customer, scenario

PAYMENT_EVENTS = frozenset(
    {
        "charge.succeeded",
        "payment_intent.succeeded",
        "invoice_payment.paid",
        "invoice.paid",
        "invoice.payment_succeeded",
    }
)


@scenario
def payment_before_invoice(sim: StripeSim) -> None:
    """Payment events delivered before the invoice's own events (``created`` unchanged)."""
    invoice = finalized_invoice(sim, new_customer(sim))
    sim.pay(invoice, 2_000)
    sim.pay(invoice)
    payments = [x for x in sim.lines if x.get("type") in PAYMENT_EVENTS]
    rest = [x for x in sim.lines if x.get("type") not in PAYMENT_EVENTS]
    sim.lines[:] = payments + rest


@scenario
def events_reversed_and_repeated(sim: StripeSim) -> None:
    """A month in miniature delivered newest first, then every event again oldest first."""
    customer = new_customer(sim)
    paid = finalized_invoice(sim, customer)
    charge = sim.pay(paid)
    sim.credit_note(finalized_invoice(sim, customer), 500)
    sim.refund(charge, 1_000)
    sim.dispute(sim.charge(customer, "usd", 3_000), "lost")
    events = [x for x in sim.lines if x.get("object") == "event"]
    objects = [x for x in sim.lines if x.get("object") != "event"]
    sim.lines[:] = objects + events[::-1] + events
