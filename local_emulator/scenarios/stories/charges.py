"""Charges without an invoice and refunds, including failed ones."""

from __future__ import annotations

from local_emulator.generator.sim import DAY, StripeSim
from local_emulator.scenarios.stories.registry import finalized_invoice, new_customer, scenario


@scenario
def charge_without_invoice(sim: StripeSim) -> None:
    customer = new_customer(sim)
    sim.charge(customer, "usd", 2_500, description="Setup fee")
    sim.charge(customer, "usd", 9_900, succeeded=False)


@scenario
def charge_without_customer(sim: StripeSim) -> None:
    sim.charge(None, "usd", 1_500, description="Guest checkout")


@scenario
def refund_full(sim: StripeSim) -> None:
    invoice = finalized_invoice(sim, new_customer(sim))
    charge = sim.pay(invoice)
    sim.at(sim.now + 2 * DAY)
    sim.refund(charge)


@scenario
def refund_partial(sim: StripeSim) -> None:
    charge = sim.charge(new_customer(sim), "usd", 9_900)
    sim.refund(charge, 2_500)


@scenario
def refunds_several_on_one_charge(sim: StripeSim) -> None:
    charge = sim.pay(finalized_invoice(sim, new_customer(sim)))
    for amount in (1_000, 2_000):
        sim.at(sim.now + DAY)
        sim.refund(charge, amount)
    sim.refund(charge, 500, fail=True)
    sim.refund(charge)  # the rest


@scenario
def refund_failed(sim: StripeSim) -> None:
    charge = sim.charge(new_customer(sim), "usd", 4_900)
    sim.refund(charge, fail=True)
