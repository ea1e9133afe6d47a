"""Payments: one QBO payment per paid invoice payment, one sales receipt per charge that pays no
invoice; both put the gross amount into clearing (the fee comes out at the payout). Under the
rounding policy a payment settles what its place among its invoice's settlements says, and
clearing holds its own rounded amount (a rounding entry moves the difference)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from local_emulator.checks.books import Expected, StripeBooks, money
from local_emulator.checks.family import Booked, no_rules


def expected_documents(stripe: StripeBooks) -> list[Expected]:
    applied = stripe.applied()
    out: list[Expected] = []
    for paid in stripe.payments.values():
        for p in paid:
            cur, pid = str(p["currency"]), str(p["id"])
            out.append(Expected("Payment", "invoice_payment", pid, cur, applied[pid]))
            through_stripe = (p.get("payment") or {}).get("type") != "out_of_band_payment"
            if through_stripe and applied[pid] != money(p["amount_paid"], cur):
                # it settles its invoice by a cent more or less than its own rounded amount,
                # which is what clearing holds: a rounding entry (README, rounding policy)
                out.append(Expected("JournalEntry", "payment_rounding", pid, cur))
    out += [
        Expected(
            "SalesReceipt",
            "charge",
            str(c["id"]),
            str(c["currency"]),
            money(c["amount"], str(c["currency"])),
        )
        for c in stripe.standalone_charges()
    ]
    return out


check = no_rules


def booked_at_event(stripe: StripeBooks) -> dict[str, Booked]:
    """Every succeeded charge was booked gross (a payment or a sales receipt)."""
    return {str(c["id"]): "amount" for c in stripe.succeeded_charges()}


def clearing_movements(
    stripe: StripeBooks, booked: Mapping[str, Booked]
) -> list[tuple[str, Decimal]]:
    moves = [
        (str(p["currency"]), money(p["amount_paid"], str(p["currency"])))
        for paid in stripe.payments.values()
        for p in paid
    ]
    moves += [
        (str(c["currency"]), money(c["amount"], str(c["currency"])))
        for c in stripe.standalone_charges()
    ]
    return moves
