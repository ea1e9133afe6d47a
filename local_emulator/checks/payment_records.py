"""Money that moved outside Stripe: invoice payments recorded as PaymentRecords (not reported by
Stripe itself), amounts paid out of band, and what credit notes paid back outside Stripe
(``payment_record_refund`` refunds, ``out_of_band_amount``). None of it touches Stripe clearing:
Undeposited Funds holds what came in less what went back, and a credit note's off-Stripe refunds
are one RefundReceipt (``credit_note_refund``) of their sum."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

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

JsonDict = dict[str, Any]
UNDEPOSITED = "Undeposited Funds"


def off_stripe_payment(payment: JsonDict, stripe: StripeBooks) -> bool:
    """A paid invoice payment of money that did not pass through Stripe."""
    named = payment.get("payment") or {}
    if named.get("type") != "payment_record":
        return False
    record = named.get("payment_record")
    found = stripe.get("payment_record", ref(record)) or (
        record if isinstance(record, dict) else {}
    )
    return bool(found.get("reported_by", "self") != "stripe")


def off_stripe_refunded(note: JsonDict) -> int:
    """What a credit note paid back outside Stripe."""
    reported = sum(
        int(r.get("amount_refunded") or 0)
        for r in note.get("refunds") or []
        if r.get("type") == "payment_record_refund"
    )
    return reported + int(note.get("out_of_band_amount") or 0)


def expected_documents(stripe: StripeBooks) -> list[Expected]:
    out: list[Expected] = []
    for note in stripe.of("credit_note"):
        refunded = off_stripe_refunded(note)
        if refunded > 0:
            cur, void = str(note["currency"]), note.get("status") == "void"
            amount = ZERO if void else money(refunded, cur)
            out.append(
                Expected(
                    "RefundReceipt", "credit_note_refund", str(note["id"]), cur, amount, voided=void
                )
            )
    return out


def _home(doc: JsonDict) -> Decimal:
    """A document's amount in the home currency, as QBO keeps it."""
    return amount_of(doc.get("HomeTotalAmt", doc.get("TotalAmt")))


def check(ctx: Context) -> list[Violation]:
    """Undeposited Funds (QBO's one system account, found by its type: payments of every
    currency land there at their home value) holds exactly the off-Stripe documents: each one's
    amount is Stripe's (the document rules check that); anything else there is a violation."""
    stripe, qbo = ctx.stripe, ctx.qbo
    account = next(
        (a for a in qbo.docs("Account") if a.get("AccountSubType") == "UndepositedFunds"), None
    )
    off_stripe = {
        str(p["id"])
        for paid in stripe.payments.values()
        for p in paid
        if off_stripe_payment(p, stripe)
    }
    expected = ZERO
    for kind, ids, sign in (
        ("invoice_payment", off_stripe, 1),
        ("invoice_oob", None, 1),
        ("credit_note_refund", None, -1),
    ):
        entity = "RefundReceipt" if kind == "credit_note_refund" else "Payment"
        for (marked, stripe_id), found in qbo.marked.items():
            if marked == kind and (ids is None or stripe_id in ids):
                expected += sign * sum(_home(d) for e, d in found if e == entity)
    actual = amount_of(account.get("CurrentBalance")) if account else ZERO
    if actual == expected:
        return []
    name = str(account.get("Name")) if account else UNDEPOSITED
    return [
        Violation(
            "undeposited", name, f"off-Stripe documents {expected} (home), QBO holds {actual}"
        )
    ]


booked_at_event = no_bookings
clearing_movements = no_movements
