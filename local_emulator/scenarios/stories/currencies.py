"""Currencies with zero and three decimal places, and one beside the home currency."""

from __future__ import annotations

from local_emulator.generator.invoices import InvoiceTerms, LineSpec
from local_emulator.generator.sim import StripeSim
from local_emulator.scenarios.stories.registry import finalized_invoice, new_customer, scenario


def _currency_story(sim: StripeSim, currency: str, unit: int, tax: int) -> None:
    """An invoice with tax and a discount, paid in two parts, one part refunded; a one-off charge
    disputed and won; a second invoice left open."""
    customer = new_customer(sim, currency)
    terms = InvoiceTerms(
        discount_percent=10,
        discount_id=f"di_{currency}0001",
        tax_basis_points=tax,
        tax_rate_id=f"txr_{currency}0001" if tax else None,
    )
    lines = [LineSpec("Seats", unit, 7), LineSpec("Support plan", unit * 3 + 7, 1)]
    invoice = finalized_invoice(sim, customer, currency, lines=lines, terms=terms)
    first = sim.pay(invoice, int(sim.get(invoice)["amount_remaining"]) // 3)
    sim.pay(invoice)
    sim.refund(first, int(sim.get(first)["amount"]) // 2)
    sim.dispute(sim.charge(customer, currency, unit * 2 + 1), "won")
    finalized_invoice(sim, customer, currency, lines=[LineSpec("Usage", unit + 3, 3)])


@scenario
def currency_eur(sim: StripeSim) -> None:
    _currency_story(sim, "eur", 1_105, 1_900)


@scenario
def currency_jpy(sim: StripeSim) -> None:
    _currency_story(sim, "jpy", 1_650, 1_000)


@scenario
def currency_krw(sim: StripeSim) -> None:
    _currency_story(sim, "krw", 16_800, 1_000)


@scenario
def currency_kwd(sim: StripeSim) -> None:
    _currency_story(sim, "kwd", 3_795, 0)


@scenario
def currency_bhd(sim: StripeSim) -> None:
    _currency_story(sim, "bhd", 4_615, 1_000)
