"""The payout rules of the one checker, from Stripe's figures alone: a missing, doubled or wrong
deposit, fee entries that take the wrong amount out of clearing, a missing reversal, Stripe's
own figures that do not add up, and clearing per currency off by a cent."""

from __future__ import annotations

import copy
from typing import Any

from local_emulator.checks.invariants import check_invariants
from local_emulator.harness.scenario import Scenario

T0 = 1_767_225_600
CLEARING, BANK, FEES = "8", "11", "12"


def txn(
    txn_id: str, txn_type: str, amount: int, fee: int, *, source: str, payout: str | None,
    currency: str = "usd",
) -> dict[str, Any]:  # fmt: skip
    return {
        "id": txn_id, "object": "balance_transaction", "amount": amount, "fee": fee,
        "net": amount - fee, "currency": currency, "type": txn_type, "created": T0,
        "source": source, "payout": payout,
    }  # fmt: skip


def charge(charge_id: str, amount: int) -> dict[str, Any]:
    return {"id": charge_id, "object": "charge", "amount": amount, "currency": "usd",
            "status": "succeeded", "created": T0, "customer": None}  # fmt: skip


def stripe_side(status: str = "paid", charge_type: str = "charge") -> Scenario:
    """A 100.00 charge (fee 3.20) and a 5.00 Stripe fee paid out as 91.80; a 50.00 charge
    (fee 1.75) not paid out yet."""
    payout = {
        "id": "po_1", "object": "payout", "amount": 9_180, "currency": "usd",
        "arrival_date": T0 + 2 * 86_400, "created": T0, "status": status,
        "automatic": True, "reconciliation_status": "completed",
        "balance_transaction": "txn_po",
    }  # fmt: skip
    return Scenario(
        objects=[
            charge("ch_1", 10_000),
            charge("ch_2", 5_000),
            txn("txn_1", charge_type, 10_000, 320, source="ch_1", payout="po_1"),
            txn("txn_fee", "stripe_fee", -500, 0, source="", payout="po_1"),
            txn("txn_po", "payout", -9_180, 0, source="po_1", payout="po_1"),
            txn("txn_2", charge_type, 5_000, 175, source="ch_2", payout=None),
            payout,
        ]
    )


def line(amount: str, posting: str, account: str) -> dict[str, Any]:
    detail = {"PostingType": posting, "AccountRef": {"value": account}}
    return {"Amount": amount, "JournalEntryLineDetail": detail}


def books(clearing: str = "50.00", fees: str = "8.20") -> dict[str, Any]:
    """What the posting model books for ``stripe_side()``: the two charges as sales receipts,
    at the payout 3.20 + 5.00 of fees out of clearing and the 91.80 deposit."""
    receipts = [{"Id": n, "PrivateNote": f"Stripe charge ch_{n}", "TotalAmt": a}
                for n, a in (("1", "100.00"), ("2", "50.00"))]  # fmt: skip
    fee = {"Id": "3", "PrivateNote": "Stripe payout_fees po_1 (processing)", "TotalAmt": fees,
           "Line": [line(fees, "Debit", FEES), line(fees, "Credit", CLEARING)]}  # fmt: skip
    deposit = {"Id": "4", "PrivateNote": "Stripe payout po_1", "TotalAmt": "91.80",
               "TxnDate": "2026-01-03"}  # fmt: skip
    return {
        "Account": [{"Id": CLEARING, "Name": "Stripe Clearing", "CurrentBalance": clearing}],
        "SalesReceipt": receipts,
        "Deposit": [deposit],
        "JournalEntry": [fee],
    }


def rules(scenario: Scenario, state: dict[str, Any]) -> set[tuple[str, str]]:
    return {(v.rule, v.stripe_id) for v in check_invariants(scenario, state)}


def test_books_that_agree_pass() -> None:
    # clearing: 150.00 in, 8.20 of fees and 91.80 deposited out: 50.00 (ch_2, not paid out)
    assert rules(stripe_side(), books()) == set()


def test_missing_doubled_or_wrong_deposit_fails() -> None:
    state = books()
    state["Deposit"] = []
    assert ("missing", "po_1") in rules(stripe_side(), state)
    state["Deposit"] = [books()["Deposit"][0]] * 2
    assert ("duplicate", "po_1") in rules(stripe_side(), state)
    state["Deposit"] = [{**books()["Deposit"][0], "TotalAmt": "91.00", "TxnDate": "2026-01-04"}]
    found = rules(stripe_side(), state)
    assert ("amount", "po_1") in found and ("deposit_date", "po_1") in found


