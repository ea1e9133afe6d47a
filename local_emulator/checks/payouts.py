"""Payouts, from Stripe's figures alone: a posted payout (paid, failed or canceled) has exactly
one deposit of its amount on its arrival date; its fee and suspense entries take out of
clearing exactly what its balance transactions hold beyond what their own postings booked; a
failed or canceled payout's reversal puts its amount back; Stripe's own figures add up (the
payout carries the net of its balance transactions).

Nothing here asks the sync how it classifies a balance transaction type. What a transaction's
own posting already booked comes from the object families (``booked_at_event``: a charge or a
refund gross, a dispute net); everything else in a payout is the payout's to book: net - booked.

When a payout is due in the books is Stripe's to say: an automatic one once its
``reconciliation_status`` is ``completed`` (before that Stripe's list of it may be partial), a
manual one once paid; a canceled payout never left Stripe and books nothing. An automatic
payout holds the balance transactions Stripe lists under it; a manual one (Stripe lists none
under it) those of its window: in its currency, created after the previous manual payout in
that currency that was not canceled, up to its own creation, its own movements left out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from local_emulator.checks import rounding
from local_emulator.checks.books import (
    Expected,
    StripeBooks,
    Violation,
    amount_of,
    money,
    ref,
)
from local_emulator.checks.family import Booked, Context

JsonDict = dict[str, Any]
POSTED = ("paid", "failed")
RETURNED = ("failed", "canceled")
# reporting categories of a payout's own movement and its return (docs.stripe.com/reports/
# reporting-categories): the deposit and its reversal book them, never a payout's window
PAYOUT_CATEGORIES = ("payout", "payout_reversal", "payout_failure", "payout_cancel")
# the payout's own entries; ``payout_rounding`` only for three-decimal currencies (README)
ENTRY_KINDS = ("payout_fees", "payout_suspense", "payout_connect", "payout_rounding")


def manual(payout: JsonDict) -> bool:
    return payout.get("automatic") is False


def posted(payout: JsonDict) -> bool:
    """Paid or failed, and (automatic) reconciled by Stripe."""
    if payout.get("status") not in POSTED:
        return False
    return manual(payout) or payout.get("reconciliation_status") == "completed"


def transactions(stripe: StripeBooks) -> dict[str, list[JsonDict]]:
    """Payout id -> its balance transactions, its own one (the payout itself) left out."""
    found: dict[str, list[JsonDict]] = defaultdict(list)
    for txn in stripe.of("balance_transaction"):
        payout_id = ref(txn.get("payout"))
        if payout_id and ref(txn.get("source")) != payout_id:
            found[payout_id].append(txn)
    found.update(manual_windows(stripe))
    return found


def manual_windows(stripe: StripeBooks) -> dict[str, list[JsonDict]]:
    """Manual payout id -> the balance transactions of its window."""
    by_currency: dict[str, list[JsonDict]] = defaultdict(list)
    for payout in stripe.of("payout"):
        if manual(payout) and payout.get("status") != "canceled":
            by_currency[str(payout["currency"]).lower()].append(payout)
    out: dict[str, list[JsonDict]] = {}
    for currency, payouts in by_currency.items():
        txns = [
            t
            for t in stripe.of("balance_transaction")
            if str(t["currency"]).lower() == currency
            and str(t.get("reporting_category") or t.get("type")) not in PAYOUT_CATEGORIES
        ]
        start = None
        for payout in sorted(payouts, key=lambda p: (int(p["created"]), str(p["id"]))):
            end = int(payout["created"])
            out[str(payout["id"])] = [
                t for t in txns if (start is None or int(t["created"]) > start)
                and int(t["created"]) <= end
            ]  # fmt: skip
            start = end
    return out


def to_book(txn: JsonDict, booked: Mapping[str, Booked]) -> int:
    """What a payout must still move through clearing for one of its transactions (minor)."""
    how = booked.get(str(txn["id"])) or booked.get(ref(txn.get("source")))
    net = int(txn["net"])
    if how == "amount":
        return net - int(txn["amount"])  # -fee: the gross went through clearing already
    if how == "net":
        return 0
    return net


def due(payout: JsonDict, txns: list[JsonDict], booked: Mapping[str, Booked]) -> Decimal:
    """What the payout's own entries must move through clearing. Exact currencies: what its
    transactions hold beyond their own postings. Three-decimal ones, where each posting holds
    its own rounded amount: the rounded payout amount less those rounded postings, so that the
    deposit leaves clearing exact (README, rounding policy)."""
    cur = str(payout["currency"])
    if not rounding.rounds(cur):
        return money(sum(to_book(t, booked) for t in txns), cur)
    own = Decimal(0)
    for txn in txns:
        how = booked.get(str(txn["id"])) or booked.get(ref(txn.get("source")))
        if how is not None:
            own += money(txn["amount"] if how == "amount" else txn["net"], cur)
    return money(payout["amount"], cur) - own


def expected_documents(stripe: StripeBooks) -> list[Expected]:
    out: list[Expected] = []
    for payout in stripe.of("payout"):
        pid, cur = str(payout["id"]), str(payout["currency"])
        if posted(payout):
            out.append(Expected("Deposit", "payout", pid, cur, money(payout["amount"], cur)))
            out += [Expected("JournalEntry", kind, pid, cur, many=True) for kind in ENTRY_KINDS]
            if payout.get("status") in RETURNED:
                out.append(Expected("JournalEntry", "payout_reversal", pid, cur))
    return out


def clearing_lines(doc: JsonDict, clearing_id: str | None) -> Decimal:
    """What a journal entry moves on the clearing account: debits +, credits -."""
    total = Decimal(0)
    for line in doc.get("Line") or []:
        detail = line.get("JournalEntryLineDetail") or {}
        if clearing_id is None or ref((detail.get("AccountRef") or {}).get("value")) != clearing_id:
            continue
        sign = 1 if detail.get("PostingType") == "Debit" else -1
        total += sign * amount_of(line.get("Amount"))
    return total


def _check_payout(payout: JsonDict, txns: list[JsonDict], ctx: Context) -> list[Violation]:
    qbo, options, booked = ctx.qbo, ctx.options, ctx.booked
    pid, cur = str(payout["id"]), str(payout["currency"])
    out: list[Violation] = []
    carried = sum(int(t["net"]) for t in txns)
    amount = money(payout["amount"], cur)
    if txns and not manual(payout) and carried != int(payout["amount"]):
        detail = f"Stripe: its balance transactions net {money(carried, cur)}, payout {amount}"
        out.append(Violation("components", pid, detail))
    if not posted(payout):
        return out
    arrival = datetime.fromtimestamp(int(payout["arrival_date"]), UTC).date().isoformat()
    for deposit in qbo.found("payout", pid, "Deposit")[:1]:
        if str(deposit.get("TxnDate")) != arrival:
            out.append(
                Violation("deposit_date", pid, f"{deposit.get('TxnDate')}, arrival {arrival}")
            )
    clearing_id = qbo.account_id(options.clearing_account(cur))
    entries = [d for kind in ENTRY_KINDS for d in qbo.found(kind, pid, "JournalEntry")]
    moved = sum((clearing_lines(d, clearing_id) for d in entries), Decimal(0))
    owed = due(payout, txns, booked)
    if moved != owed:
        detail = f"fee and suspense entries move {moved} through clearing; Stripe's leave {owed}"
        out.append(Violation("payout_fees", pid, detail))
    for reversal in qbo.found("payout_reversal", pid, "JournalEntry"):
        back = clearing_lines(reversal, clearing_id)
        if back != amount:
            out.append(Violation("reversal", pid, f"puts {back} back, the payout was {amount}"))
    return out


def check(ctx: Context) -> list[Violation]:
    by_payout = transactions(ctx.stripe)
    return [
        violation
        for payout in sorted(ctx.stripe.of("payout"), key=lambda p: str(p["id"]))
        for violation in _check_payout(payout, by_payout.get(str(payout["id"]), []), ctx)
    ]


def booked_at_event(stripe: StripeBooks) -> dict[str, Booked]:
    """A failed payout's returned funds: its reversal booked them; a canceled payout's: nobody
    books its leaving or its return (they cancel out in Stripe's balance too)."""
    return {str(p["id"]): "net" for p in stripe.of("payout") if p.get("status") in RETURNED}


def clearing_movements(
    stripe: StripeBooks, booked: Mapping[str, Booked]
) -> list[tuple[str, Decimal]]:
    """A posted payout: what its transactions leave (fees, unknown types), then the deposit
    of its amount; a failed or canceled one: the reversal puts the amount back."""
    by_payout = transactions(stripe)
    moves: list[tuple[str, Decimal]] = []
    for payout in stripe.of("payout"):
        if not posted(payout):
            continue  # pending or in transit: nothing booked yet
        cur, txns = str(payout["currency"]), by_payout.get(str(payout["id"]), [])
        moves.append((cur, due(payout, txns, booked)))
        moves.append((cur, -money(payout["amount"], cur)))
        if payout.get("status") in RETURNED:
            moves.append((cur, money(payout["amount"], cur)))
    return moves
