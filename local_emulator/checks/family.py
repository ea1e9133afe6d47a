"""What a family of Stripe objects tells the checker. One module per family (invoices, payments,
credit notes, refunds, disputes, customers, payouts) implements it; ``invariants`` runs them all.

A family may leave any part empty. ``booked_at_event`` names the balance-transaction sources
whose money a posting already moved through clearing when the object itself was synced:
``"amount"`` (booked gross: the fee comes out at the payout) or ``"net"`` (amount and fee
booked: nothing is left for the payout). Whatever a payout holds beyond that, the payout books.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, Protocol

from local_emulator.checks.books import Expected, Options, QboIndex, StripeBooks, Violation

Booked = Literal["amount", "net"]


@dataclass(frozen=True)
class Context:
    """What a family's rules read: both sides, the options, and every family's bookings."""

    stripe: StripeBooks
    qbo: QboIndex
    options: Options
    booked: Mapping[str, Booked]


class Family(Protocol):
    def expected_documents(self, stripe: StripeBooks) -> list[Expected]:
        """Every QBO document (other than customers) the posting model calls for."""
        ...

    def check(self, ctx: Context) -> list[Violation]:
        """Rules beyond one document per object (balances, dates, sums)."""
        ...

    def booked_at_event(self, stripe: StripeBooks) -> dict[str, Booked]:
        """Balance-transaction source id -> what its own posting moved through clearing."""
        ...

    def clearing_movements(
        self, stripe: StripeBooks, booked: Mapping[str, Booked]
    ) -> list[tuple[str, Decimal]]:
        """(currency, amount) the family's postings move through clearing; + is a debit."""
        ...


# What a family without that part says (``check = no_rules`` in its module).
def no_documents(stripe: StripeBooks) -> list[Expected]:
    return []


def no_rules(ctx: Context) -> list[Violation]:
    return []


def no_bookings(stripe: StripeBooks) -> dict[str, Booked]:
    return {}


def no_movements(stripe: StripeBooks, booked: Mapping[str, Booked]) -> list[tuple[str, Decimal]]:
    return []
