"""Credit notes: before payment, a credit memo applied to the invoice; after payment, a credit
memo for the part credited to the customer's balance (the refunded part is the refund's)."""

from __future__ import annotations

from typing import Any

from local_emulator.checks.books import (
    ZERO,
    Expected,
    StripeBooks,
    money,
)
from local_emulator.checks.family import no_bookings, no_movements, no_rules


def credit_part(note: dict[str, Any]) -> int:
    """What a post-payment credit note credits to the customer's balance (not refunded)."""
    refunded = sum(int(r.get("amount_refunded") or 0) for r in note.get("refunds") or [])
    post = int(note.get("post_payment_amount") or 0)
    return post - refunded - int(note.get("out_of_band_amount") or 0)


def expected_documents(stripe: StripeBooks) -> list[Expected]:
    out: list[Expected] = []
    applied = stripe.applied()
    for note in stripe.of("credit_note"):
        cur, nid, void = str(note["currency"]), str(note["id"]), note.get("status") == "void"
        if note.get("type") == "pre_payment":
            amount = ZERO if void else applied.get(nid, money(note["amount"], cur))
            out.append(Expected("CreditMemo", "credit_note", nid, cur, amount, voided=void))
            out.append(Expected("Payment", "credit_application", nid, cur, voided=void))
        elif credit_part(note) > 0:
            amount = ZERO if void else money(credit_part(note), cur)
            out.append(Expected("CreditMemo", "credit_note", nid, cur, amount, voided=void))
    return out


check = no_rules


booked_at_event = no_bookings


# A credit memo moves receivables; the refunded part is the refund's.
clearing_movements = no_movements
