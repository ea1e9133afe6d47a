"""The rounding policy for currencies QBO cannot hold exactly (KWD, BHD, JOD, OMR, TND).

QBO keeps every amount to 2 decimal places (Qty and UnitPrice to 7); these currencies have 3.
The policy, in the order it is applied (README, "Three-decimal currencies"):

1. A document's total is Stripe's total rounded half-even to 2 places; its lines are rounded
   the same way and the line of largest amount absorbs what makes them add up to that total.
2. What settles an invoice (payments, credit applied, a write-off) is rounded cumulatively in
   Stripe's order: the k-th settlement is R(S_k) - R(S_k-1), S the running sum of Stripe's
   exact amounts. When Stripe says the invoice is settled, QBO's balance is exactly 0; until
   then it is R(total) - R(total - amount_remaining).
3. Clearing holds every balance transaction at its own rounded amount. A payment whose
   settlement amount differs from that (by a cent at most) gets a rounding entry between
   clearing and the rounding account; each payout gets one for what its balance transactions,
   rounded one by one, leave against its rounded amount. After every payout, clearing is exact.
4. A credit to a customer's balance is a memo of its rounded amount; a use of it is the invoice's
   first settlement (its rounded amount), taken from the memos Stripe's ledger names, at most
   what each holds; what they lack in all is a rounding memo (``customer_balance``).

Every other currency passes through unchanged: rounding a 0- or 2-place amount to 2 places
changes nothing, so none of this costs a request or a document there.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_EVEN, Decimal

from shared.domain.money import decimal_from_minor, exponent

BOOKS_PLACES = 2  # QBO keeps amounts to 2 decimal places


def rounds(currency: str) -> bool:
    """True for a currency whose minor unit QBO cannot hold (three decimal places)."""
    return exponent(currency) > BOOKS_PLACES


def books_amount(minor: int, currency: str) -> Decimal:
    """Stripe's amount as QBO keeps it: exact, or rounded half-even to 2 places."""
    exact = decimal_from_minor(minor, currency)
    if not rounds(currency):
        return exact
    return exact.quantize(Decimal(1).scaleb(-BOOKS_PLACES), rounding=ROUND_HALF_EVEN)


def books_parts(parts: Sequence[int], currency: str, total: Decimal | None = None) -> list[Decimal]:
    """Rule 1: ``parts`` (signed minor units) rounded, adding up to ``total`` (default: their
    exact sum, rounded); the part of largest magnitude absorbs the difference."""
    rounded = [books_amount(p, currency) for p in parts]
    if not parts:
        return rounded
    target = total if total is not None else books_amount(sum(parts), currency)
    residual = target - sum(rounded, Decimal(0))
    if residual:
        largest = max(range(len(parts)), key=lambda i: (abs(parts[i]), -i))
        rounded[largest] += residual
    return rounded


def books_settlements(amounts: Sequence[int], currency: str) -> list[Decimal]:
    """Rule 2: what each settlement of one invoice applies, in Stripe's order."""
    applied: list[Decimal] = []
    running = 0
    before = Decimal(0)
    for amount in amounts:
        running += amount
        after = books_amount(running, currency)
        applied.append(after - before)
        before = after
    return applied


def books_open(total: int, remaining: int, currency: str) -> Decimal:
    """Rule 2: an invoice's balance in QBO while Stripe has ``remaining`` of ``total`` open."""
    return books_amount(total, currency) - books_amount(total - remaining, currency)
