"""Customers and their credit balance: created and updated, several currencies, a balance
from credit notes and adjustments that later invoices consume."""

from __future__ import annotations

from local_emulator.generator.invoices import LineSpec
from local_emulator.generator.sim import DAY, StripeSim
from local_emulator.scenarios.stories.registry import finalized_invoice, new_customer, scenario


@scenario
def customer_created_updated(sim: StripeSim) -> None:
    first, second = new_customer(sim), new_customer(sim, "eur", 2)
    sim.update_customer(first, name="Customer 0001 Holdings Ltd")
    sim.update_customer(second, email="accounts+0002@example.com")
    finalized_invoice(sim, first)


@scenario
def customer_two_currencies(sim: StripeSim) -> None:
    customer = new_customer(sim)
    sim.pay(finalized_invoice(sim, customer))
    sim.pay(finalized_invoice(sim, customer, "eur"), 5_000)


@scenario
def credit_balance_from_credit_note(sim: StripeSim) -> None:
    """A paid invoice credited to the balance; the next invoice uses part of the credit."""
    customer = new_customer(sim)
    first = finalized_invoice(sim, customer)
    sim.pay(first)
    sim.at(sim.now + 2 * DAY)
    sim.credit_note(first, 4_000)
    sim.at(sim.now + 3 * DAY)
    second = finalized_invoice(sim, customer, lines=[LineSpec("Seats", 1_200, 10)])
    sim.pay(second)


@scenario
def credit_balance_adjustment(sim: StripeSim) -> None:
    """A goodwill credit given by hand; two invoices use it up, the second only in part."""
    customer = new_customer(sim)
    sim.adjust_balance(customer, -15_000, "Goodwill credit")
    sim.at(sim.now + DAY)
    finalized_invoice(sim, customer, lines=[LineSpec("Platform fee", 9_000)])
    second = finalized_invoice(sim, customer, lines=[LineSpec("Support plan", 19_900)])
    sim.pay(second)


@scenario
def credit_balance_covers_invoice(sim: StripeSim) -> None:
    """Credit from a credit note and an adjustment pays a whole invoice: paid, no payment."""
    customer = new_customer(sim)
    first = finalized_invoice(sim, customer, lines=[LineSpec("Seats", 1_200, 5)])
    sim.pay(first)
    sim.credit_note(first, 3_000)
    sim.adjust_balance(customer, -5_000, "Service credit")
    sim.at(sim.now + DAY)
    finalized_invoice(sim, customer, lines=[LineSpec("Platform fee", 4_900)])


@scenario
def credit_balance_invoice_voided(sim: StripeSim) -> None:
    """An invoice that used credit is voided (the credit comes back); the next one uses it."""
    customer = new_customer(sim)
    sim.adjust_balance(customer, -2_500, "Goodwill credit")
    sim.void(finalized_invoice(sim, customer))
    sim.pay(finalized_invoice(sim, customer, lines=[LineSpec("Seats", 1_200, 4)]))
