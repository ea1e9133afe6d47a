"""Refunds: one refund receipt per succeeded refund, paid from clearing."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from local_emulator.checks.books import Expected, StripeBooks, money
from local_emulator.checks.family import Booked, no_rules


def expected_documents(stripe: StripeBooks) -> list[Expected]:
    return [
        Expected(
            "RefundReceipt",
            "refund",
            str(r["id"]),
            str(r["currency"]),
            money(r["amount"], str(r["currency"])),
        )
        for r in stripe.succeeded_refunds()
    ]


check = no_rules


def booked_at_event(stripe: StripeBooks) -> dict[str, Booked]:
    return {str(r["id"]): "amount" for r in stripe.succeeded_refunds()}


def clearing_movements(
    stripe: StripeBooks, booked: Mapping[str, Booked]
) -> list[tuple[str, Decimal]]:
    return [
        (str(r["currency"]), -money(r["amount"], str(r["currency"])))
        for r in stripe.succeeded_refunds()
    ]
