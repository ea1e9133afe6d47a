"""Products and prices, including a product Stripe will no longer return."""

from __future__ import annotations

from local_emulator.generator.invoices import LineSpec
from local_emulator.generator.sim import DAY, StripeSim
from local_emulator.scenarios.stories.registry import finalized_invoice, new_customer, scenario


@scenario
def products_and_prices(sim: StripeSim) -> None:
    customer = new_customer(sim)
    usage, fee = sim.product("API calls"), sim.product("Platform fee")
    usage_price, fee_price = sim.price(usage, "usd", 2), sim.price(fee, "usd", 4_900)
    for quantity in (1_500, 40_000):
        lines = [
            LineSpec("API calls", 2, quantity, price=usage_price, product=usage),
            LineSpec("Platform fee", 4_900, 1, price=fee_price, product=fee),
        ]
        finalized_invoice(sim, customer, lines=lines)


@scenario
def product_deleted(sim: StripeSim) -> None:
    """An invoice naming a product Stripe no longer returns: posted on the default item."""
    customer = new_customer(sim)
    kit, fee = sim.product("Starter kit"), sim.product("Platform fee")
    kit_price, fee_price = sim.price(kit, "usd", 4_900), sim.price(fee, "usd", 2_500)
    lines = [
        LineSpec("Starter kit", 4_900, 1, price=kit_price, product=kit),
        LineSpec("Platform fee", 2_500, 1, price=fee_price, product=fee),
    ]
    sim.delete_product(kit)
    sim.at(sim.now + DAY)
    finalized_invoice(sim, customer, lines=lines)
