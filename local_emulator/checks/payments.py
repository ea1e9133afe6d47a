"""Payments: one QBO payment per paid invoice payment, one sales receipt per charge that pays no
invoice; both put the gross amount into clearing (the fee comes out at the payout)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from local_emulator.checks.books import Expected, StripeBooks, money
from local_emulator.checks.family import Booked, no_rules


def expected_documents(stripe: StripeBooks) -> list[Expected]:
    out = [
        Expected(
            "Payment",
            "invoice_payment",
            str(p["id"]),
            str(p["currency"]),
            money(p["amount_paid"], str(p["currency"])),
        )
        for paid in stripe.payments.values()
        for p in paid
    ]
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