def test_fees_taken_wrong_fail_on_the_payout_and_on_clearing() -> None:
    found = rules(stripe_side(), books(clearing="55.00", fees="3.20"))  # Stripe's fee forgotten
    assert found == {("payout_fees", "po_1"), ("clearing", "Stripe Clearing")}


def test_a_misclassified_type_is_caught_whatever_the_sync_calls_it() -> None:
    """Stripe names a card payment ``payment`` instead of ``charge``: the checker goes by the
    source object (a charge booked gross), not by the type, so the fee is still due."""
    scenario = stripe_side(charge_type="payment")
    assert rules(scenario, books()) == set()
    wrong = books(clearing="-46.80", fees="105.00")  # its net sent to suspense as if unknown
    assert ("payout_fees", "po_1") in rules(scenario, wrong)


def test_clearing_off_by_a_cent_fails() -> None:
    assert rules(stripe_side(), books(clearing="50.01")) == {("clearing", "Stripe Clearing")}


def test_a_payout_in_transit_books_nothing_yet() -> None:
    state = books(clearing="150.00")
    state["Deposit"], state["JournalEntry"] = [], []
    assert rules(stripe_side("in_transit"), state) == set()
    early = books(clearing="150.00")
    assert ("unexpected", "po_1") in rules(stripe_side("in_transit"), early)


def test_a_failed_payout_needs_its_reversal() -> None:
    scenario = stripe_side("failed")
    state = books(clearing="141.80")  # the deposit came back to clearing
    assert ("missing", "po_1") in rules(scenario, state)
    lines = [line("91.80", "Debit", CLEARING), line("91.80", "Credit", BANK)]
    reversal = {"Id": "5", "PrivateNote": "Stripe payout_reversal po_1 (failed)", "Line": lines}
    state["JournalEntry"].append(reversal)
    assert rules(scenario, state) == set()
    reversal["Line"][0]["Amount"] = "90.00"
    assert ("reversal", "po_1") in rules(scenario, state)


def test_stripe_figures_that_do_not_add_up_are_reported() -> None:
    scenario = stripe_side()
    broken = copy.deepcopy(scenario)
    broken.objects[-1]["amount"] = 9_000
    assert ("components", "po_1") in rules(broken, books())


def test_clearing_is_per_currency() -> None:
    scenario = stripe_side()
    scenario.objects.append(
        txn("txn_e", "stripe_fee", -100, 0, source="", payout=None, currency="eur")
    )
    state = books()
    state["Account"].append({"Id": "20", "Name": "Stripe Clearing EUR", "CurrentBalance": "1.00"})
    assert rules(scenario, state) == {("clearing", "Stripe Clearing EUR")}


def test_a_payout_stripe_has_not_reconciled_books_nothing_yet() -> None:
    scenario = stripe_side()
    scenario.objects[-1]["reconciliation_status"] = "in_progress"
    state = books(clearing="150.00")
    state["Deposit"], state["JournalEntry"] = [], []
    assert rules(scenario, state) == set()
    assert ("unexpected", "po_1") in rules(scenario, books())  # posted before Stripe finished


def test_a_manual_payout_books_its_windows_fees_and_deposits_its_amount() -> None:
    """Stripe names no payout on the transactions: the window (after the previous manual
    payout, up to this one) says which fees are due; the amount is the holder's choice."""
    scenario = stripe_side()
    payout = scenario.objects[-1]
    payout.update(automatic=False, reconciliation_status="not_applicable", amount=9_000)
    for obj in scenario.objects:
        if obj["object"] == "balance_transaction":
            obj.pop("payout")
            if obj["id"] == "txn_2":
                obj["created"] = T0 + 10  # after the payout: the next window's
            if obj["id"] == "txn_po":
                obj.update(amount=-9_000, net=-9_000)  # its own movement
    state = books(clearing="51.80")  # 150.00 - 8.20 fees - 90.00 paid out
    state["Deposit"][0]["TotalAmt"] = "90.00"
    assert rules(scenario, state) == set()
    fees = [line("9.95", "Debit", FEES), line("9.95", "Credit", CLEARING)]
    state["JournalEntry"][0]["Line"] = fees
    assert ("payout_fees", "po_1") in rules(scenario, state)  # ch_2's fee is not this one's
