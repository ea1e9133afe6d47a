"""Invoices: one QBO invoice each (voided with Stripe's void), the out-of-band payment, the
write-off of an uncollectible one, the items of their products; totals, open balances and
DocNumbers as Stripe has them."""

from __future__ import annotations

from local_emulator.checks.books import (
    ZERO,
    Expected,
    StripeBooks,
    Violation,
    amount_of,
    money,
    ref,
)
from local_emulator.checks.family import Context, no_bookings, no_movements
from local_emulator.checks.rounding import open_amount
from shared.domain.idempotency import doc_number_from_stripe_number


def expected_documents(stripe: StripeBooks) -> list[Expected]:
    out: list[Expected] = []
    applied = stripe.applied()
    for inv in stripe.invoices():
        cur, iid, void = str(inv["currency"]), str(inv["id"]), inv["status"] == "void"
        total = ZERO if void else money(inv["total"], cur)
        out.append(Expected("Invoice", "invoice", iid, cur, total, voided=void))
        if inv["status"] in ("paid", "open", "uncollectible") and stripe.out_of_band(inv) > 0:
            out.append(Expected("Payment", "invoice_oob", iid, cur, applied[f"oob:{iid}"]))
        if inv["status"] == "uncollectible" and int(inv["amount_remaining"]) > 0:
            remaining = applied[f"writeoff:{iid}"]
            out.append(Expected("CreditMemo", "invoice_writeoff", iid, cur, remaining))
            out.append(Expected("Payment", "credit_application", iid, cur))
    live, deleted = products(stripe)
    out.extend(Expected("Item", "product", p, "") for p in sorted(live))
    out.extend(Expected("Item", "product", p, "", optional=True) for p in sorted(deleted))
    return out


def products(stripe: StripeBooks) -> tuple[set[str], set[str]]:
    """Products named on the lines of accounting invoices, (live, deleted). Each live one becomes
    a QBO item. A deleted one has an item only if a line was booked while it was live: Stripe
    answers 404 for it after, and its lines go on the default item. The final state cannot tell
    which (day by day it was live; all at once it was already gone), so it may have one item."""
    found = set()
    for inv in stripe.invoices():
        for line in (inv.get("lines") or {}).get("data") or []:
            details = (line.get("pricing") or {}).get("price_details") or {}
            price = line.get("price")
            found.add(
                ref(details.get("product"))
                or ref(price.get("product") if isinstance(price, dict) else None)
            )
    gone = {str(p["id"]) for p in stripe.of("product") if p.get("deleted")}
    named = found - {""}
    return named - gone, named & gone


def doc_numbers(stripe: StripeBooks) -> dict[str, str]:
    """QBO DocNumber -> Stripe invoice id (a voided invoice may be found by it alone)."""
    return {
        doc_number_from_stripe_number(str(i["number"])): str(i["id"])
        for i in stripe.invoices()
        if i.get("number")
    }


def check(ctx: Context) -> list[Violation]:
    out: list[Violation] = []
    for inv in ctx.stripe.invoices():
        found = ctx.qbo.found("invoice", str(inv["id"]), "Invoice")
        if len(found) != 1:
            continue  # missing or duplicate: the document rules said so
        doc, cur = found[0], str(inv["currency"])
        want = open_amount(inv) if inv["status"] == "open" else money(0, cur)
        if amount_of(doc.get("Balance")) != want:
            out.append(
                Violation(
                    "invoice_balance",
                    str(inv["id"]),
                    f"QBO Balance {amount_of(doc.get('Balance'))}, Stripe {want} ({inv['status']})",
                )
            )
        number = inv.get("number")
        if number and str(doc.get("DocNumber")) != doc_number_from_stripe_number(str(number)):
            out.append(
                Violation(
                    "doc_number",
                    str(inv["id"]),
                    f"QBO DocNumber {doc.get('DocNumber')!r} for Stripe number {number!r}",
                )
            )
    return out


booked_at_event = no_bookings


# An invoice and its out-of-band payment never touch clearing.
clearing_movements = no_movements
