"""Payments: one QBO payment per paid invoice payment, one sales receipt per charge that pays no
invoice; both put the gross amount into clearing (the fee comes out at the payout), except money
recorded as paid outside Stripe (``payment_records``). Under the rounding policy a payment settles
what its place among its invoice's settlements says, and clearing holds its own rounded amount (a
rounding entry moves the difference). A charge paid apart and attached to an invoice later may
have had a receipt before: voided (or gone), never live."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from local_emulator.checks.books import Expected, StripeBooks, money, ref
from local_emulator.checks.family import Booked, no_rules
from local_emulator.checks.payment_records import off_stripe_payment


def expected_documents(stripe: StripeBooks) -> list[Expected]:
    applied = stripe.applied()
    out: list[Expected] = []
    for paid in stripe.payments.values():
        for p in paid:
            cur, pid = str(p["currency"]), str(p["id"])
            out.append(Expected("Payment", "invoice_payment", pid, cur, applied[pid]))
            if not off_stripe_payment(p, stripe) and applied[pid] != money(p["amount_paid"], cur):
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
    out += [
        Expected("SalesReceipt", "charge", charge, currency, voided=True)
        for charge, currency in attached_charges(stripe).items()
    ]
    return out


def attached_charges(stripe: StripeBooks) -> dict[str, str]:
    """Charge id -> currency, for charges of PaymentIntents an invoice payment names that is
    not the invoice's own (default) payment: they were paid apart, then attached."""
    intents = {
        ref((p.get("payment") or {}).get("payment_intent"))
        for p in stripe.of("invoice_payment")
        if not p.get("is_default")
    } - {""}
    return {
        str(c["id"]): str(c["currency"])
        for c in stripe.succeeded_charges()
        if ref(c.get("payment_intent")) in intents
    }


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
        if not off_stripe_payment(p, stripe)
    ]
    moves += [
        (str(c["currency"]), money(c["amount"], str(c["currency"])))
        for c in stripe.standalone_charges()
    ]
    return moves
