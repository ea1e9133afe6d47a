"""Conversions, from Stripe's figures alone: a balance transaction whose source (a charge, a
refund) is in another currency than the transaction settled in. Its source's own posting put
the source's amount through the source currency's clearing account; when the payout that holds
the transaction is posted, that amount leaves it (``fx`` entries) and exactly the transaction's
amount arrives in the settlement currency's clearing account (``fx``, ``fx_in`` and ``fx_diff``
together, whatever QBO's rates; README, settlement currencies). Until then the source clearing
holds it.
Which payout holds a transaction, and whether it is posted, is the payouts family's reading.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal

from local_emulator.checks.books import (
    Expected,
    StripeBooks,
    Violation,
    amount_of,
    currency_of,
    money,
    ref,
)
from local_emulator.checks.family import Booked, Context, no_bookings
from local_emulator.checks.payouts import clearing_lines, posted, transactions

JsonDict = dict[str, object]
SOURCES = ("charge", "refund")
KINDS = ("fx", "fx_in", "fx_diff")
CENT = Decimal("0.01")

booked_at_event = no_bookings


def converted(stripe: StripeBooks) -> list[tuple[JsonDict, JsonDict]]:
    """(balance transaction, its source) for every converted one a posted payout holds."""
    out = []
    by_payout = transactions(stripe)
    for payout in stripe.of("payout"):
        if not posted(payout):
            continue
        for txn in by_payout.get(str(payout["id"]), []):
            source_id = ref(txn.get("source"))
            source = next((s for t in SOURCES if (s := stripe.get(t, source_id))), None)
            if (
                source is not None
                and str(source["currency"]).lower() != str(txn["currency"]).lower()
            ):
                out.append((txn, source))
    return out


def _moves(txn: JsonDict, source: JsonDict) -> tuple[tuple[str, Decimal], tuple[str, Decimal]]:
    """(source currency, what leaves its clearing), (settlement currency, what arrives)."""
    amount = int(str(txn["amount"]))
    sign = -1 if amount < 0 else 1
    src, cur = str(source["currency"]), str(txn["currency"])
    return (src, -sign * money(source["amount"], src)), (cur, money(amount, cur))


def expected_documents(stripe: StripeBooks) -> list[Expected]:
    out = []
    for txn, source in converted(stripe):
        tid = str(txn["id"])
        out.append(Expected("JournalEntry", "fx", tid, str(source["currency"]), many=True))
        out.append(Expected("JournalEntry", "fx_in", tid, str(txn["currency"]), many=True))
        out.append(Expected("JournalEntry", "fx_diff", tid, "", many=True))  # home currency
    return out


def check(ctx: Context) -> list[Violation]:
    out = []
    for txn, source in converted(ctx.stripe):
        tid = str(txn["id"])
        entries = [d for kind in KINDS for d in ctx.qbo.found(kind, tid, "JournalEntry")]
        for currency, amount in _moves(txn, source):
            account = ctx.qbo.account_id(ctx.options.clearing_account(currency))
            moved = sum((_in(currency, d, account, ctx) for d in entries), Decimal(0))
            if account is None or moved != amount:
                detail = f"{currency.upper()} clearing moved {moved}, Stripe's figures {amount}"
                out.append(Violation("conversion", tid, detail))
    return out


def _in(currency: str, doc: JsonDict, account: str | None, ctx: Context) -> Decimal:
    """What a journal entry moves on a clearing account, in that account's currency: a
    foreign entry's line on a home-currency account is worth its amount at the entry's
    ExchangeRate, to the cent (QBO's HomeAmount)."""
    moved = clearing_lines(doc, account)
    if currency_of(doc, ctx.qbo.home) == currency.upper():
        return moved
    rate = amount_of(doc.get("ExchangeRate") or 1)
    return (moved * rate).quantize(CENT, ROUND_HALF_UP)


def clearing_movements(
    stripe: StripeBooks, booked: Mapping[str, Booked]
) -> list[tuple[str, Decimal]]:
    return [move for txn, source in converted(stripe) for move in _moves(txn, source)]
