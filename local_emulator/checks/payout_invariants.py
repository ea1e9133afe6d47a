"""Payouts checked against QBO's state: one deposit each, fees and suspense, and clearing.

The clearing invariant, per currency ``c`` (balance transactions ``b`` of ``c``; a payout is
*posted* once it is paid, failed or canceled: the sync has then booked its fees, suspense and
deposit, and for a failed one the reversal)::

    clearing(c) = Σ net(b)                         every balance transaction, except the
                                                   payout's own for a payout not yet posted
                + Σ fee(b)  for charge/refund b    not in a posted payout (payments are booked
                                                   gross; their fees come out at the payout)
                - Σ net(b)  for Stripe-fee and     not in a posted payout (only a payout books
                            unknown-type b         them)

The first sum is what Stripe holds plus what is on its way to the bank; once every payout is
posted and nothing is in transit, clearing equals exactly what Stripe still holds. Dispute
movements and returned payouts need no correction: their journal entries (the dispute's, the
reversal) move clearing by their net when they happen.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from local_emulator.checks.invariants import MARKER, Violation, check_invariants
from local_emulator.harness.scenario import Scenario
from shared.domain.mapping_payouts import (
    StripePayout,
    payout_plan_from_balance_transactions,
    treatment_of,
)
from shared.domain.money import decimal_from_minor
from shared.domain.stripe_payments import StripeBalanceTransaction

JsonDict = dict[str, Any]
POSTED = ("paid", "failed", "canceled")
PAYOUT_KINDS = ("payout", "payout_fees", "payout_suspense", "payout_reversal")


def _amount(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value if value is not None else 0))


def _marked(qbo_state: JsonDict) -> dict[tuple[str, str], list[tuple[str, JsonDict]]]:
    found: dict[tuple[str, str], list[tuple[str, JsonDict]]] = defaultdict(list)
    for entity in ("Deposit", "JournalEntry"):
        for doc in qbo_state.get(entity, []):
            match = MARKER.search(str(doc.get("PrivateNote") or ""))
            if match and match.group(1) in PAYOUT_KINDS:
                found[(match.group(1), match.group(2))].append((entity, doc))
    return found


def _payout_of(txn: JsonDict) -> str | None:
    value = txn.get("payout")
    return str(value) if value else None


def expected_clearing(txns: Iterable[JsonDict], payouts: dict[str, JsonDict]) -> dict[str, int]:
    """Currency -> the clearing balance the books should show, in minor units."""
    expected: dict[str, int] = defaultdict(int)
    for raw in txns:
        txn = StripeBalanceTransaction.model_validate(raw)
        payout_id = _payout_of(raw)
        payout = payouts.get(payout_id or "")
        posted = payout is not None and payout.get("status") in POSTED
        how = treatment_of(txn, payout_id or "")
        if txn.type == "payout":
            if payout is not None and posted:
                expected[txn.currency] += txn.net_amount
            continue
        expected[txn.currency] += txn.net_amount
        if not posted and how == "fee_only":
            expected[txn.currency] += txn.fee
        elif not posted and how in ("stripe_fee", "suspense"):
            expected[txn.currency] -= txn.net_amount
    return dict(expected)


def _check_payout(
    payout: StripePayout, txns: list[JsonDict], marked: dict[Any, Any], home: str
) -> list[Violation]:
    out: list[Violation] = []
    plan = payout_plan_from_balance_transactions(
        payout, [StripeBalanceTransaction.model_validate(t) for t in txns]
    )
    deposits = marked.get(("payout", payout.id), [])
    posted = payout.status in POSTED
    if len(deposits) != (1 if posted else 0):
        out.append(Violation("deposit_count", payout.id, f"{len(deposits)} deposits"))
    amount = decimal_from_minor(payout.amount, payout.currency)
    arrival = datetime.fromtimestamp(payout.arrival_date, UTC).date().isoformat()
    for _, doc in deposits[:1]:
        if _amount(doc.get("TotalAmt")) != amount:
            out.append(Violation("deposit_amount", payout.id, f"{doc.get('TotalAmt')} != {amount}"))
        if str(doc.get("TxnDate")) != arrival:
            out.append(Violation("deposit_date", payout.id, f"{doc.get('TxnDate')} != {arrival}"))
    if plan.computed_amount != payout.amount:
        out.append(Violation("components", payout.id, f"{plan.computed_amount} != amount"))
    fees = marked.get(("payout_fees", payout.id), [])
    want_fees = len(plan.fees_to_post) if posted else 0
    if len(fees) != want_fees:
        out.append(Violation("fee_entries", payout.id, f"{len(fees)} != {want_fees}"))
    posted_fees = sum((_amount(d.get("TotalAmt")) for _, d in fees), Decimal(0))
    want = sum(abs(v) for v in plan.fees_to_post.values()) if posted else 0
    if posted_fees != decimal_from_minor(want, payout.currency):
        out.append(Violation("fee_amount", payout.id, f"{posted_fees} posted"))
    suspense = marked.get(("payout_suspense", payout.id), [])
    if len(suspense) != (1 if posted and any(s.net for s in plan.suspense) else 0):
        out.append(Violation("suspense", payout.id, f"{len(suspense)} suspense entries"))
    reversals = marked.get(("payout_reversal", payout.id), [])
    if len(reversals) != (1 if payout.status in ("failed", "canceled") else 0):
        out.append(Violation("reversal", payout.id, f"{len(reversals)} reversals"))
    return out


def check_payout_invariants(
    scenario: Scenario, qbo_state: JsonDict, *, home_currency: str = "usd",
    clearing_account_name: str = "Stripe Clearing",
) -> list[Violation]:  # fmt: skip
    """Every payout rule that QBO's books break (empty: they hold), plus every other posting
    invariant of ``checks.invariants`` (its clearing rule replaced by the one above)."""
    state = [o for o in scenario.seed_state() if o.get("object") != "event"]
    txns = [o for o in state if o.get("object") == "balance_transaction"]
    payouts = {str(o["id"]): o for o in state if o.get("object") == "payout"}
    by_payout: dict[str, list[JsonDict]] = defaultdict(list)
    for txn in txns:
        if _payout_of(txn):
            by_payout[str(_payout_of(txn))].append(txn)
    marked = _marked(qbo_state)
    others = check_invariants(
        scenario,
        qbo_state,
        home_currency=home_currency,
        clearing_account_name=clearing_account_name,
    )
    # the general checker does not know payouts: its clearing rule is replaced by ours
    out = [
        v
        for v in others
        if v.rule != "clearing" and not (v.rule == "unexpected" and v.stripe_id.startswith("po_"))
    ]
    for payout_id, raw in sorted(payouts.items()):
        payout = StripePayout.model_validate(raw)
        out.extend(_check_payout(payout, by_payout.get(payout_id, []), marked, home_currency))
    for kind, stripe_id in marked:
        if stripe_id not in payouts:
            out.append(Violation("unexpected", stripe_id, f"{kind} for an unknown payout"))
    out.extend(check_clearing(txns, payouts, qbo_state, home_currency, clearing_account_name))
    return out


def check_clearing(
    txns: list[JsonDict],
    payouts: dict[str, JsonDict],
    qbo_state: JsonDict,
    home_currency: str = "usd",
    clearing_account_name: str = "Stripe Clearing",
) -> list[Violation]:
    expected = expected_clearing(txns, payouts)
    accounts = {str(a.get("Name")): a for a in qbo_state.get("Account", [])}
    out = []
    for currency, minor in sorted(expected.items()):
        home = currency.lower() == home_currency.lower()
        name = clearing_account_name if home else f"{clearing_account_name} {currency.upper()}"
        actual = _amount((accounts.get(name) or {}).get("CurrentBalance"))
        want = decimal_from_minor(minor, currency)
        if actual != want:
            out.append(Violation("clearing", name, f"Stripe implies {want}, QBO has {actual}"))
    return out


__all__ = ["check_clearing", "check_payout_invariants", "expected_clearing"]
