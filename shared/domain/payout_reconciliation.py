"""The check of one posted payout: Stripe's components against its amount, and QBO's deposit
against the payout's amount and arrival date (a row of ``payout_reconciliations``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, tzinfo
from decimal import Decimal
from typing import Any, Literal

from shared.domain.mapping import CurrencyTerms, date_from_unix
from shared.domain.mapping_payouts import PayoutPlan, StripePayout

Status = Literal["BALANCED", "MISMATCH"]


@dataclass(frozen=True)
class PayoutReconciliation:
    """One check of one payout: Stripe's components against its amount, QBO's deposit too."""

    payout_id: str
    currency: str
    arrival_date: date
    amount: Decimal
    deposit_id: str | None
    deposit_amount: Decimal | None
    deposit_date: date | None
    gross: Decimal
    refunds: Decimal
    fees: Decimal
    adjustments: Decimal
    components: dict[str, Any]
    status: Status
    difference: Decimal
    problems: tuple[str, ...] = ()

    def row(self, checked_at: Any) -> dict[str, Any]:
        return {
            "payout_id": self.payout_id,
            "currency": self.currency,
            "arrival_date": self.arrival_date,
            "amount": self.amount,
            "deposit_id": self.deposit_id,
            "deposit_amount": self.deposit_amount,
            "deposit_date": self.deposit_date,
            "gross": self.gross,
            "refunds": self.refunds,
            "fees": self.fees,
            "adjustments": self.adjustments,
            "components": self.components,
            "status": self.status,
            "difference": self.difference,
            "problems": ", ".join(self.problems) or None,
            "checked_at": checked_at,
        }


def payout_reconciliation_from(
    payout: StripePayout,
    plan: PayoutPlan,
    terms: CurrencyTerms,
    deposit: dict[str, Any] | None,
    *,
    tz: tzinfo = UTC,
) -> PayoutReconciliation:
    """BALANCED when gross - refunds - fees + adjustments equals the payout amount, the payout's
    own balance transaction takes exactly that out, and QBO's deposit has its amount and date."""
    arrival = date_from_unix(payout.arrival_date, tz)
    amount = terms.amount(payout.amount)
    problems: list[str] = []
    # A manual payout's amount is the account holder's choice, not the sum of a batch: only its
    # deposit is checked (its fees were booked from the balance transactions of its window).
    difference_minor = plan.computed_amount - payout.amount if payout.automatic else 0
    if difference_minor:
        problems.append("components_differ")
    if plan.payout_txn_net is not None and plan.payout_txn_net != -payout.amount:
        problems.append("payout_txn_differs")
    deposit_id = deposit_amount = deposit_date = None
    difference = terms.amount(difference_minor)
    if deposit is None:
        problems.append("no_deposit")
    else:
        deposit_id = str(deposit.get("Id"))
        deposit_amount = Decimal(str(deposit.get("TotalAmt", "0")))
        deposit_date = date.fromisoformat(str(deposit.get("TxnDate")))
        if deposit_amount != amount:
            problems.append("deposit_amount_differs")
            if not difference:
                difference = deposit_amount - amount
        if deposit_date != arrival:
            problems.append("deposit_date_differs")
    components = {
        "automatic": payout.automatic,
        "balance_transactions": plan.txn_count,
        "fees_by_kind": {k: str(terms.amount(v)) for k, v in plan.fees.items()},
        "fees_posted": {k: str(terms.amount(v)) for k, v in plan.fees_to_post.items()},
        "suspense": [
            {"txn": s.txn_id, "type": s.txn_type, "net": str(terms.amount(s.net))}
            for s in plan.suspense
        ],
        "connect": [
            {"txn": c.txn_id, "type": c.txn_type, "net": str(terms.amount(c.net)), "to": c.role}
            for c in plan.connect
        ],
    }
    return PayoutReconciliation(
        payout_id=payout.id,
        currency=payout.currency.upper(),
        arrival_date=arrival,
        amount=amount,
        deposit_id=deposit_id,
        deposit_amount=deposit_amount,
        deposit_date=deposit_date,
        gross=terms.amount(plan.gross),
        refunds=terms.amount(plan.refunds),
        fees=terms.amount(plan.total_fees),
        adjustments=terms.amount(plan.adjustments),
        components=components,
        status="MISMATCH" if problems else "BALANCED",
        difference=difference,
        problems=tuple(problems),
    )
