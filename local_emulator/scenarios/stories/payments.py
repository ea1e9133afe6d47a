"""Payments attached to invoices late and payments recorded outside Stripe."""

from __future__ import annotations

from local_emulator.generator.sim import DAY, StripeSim
from local_emulator.scenarios.stories.registry import finalized_invoice, new_customer, scenario


@scenario
def payment_attached_late(sim: StripeSim) -> None:
    """A PaymentIntent paid on its own, attached to the invoice two days later; rest by card."""
    customer = new_customer(sim)
    invoice = finalized_invoice(sim, customer)
    intent = sim.standalone_payment(customer, "usd", 3_000)
    sim.at(sim.now + 2 * DAY)
    sim.attach(invoice, intent)
    sim.pay(invoice)


@scenario
def payment_attached_then_confirmed(sim: StripeSim) -> None:
    """Stripe's documented order: attached first, confirmed later; pays the whole invoice."""
    customer = new_customer(sim)
    invoice = finalized_invoice(sim, customer)
    sim.attach_then_pay(invoice, int(sim.get(invoice)["amount_remaining"]))


@scenario
def payment_attached_events_reversed(sim: StripeSim) -> None:
    """A late-attached payment whose events arrive newest first, then again oldest first."""
    customer = new_customer(sim)
    invoice = finalized_invoice(sim, customer)
    intent = sim.standalone_payment(customer, "usd", int(sim.get(invoice)["amount_remaining"]))
    sim.at(sim.now + DAY)
    sim.attach(invoice, intent)
    events = [x for x in sim.lines if x.get("object") == "event"]
    objects = [x for x in sim.lines if x.get("object") != "event"]
    sim.lines[:] = objects + events[::-1] + events


@scenario
def payment_record(sim: StripeSim) -> None:
    """One invoice paid by a recorded bank transfer; another part by card, rest recorded."""
    customer = new_customer(sim)
    first = finalized_invoice(sim, customer)
    sim.record_payment(first, int(sim.get(first)["amount_remaining"]), "WIRE-0001")
    second = finalized_invoice(sim, customer)
    sim.pay(second, 4_000)
    sim.record_payment(second, int(sim.get(second)["amount_remaining"]), "WIRE-0002")


@scenario
def payment_record_refund(sim: StripeSim) -> None:
    """Paid by a recorded transfer; a credit note refunds part outside Stripe, credits the rest."""
    customer = new_customer(sim)
    invoice = finalized_invoice(sim, customer)
    sim.record_payment(invoice, int(sim.get(invoice)["amount_remaining"]), "WIRE-0003")
    sim.at(sim.now + 3 * DAY)
    sim.credit_note(invoice, 3_000, refund=2_000, reason="order_change")
