"""Invoices through their life: drafts, detail, payments in full, in part and out of band,
voids, uncollectible, long numbers, shipping and billing credits."""

from __future__ import annotations

from local_emulator.generator.invoices import InvoiceTerms, LineSpec
from local_emulator.generator.sim import DAY, StripeSim
from local_emulator.scenarios.stories.registry import finalized_invoice, new_customer, scenario


@scenario
def invoice_finalized(sim: StripeSim) -> None:
    finalized_invoice(sim, new_customer(sim))


@scenario
def invoice_full_detail(sim: StripeSim) -> None:
    customer = new_customer(sim)
    seats, support = sim.product("Seats"), sim.product("Support plan")
    seat_price = sim.price(seats, "usd", 1_250)
    support_price = sim.price(support, "usd", 19_900)
    period = (sim.now - 30 * DAY, sim.now)
    lines = [
        LineSpec("Seats", 1_250, 12, price=seat_price, product=seats, period=period),
        LineSpec(
            "Support plan",
            19_900,
            1,
            price=support_price,
            product=support,
            period=period,
        ),
        LineSpec("Onboarding (not discountable)", 50_000, 1, discountable=False),
    ]
    terms = InvoiceTerms(
        discount_percent=15,
        discount_id="di_full0001",
        tax_basis_points=725,
        tax_rate_id="txr_full0001",
        memo="PO 4471-A: net 30 as agreed",
        days_until_due=30,
    )
    finalized_invoice(sim, customer, lines=lines, terms=terms)


@scenario
def invoice_draft_only(sim: StripeSim) -> None:
    customer = new_customer(sim)
    sim.draft(customer, "usd", [LineSpec("Seats", 1_200, 3)])


@scenario
def invoice_paid_in_full(sim: StripeSim) -> None:
    terms = InvoiceTerms(collection_method="charge_automatically")
    sim.pay(finalized_invoice(sim, new_customer(sim), terms=terms))


@scenario
def invoice_partial_payments(sim: StripeSim) -> None:
    invoice = finalized_invoice(sim, new_customer(sim))
    sim.pay(invoice, 2_000)
    sim.at(sim.now + 3 * DAY)
    sim.pay(invoice, 1_500)


@scenario
def invoice_several_payments(sim: StripeSim) -> None:
    invoice = finalized_invoice(sim, new_customer(sim))
    for amount in (3_000, 2_500, None):
        sim.pay(invoice, amount)
        sim.at(sim.now + 2 * DAY)


@scenario
def invoice_paid_out_of_band(sim: StripeSim) -> None:
    sim.pay_out_of_band(finalized_invoice(sim, new_customer(sim)))


@scenario
def invoice_partial_then_out_of_band(sim: StripeSim) -> None:
    invoice = finalized_invoice(sim, new_customer(sim))
    sim.pay(invoice, 4_000)
    sim.at(sim.now + 5 * DAY)
    sim.pay_out_of_band(invoice)


@scenario
def invoice_voided(sim: StripeSim) -> None:
    customer = new_customer(sim)
    sim.void(finalized_invoice(sim, customer))
    finalized_invoice(sim, customer)


@scenario
def invoice_uncollectible(sim: StripeSim) -> None:
    customer = new_customer(sim)
    invoice = finalized_invoice(sim, customer)
    sim.pay(invoice, 3_300)
    sim.at(sim.now + 20 * DAY)
    sim.mark_uncollectible(invoice)
    sim.mark_uncollectible(finalized_invoice(sim, customer))


@scenario
def long_invoice_number(sim: StripeSim) -> None:
    customer = new_customer(sim)
    finalized_invoice(sim, customer, number="EXAMPLESELLER-EU-2026-INVOICE-000123")
    sim.pay(finalized_invoice(sim, customer, number="EXAMPLESELLER-US-2026-INVOICE-000123"))


@scenario
def failed_payment_then_success(sim: StripeSim) -> None:
    sim.pay(finalized_invoice(sim, new_customer(sim)), failed_attempt=True)


@scenario
def invoice_shipping(sim: StripeSim) -> None:
    """Shipping taxed at the lines' rate on one invoice, untaxed on another (paid)."""
    customer = new_customer(sim)
    taxed = InvoiceTerms(
        tax_basis_points=725,
        tax_rate_id="txr_ship0001",
        shipping=1_500,
        shipping_rate_id="shr_ship0001",
    )
    finalized_invoice(sim, customer, lines=[LineSpec("Starter kit", 4_900, 2)], terms=taxed)
    plain = InvoiceTerms(shipping=900, shipping_rate_id="shr_ship0002")
    sim.pay(finalized_invoice(sim, customer, lines=[LineSpec("Refill pack", 1_900)], terms=plain))


@scenario
def invoice_billing_credits(sim: StripeSim) -> None:
    """Billing credits (a credit grant) applied before tax, with a discount on the same lines."""
    customer = new_customer(sim)
    usage = sim.product("API calls")
    price = sim.price(usage, "usd", 2)
    terms = InvoiceTerms(
        discount_percent=10,
        discount_id="di_cred0001",
        tax_basis_points=725,
        tax_rate_id="txr_cred0001",
        billing_credits=20_000,
        credit_txn_id="bctxn_cred0001",
    )
    lines = [
        LineSpec("API calls", 2, 40_000, price=price, product=usage),
        LineSpec("Platform fee", 4_900),
    ]
    sim.pay(finalized_invoice(sim, customer, lines=lines, terms=terms))
