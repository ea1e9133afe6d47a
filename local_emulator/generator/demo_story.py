"""The demo's month, scripted on the Stripe simulator so that every flow shows once: invoices
paid by card in full and in part, one paid out of band, a refund, a credit note before payment,
a lost dispute, one invoice left open, and the month's payouts (every one paid and reconciled).
Amounts vary with the seed; the story does not."""

from __future__ import annotations

import random

from local_emulator.generator.core import DAY, JsonDict
from local_emulator.generator.invoices import InvoiceTerms, LineSpec
from local_emulator.generator.payouts import add_payouts
from local_emulator.generator.sim import StripeSim
from local_emulator.generator.taxes import HOME_CURRENCY, TaxCatalog

CUSTOMERS = ["Northwind Traders", "Blue Yonder Airlines", "Fabrikam Inc", "Tailspin Toys"]
PRODUCTS = [("Platform fee", 4_900), ("Seats", 1_200), ("Support plan", 9_900), ("Usage", 37)]


def demo_month(seed: int, company: str | None = None) -> list[JsonDict]:
    """Events and bare objects (balance transactions) of the demo's month, in time order.
    ``company``: in that QBO company's home currency, taxed as its region sells (``taxes``)."""
    rng = random.Random(seed)
    sim = StripeSim(tag=f"d{seed}")
    currency = HOME_CURRENCY[company] if company else "usd"
    catalog = TaxCatalog(company, sim.tag, sim.now) if company else None
    for rate in catalog.objects() if catalog else []:
        sim.bare(rate)
    customers = [sim.customer(name, currency) for name in CUSTOMERS]

    def invoice() -> str:
        lines = [LineSpec(name, unit, rng.randint(1, 6)) for name, unit in
                 rng.sample(PRODUCTS, k=rng.randint(1, 3))]  # fmt: skip
        terms = None
        if catalog is not None:
            taxes, exempt = catalog.choose(rng)
            terms = InvoiceTerms(taxes=taxes, customer_tax_exempt=exempt)
        draft = sim.draft(rng.choice(customers), currency, lines, terms)
        sim.at(sim.now + 600)
        sim.finalize(draft)
        sim.at(sim.now + DAY // 2)
        return draft

    def due(invoice_id: str) -> int:
        return int(sim.get(invoice_id)["amount_remaining"])

    sim.pay(invoice())  # by card, in full
    sim.pay(invoice())
    partial = invoice()  # in two parts
    sim.pay(partial, due(partial) // 2)
    sim.at(sim.now + 3 * DAY)
    sim.pay(partial)
    sim.pay_out_of_band(invoice())  # a bank transfer, recorded in Stripe
    refunded = sim.pay(invoice())  # then partly refunded
    sim.at(sim.now + 2 * DAY)
    sim.refund(refunded, rng.randint(5, 20) * 100)
    credited = invoice()  # a credit note before payment lowers what is due
    sim.credit_note(credited, due(credited) // 4)
    sim.at(sim.now + DAY)
    sim.pay(credited)
    disputed = sim.pay(invoice())  # the customer's bank takes it back: a lost dispute
    sim.at(sim.now + 6 * DAY)
    sim.dispute(disputed, "lost")
    still_open = invoice()  # half paid, the rest still due
    sim.pay(still_open, due(still_open) // 2)
    return add_payouts(sim.lines, seed, fail_rate=0.0, extras=False, in_transit_rate=0.0)
