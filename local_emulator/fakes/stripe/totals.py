"""Invoice totals from its lines (no tax or discounts in the fake)."""

from __future__ import annotations

from .state import FakeStripe, JsonDict


def recompute_totals(fake: FakeStripe, invoice: JsonDict) -> None:
    lines = fake.invoice_lines(invoice["id"])
    subtotal = sum(int(line["amount"]) for line in lines)
    invoice.update(
        subtotal=subtotal,
        subtotal_excluding_tax=subtotal,
        total=subtotal,
        total_excluding_tax=subtotal,
        amount_due=max(subtotal + int(invoice.get("starting_balance") or 0), 0),
    )
    invoice["amount_remaining"] = invoice["amount_due"] - invoice["amount_paid"]
    fake.refresh_invoice_lines(invoice["id"])
