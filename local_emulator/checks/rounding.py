"""The README's rounding policy for three-decimal currencies, as the checker expects it.

Written apart from the sync's ``shared.domain.rounding`` on purpose: a checker computes its
expectations from Stripe's figures and the documented rule, never with the code it checks.

QBO keeps 2 decimal places. For KWD, BHD, JOD, OMR and TND every Stripe amount a document
carries becomes its half-even rounding to 2 places (a document's total too); what settles an
invoice is rounded cumulatively in Stripe's order; clearing holds every balance transaction at
its own rounded amount, and a payout leaves nothing in it. Other currencies are exact.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

THREE_PLACES = frozenset({"bhd", "jod", "kwd", "omr", "tnd"})
ZERO_PLACES = frozenset(
    "bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split()
)  # Stripe's zero-decimal currencies
CENT = Decimal("0.01")

JsonDict = dict[str, Any]


def rounds(currency: str) -> bool:
    return currency.lower() in THREE_PLACES


def exact(minor: Any, currency: str) -> Decimal:
    code = currency.lower()
    places = 0 if code in ZERO_PLACES else 3 if code in THREE_PLACES else 2
    return Decimal(int(minor or 0)).scaleb(-places)


def books(minor: Any, currency: str) -> Decimal:
    """What QBO should hold for a Stripe amount."""
    value = exact(minor, currency)
    return value.quantize(CENT, rounding=ROUND_HALF_EVEN) if rounds(currency) else value


def settled(steps: Iterable[tuple[Any, str, int]], currency: str) -> dict[str, Decimal]:
    """(order key, id, minor units) of an invoice's settlements -> what each applies."""
    out: dict[str, Decimal] = {}
    total, before = 0, Decimal(0)
    for _, key, minor in sorted(steps, key=lambda s: s[0]):
        total += minor
        after = books(total, currency)
        out[key] = after - before
        before = after
    return out


def _ref(value: Any) -> str:
    return str(value.get("id") or "") if isinstance(value, dict) else str(value or "")


def invoice_settlements(
    invoice: JsonDict, payments: list[JsonDict], notes: list[JsonDict]
) -> dict[str, Decimal]:
    """Settlement id (payment, credit note; ``balance:``/``oob:``/``writeoff:`` + invoice id)
    -> applied. The customer credit the invoice used at finalization comes first."""
    cur, iid = str(invoice["currency"]), str(invoice["id"])
    transitions = invoice.get("status_transitions") or {}
    steps: list[tuple[Any, str, int]] = []
    credit = int(invoice.get("ending_balance") or 0) - int(invoice.get("starting_balance") or 0)
    if invoice.get("ending_balance") is not None and credit > 0:
        steps.append(((-1, -1, ""), f"balance:{iid}", credit))
    for note in notes:
        before = int(note.get("pre_payment_amount") or 0)
        if note.get("type") == "pre_payment" and not before:
            before = int(note["amount"])
        if note.get("status") != "void" and before > 0:
            steps.append(
                ((note.get("effective_at") or note["created"], 0, note["id"]), note["id"], before)
            )
    paid = 0
    for p in payments:
        at = (p.get("status_transitions") or {}).get("paid_at") or p.get("created") or 0
        steps.append(((at, 1, p["id"]), str(p["id"]), int(p["amount_paid"])))
        paid += int(p["amount_paid"])
    rest = int(invoice.get("amount_paid") or 0) - paid
    if rest > 0:
        at = transitions.get("paid_at") or invoice["created"]
        steps.append(((at, 2, ""), f"oob:{iid}", rest))
    if invoice.get("status") == "uncollectible" and int(invoice.get("amount_remaining") or 0) > 0:
        at = transitions.get("marked_uncollectible_at") or invoice["created"]
        steps.append(((at, 3, ""), f"writeoff:{iid}", int(invoice["amount_remaining"])))
    return settled(steps, cur)


def open_amount(invoice: JsonDict) -> Decimal:
    """What QBO should show open of an open invoice."""
    cur = str(invoice["currency"])
    total, remaining = int(invoice["total"]), int(invoice["amount_remaining"])
    return books(total, cur) - books(total - remaining, cur)


__all__ = ["_ref", "books", "exact", "invoice_settlements", "open_amount", "rounds", "settled"]
