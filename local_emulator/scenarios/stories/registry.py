"""The scenario registry and the two steps most stories begin with.

A story is a function of the Stripe simulator, registered under its name with ``@scenario``;
its name is its file's (``<name>.jsonl``).
"""

from __future__ import annotations

from collections.abc import Callable

from local_emulator.generator.invoices import InvoiceTerms, LineSpec
from local_emulator.generator.sim import DAY, StripeSim

Builder = Callable[[StripeSim], None]
SCENARIOS: dict[str, Builder] = {}


def scenario(builder: Builder) -> Builder:
    if builder.__name__ in SCENARIOS:
        raise ValueError(f"two scenarios are named {builder.__name__}")
    SCENARIOS[builder.__name__] = builder
    return builder


def finalized_invoice(
    sim: StripeSim,
    customer: str,
    currency: str = "usd",
    *,
    lines: list[LineSpec] | None = None,
    terms: InvoiceTerms | None = None,
    number: str | None = None,
) -> str:
    """A finalized invoice (two plain lines unless given), a day before the next step."""
    specs = lines or [LineSpec("Platform fee", 4_900), LineSpec("Seats", 1_200, 5)]
    invoice = sim.draft(customer, currency, specs, terms)
    sim.at(sim.now + 600)
    sim.finalize(invoice, number)
    sim.at(sim.now + DAY)
    return invoice


def new_customer(sim: StripeSim, currency: str = "usd", n: int = 1) -> str:
    return sim.customer(f"Customer {n:04d} Ltd", currency)
