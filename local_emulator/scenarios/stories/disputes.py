"""Disputes won, lost and still open."""

from __future__ import annotations

from local_emulator.generator.sim import DAY, StripeSim
from local_emulator.scenarios.stories.registry import finalized_invoice, new_customer, scenario


@scenario
def dispute_won(sim: StripeSim) -> None:
    charge = sim.pay(finalized_invoice(sim, new_customer(sim)))
    sim.at(sim.now + 10 * DAY)
    sim.dispute(charge, "won", reason="product_not_received")


@scenario
def dispute_lost(sim: StripeSim) -> None:
    charge = sim.charge(new_customer(sim), "usd", 14_900)
    sim.at(sim.now + 10 * DAY)
    sim.dispute(charge, "lost")


@scenario
def dispute_open(sim: StripeSim) -> None:
    charge = sim.pay(finalized_invoice(sim, new_customer(sim)))
    sim.dispute(charge, None)
