"""Credit notes before and after payment, voided, and refunds after them."""

from __future__ import annotations

from local_emulator.generator.invoices import LineSpec
from local_emulator.generator.sim import DAY, StripeSim
from local_emulator.scenarios.stories.registry import finalized_invoice, new_customer, scenario


@scenario
def credit_note_pre_payment(sim: StripeSim) -> None:
    invoice = finalized_invoice(sim, new_customer(sim))
    sim.credit_note(invoice, 1_900)
    sim.at(sim.now + DAY)
    sim.pay(invoice)


@scenario
def credit_note_pre_payment_full(sim: StripeSim) -> None:
    invoice = finalized_invoice(sim, new_customer(sim))
    sim.credit_note(invoice, int(sim.get(invoice)["amount_remaining"]), reason="duplicate")


@scenario
def credit_note_post_payment_refund(sim: StripeSim) -> None:
    invoice = finalized_invoice(sim, new_customer(sim))
    sim.pay(invoice)
    sim.at(sim.now + 3 * DAY)
    sim.credit_note(invoice, 2_000, refund=2_000, reason="product_unsatisfactory")


@scenario
def credit_note_post_payment_balance(sim: StripeSim) -> None:
    invoice = finalized_invoice(sim, new_customer(sim))
    sim.pay(invoice)
    sim.at(sim.now + 3 * DAY)
    sim.credit_note(invoice, 2_000)


@scenario
def credit_note_post_payment_mixed(sim: StripeSim) -> None:
    invoice = finalized_invoice(sim, new_customer(sim))
    sim.pay(invoice, 5_000)
    sim.pay(invoice)
    sim.at(sim.now + 3 * DAY)
    sim.credit_note(invoice, 7_000, refund=6_000)  # refunds across both charges


@scenario
def credit_note_voided_pre_payment(sim: StripeSim) -> None:
    invoice = finalized_invoice(sim, new_customer(sim))
    note = sim.credit_note(invoice, 1_000)
    sim.at(sim.now + DAY)
    sim.void_credit_note(note)


@scenario
def credit_note_voided_post_payment(sim: StripeSim) -> None:
    invoice = finalized_invoice(sim, new_customer(sim))
    sim.pay(invoice)
    note = sim.credit_note(invoice, 2_500)
    sim.at(sim.now + DAY)
    sim.void_credit_note(note)


@scenario
def credit_note_voided_then_paid(sim: StripeSim) -> None:
    """Three invoices each credited before payment late in the day, the credit note voided
    three hours later (the next day in UTC), then paid in full: the day after the void; the
    same day, two hours after it; seconds after it, the payment's events delivered before the
    void's. Day by day, the payment's task may run before the void's (issue 12, creditvoid)."""
    for n, story in enumerate(("next_day", "same_day", "payment_first"), start=1):
        customer = new_customer(sim, n=n)
        invoice = sim.draft(
            customer, "usd", [LineSpec("Platform fee", 4_900), LineSpec("Seats", 1_200, 5)]
        )
        sim.at(sim.now + 600)
        sim.finalize(invoice)
        sim.at(_evening(sim.now))
        note = sim.credit_note(invoice, 3_000)
        sim.at(sim.now + 3 * 3_600)
        voided_from = len(sim.lines)
        sim.void_credit_note(note)
        sim.at(sim.now + {"next_day": DAY, "same_day": 2 * 3_600, "payment_first": 2}[story])
        paid_from = len(sim.lines)
        sim.pay(invoice)
        if story == "payment_first":
            void, payment = sim.lines[voided_from:paid_from], sim.lines[paid_from:]
            sim.lines[voided_from:] = payment + void
        sim.at(sim.now + DAY)


def _evening(now: int) -> int:
    """22:00 UTC of the day ``now`` falls in, or of the next day if that has passed."""
    evening = now - now % DAY + 22 * 3_600
    return evening if evening > now else evening + DAY


@scenario
def refund_after_credit_note(sim: StripeSim) -> None:
    invoice = finalized_invoice(sim, new_customer(sim))
    sim.credit_note(invoice, 1_000)
    charge = sim.pay(invoice)
    sim.at(sim.now + 4 * DAY)
    sim.refund(charge, 3_000)
