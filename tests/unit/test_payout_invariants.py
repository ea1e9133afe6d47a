"""The payout checker finds what is wrong: a missing or wrong deposit, a duplicate, clearing."""

from __future__ import annotations

from typing import Any

from local_emulator.checks.payout_invariants import check_clearing, check_payout_invariants
from local_emulator.harness.scenario import Scenario

T0 = 1_767_225_600
PAYOUT_RULES = {"deposit_count", "deposit_amount", "deposit_date", "fee_entries", "fee_amount",
                "suspense", "reversal", "clearing", "components", "unexpected"}  # fmt: skip


def txn(txn_id: str, txn_type: str, amount: int, fee: int, payout: str | None) -> dict[str, Any]:
    return {
        "id": txn_id, "object": "balance_transaction", "amount": amount, "fee": fee,
        "net": amount - fee, "currency": "usd", "type": txn_type, "created": T0,
        "source": "po_1" if txn_type == "payout" else f"ch_{txn_id}", "payout": payout,
    }  # fmt: skip


def stripe_side(status: str = "paid") -> Scenario:
    payout = {
        "id": "po_1", "object": "payout", "amount": 9_680, "currency": "usd",
        "arrival_date": T0 + 2 * 86_400, "created": T0, "status": status,
        "balance_transaction": "txn_po",
    }  # fmt: skip
    return Scenario(
        objects=[
            txn("txn_1", "charge", 10_000, 320, "po_1"),
            txn("txn_po", "payout", -9_680, 0, "po_1"),
            txn("txn_2", "charge", 5_000, 175, None),  # not paid out yet
            payout,
        ]
    )


def books(clearing: str, deposits: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    fee = {"PrivateNote": "Stripe payout_fees po_1 (processing)", "TotalAmt": "3.20", "Line": []}
    deposit = {"PrivateNote": "Stripe payout po_1", "TotalAmt": "96.80", "TxnDate": "2026-01-03"}
    return {
        "Account": [{"Name": "Stripe Clearing", "CurrentBalance": clearing}],
        "Deposit": [deposit] if deposits is None else deposits,
        "JournalEntry": [fee],
    }


def payout_rules(scenario: Scenario, state: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (v.rule, v.stripe_id)
        for v in check_payout_invariants(scenario, state)
        if v.rule in PAYOUT_RULES
    ]


def test_books_that_agree_pass() -> None:
    # clearing: 50.00 gross of the charge not yet paid out (its fee comes out at its payout)
    assert payout_rules(stripe_side(), books("50.00")) == []


def test_missing_deposit_fails() -> None:
    assert ("deposit_count", "po_1") in payout_rules(stripe_side(), books("50.00", []))


def test_duplicate_or_wrong_deposit_fails() -> None:
    good = {"PrivateNote": "Stripe payout po_1", "TotalAmt": "96.80", "TxnDate": "2026-01-03"}
    wrong = {**good, "TotalAmt": "96.00", "TxnDate": "2026-01-04"}
    assert ("deposit_count", "po_1") in payout_rules(stripe_side(), books("50.00", [good, good]))
    found = payout_rules(stripe_side(), books("50.00", [wrong]))
    assert ("deposit_amount", "po_1") in found and ("deposit_date", "po_1") in found


def test_clearing_off_by_a_cent_fails() -> None:
    assert payout_rules(stripe_side(), books("50.01")) == [("clearing", "Stripe Clearing")]


def test_payout_in_transit_keeps_its_money_in_clearing() -> None:
    objects = stripe_side("in_transit").objects
    state = {"Account": [{"Name": "Stripe Clearing", "CurrentBalance": "150.00"}]}
    txns = [o for o in objects if o["object"] == "balance_transaction"]
    payouts = {"po_1": objects[-1]}
    assert check_clearing(txns, payouts, state) == []
    state["Account"][0]["CurrentBalance"] = "53.20"
    assert [v.rule for v in check_clearing(txns, payouts, state)] == ["clearing"]
