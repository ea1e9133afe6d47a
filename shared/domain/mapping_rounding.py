"""Pure mappers for the rounding entries of three-decimal currencies (``rounding``, rule 3):
what a payment or a payout leaves in clearing because QBO holds 2 decimal places, moved to the
rounding account, so that clearing matches Stripe after every payout."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from shared.domain.idempotency import doc_number_from_stripe_number
from shared.domain.mapping import CurrencyTerms, marker
from shared.domain.mapping_payouts import (
    PayoutPlan,
    StripePayout,
    treatment_of,
)
from shared.domain.qbo_models import (
    JournalEntryLineDetail,
    QboJournalEntry,
    QboJournalLine,
    Ref,
)
from shared.domain.rounding import books_amount, rounds
from shared.domain.stripe_payments import StripeBalanceTransaction


@dataclass(frozen=True)
class RoundingAccounts:
    clearing: Ref
    rounding: Ref


def clearing_bookings(
    payout: StripePayout, plan: PayoutPlan, txns: Iterable[StripeBalanceTransaction]
) -> list[int]:
    """The signed amounts (minor units) the posting rules book through clearing for a payout's
    balance transactions, one per posting: payments and receipts gross, refunds and their
    reversals, each dispute movement's net, what came back of a failed payout, the payout's
    fees by kind and its unclassified items. The deposit is not among them."""
    booked: list[int] = []
    for txn in txns:
        how = treatment_of(txn, payout.id)
        if how in ("fee_only", "returned"):
            booked.append(txn.amount)
        elif how == "dispute":
            booked.append(txn.net_amount)
    booked.extend(-amount for amount in plan.fees_to_post.values())
    booked.extend(item.net for item in (*plan.suspense, *plan.connect))
    return booked


def payout_rounding(payout: StripePayout, bookings: Iterable[int]) -> Decimal:
    """What the bookings, each rounded on its own, leave in clearing once the deposit (rounded
    too) has taken the payout's amount: zero for every currency QBO holds exactly."""
    if not rounds(payout.currency):
        return Decimal(0)
    booked = sum((books_amount(b, payout.currency) for b in bookings), Decimal(0))
    return booked - books_amount(payout.amount, payout.currency)


def qbo_rounding_entry(
    stripe_id: str,
    kind: str,
    residual: Decimal,
    accounts: RoundingAccounts,
    terms: CurrencyTerms,
    *,
    on: date,
) -> QboJournalEntry:
    """``residual`` out of clearing into the rounding account (a negative one the other way)."""
    label = f"Rounding to 2 decimal places, Stripe {kind} {stripe_id}"

    def line(amount: Decimal, account: Ref) -> QboJournalLine:
        return QboJournalLine(
            Amount=abs(amount),
            Description=label,
            JournalEntryLineDetail=JournalEntryLineDetail(
                PostingType="Debit" if amount > 0 else "Credit", AccountRef=account
            ),
        )

    return QboJournalEntry(
        TxnDate=on,
        DocNumber=doc_number_from_stripe_number(f"{stripe_id}-Q"),
        Line=[line(residual, accounts.rounding), line(-residual, accounts.clearing)],
        PrivateNote=marker(f"{kind}_rounding", stripe_id),
        **terms.fields(),
    )
