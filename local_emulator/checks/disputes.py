"""Disputes: one journal entry per dispute balance transaction, taking its net (amount and the
dispute fee) out of clearing, and a won dispute's reinstatement putting it back."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from local_emulator.checks.books import (
    Expected,
    StripeBooks,
    money,
    ref,
)
from local_emulator.checks.family import Booked, no_rules


def _net(txn: dict[str, object]) -> int:
    return int(str(txn.get("net", int(str(txn["amount"])) - int(str(txn.get("fee") or 0)))))


def expected_documents(stripe: StripeBooks) -> list[Expected]:
    return [
        Expected("JournalEntry", "dispute_txn", str(t["id"]), str(t["currency"]))
        for t in stripe.dispute_transactions()
    ]


check = no_rules


def booked_at_event(stripe: StripeBooks) -> dict[str, Booked]:
    booked: dict[str, Booked] = {str(d["id"]): "net" for d in stripe.of("dispute")}
    for txn in stripe.dispute_transactions():  # by source, and by the transaction's own id
        booked[ref(txn.get("source"))] = booked[str(txn["id"])] = "net"
    return {k: v for k, v in booked.items() if k}


def clearing_movements(
    stripe: StripeBooks, booked: Mapping[str, Booked]
) -> list[tuple[str, Decimal]]:
    return [
        (str(t["currency"]), money(_net(t), str(t["currency"])))
        for t in stripe.dispute_transactions()
    ]
