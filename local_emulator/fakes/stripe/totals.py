"""Invoice totals from its lines and shipping (no tax or discounts in the fake).

total = subtotal + shipping (``shipping_cost.amount_total``); ``amount_due`` is what remains
after the customer's balance (``starting_balance``), fixed at finalization (``balance``).
"""

from __future__ import annotations

from .state import FakeStripe, JsonDict


def recompute_totals(fake: FakeStripe, invoice: JsonDict) -> None:
    lines = fake.invoice_lines(invoice["id"])
    subtotal = sum(int(line["amount"]) for line in lines)
    shipping = invoice.get("shipping_cost") or {}
    total = subtotal + int(shipping.get("amount_total") or 0)
    invoice.update(
        subtotal=subtotal,
        subtotal_excluding_tax=subtotal,
        total=total,
        total_excluding_tax=total,
        amount_shipping=int(shipping.get("amount_subtotal") or 0),
        amount_due=max(total + int(invoice.get("starting_balance") or 0), 0),
    )
    invoice["amount_remaining"] = invoice["amount_due"] - invoice["amount_paid"]
    fake.refresh_invoice_lines(invoice["id"])
