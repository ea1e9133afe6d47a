"""Build the tax scenarios: ``python -m local_emulator.scenarios.tax_build [DIR]``.

One scenario per QBO company profile, written to ``tax/<profile>.jsonl`` next to this file (a
folder of its own: each is run under its own company, ``run --company <profile>``). In the
company's home currency, one invoice per way that region taxes a sale (``generator.taxes``:
exclusive, inclusive, zero-rated, exempt, reverse charge, none): the first with taxed shipping
and a partial refund, the next whose prices exclude tax with a discount and a credit note kept
as credit, the last written off; and a one-off charge; payouts added, settling in the home
currency. Deterministic: rebuilding changes no byte.
"""

from __future__ import annotations

import sys
from pathlib import Path

from local_emulator.generator.invoices import InvoiceTerms, LineSpec
from local_emulator.generator.payouts import add_payouts
from local_emulator.generator.sim import DAY, JsonDict, StripeSim
from local_emulator.generator.taxes import HOME_CURRENCY, PLANS, TaxCatalog, TaxSpec
from local_emulator.harness.scenario import write_scenario

HERE = Path(__file__).resolve().parent / "tax"
PROFILES = ("us", "us-ast", "ca", "uk", "au")
LINES = (LineSpec("Platform fee", 49_900), LineSpec("Seats", 1_299, 7))


def _discounted(company: str) -> int:
    """The invoice with a discount and a credit note: the first after the shipped one whose
    prices exclude tax (a discount makes QBO's lines net, whatever Stripe's prices were)."""
    plans = PLANS[company]
    return next(n for n in range(1, len(plans)) if plans[n][0].name != "inclusive")


def _terms(catalog: TaxCatalog, n: int) -> InvoiceTerms:
    plan = PLANS[catalog.company][n][0]
    discounted = n == _discounted(catalog.company)
    taxes = tuple(TaxSpec(catalog.rates[key], plan.reason) for key in plan.rates)
    return InvoiceTerms(
        taxes=taxes,
        customer_tax_exempt=plan.customer_tax_exempt,
        shipping=1_500 if n == 0 else 0,
        shipping_rate_id="shr_taxship01" if n == 0 else None,
        discount_percent=10 if discounted else 0,
        discount_id="di_taxdisc01" if discounted else None,
    )


def taxed_sales(sim: StripeSim, company: str) -> None:
    catalog = TaxCatalog(company, sim.tag, sim.now)
    for rate in catalog.objects():
        sim.bare(rate)
    currency = HOME_CURRENCY[company]
    customer = sim.customer("Customer 0001 Ltd", currency)
    for n in range(len(PLANS[company])):
        invoice = sim.draft(customer, currency, list(LINES), _terms(catalog, n))
        sim.at(sim.now + 600)
        sim.finalize(invoice)
        sim.at(sim.now + DAY)
        if n == len(PLANS[company]) - 1:
            sim.pay(invoice, 20_000)
            sim.at(sim.now + DAY)
            sim.mark_uncollectible(invoice)
            continue
        sim.pay(invoice)
        sim.at(sim.now + DAY)
        if n == 0:
            sim.refund(sim.invoice_charges[invoice][0], 12_345)
        elif n == _discounted(company):
            sim.credit_note(invoice, 5_000)
        sim.at(sim.now + DAY)
    sim.charge(customer, currency, 2_500)


def build_tax_scenario(company: str) -> list[JsonDict]:
    sim = StripeSim(tag=f"tx{company.replace('-', '')}n")
    taxed_sales(sim, company)
    return add_payouts(sim.lines, sum(company.encode()), extras=False, in_transit_rate=0.0)


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else HERE
    for company in PROFILES:
        write_scenario(out / f"{company}.jsonl", build_tax_scenario(company))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
