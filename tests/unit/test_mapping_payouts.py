"""Pure payout mapping: fees by kind, suspense for unknown types, the deposit, the check."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from shared.domain.mapping import CurrencyTerms
from shared.domain.mapping_payouts import (
    PayoutAccounts,
    StripePayout,
    payout_plan_from_balance_transactions,
    qbo_deposit_from_payout,
    qbo_fee_entry_from_payout,
    qbo_reversal_from_failed_payout,
    qbo_suspense_entry_from_payout,
)
from shared.domain.payout_reconciliation import payout_reconciliation_from
from shared.domain.qbo_models import Ref
from shared.domain.stripe_payments import StripeBalanceTransaction

T0 = 1_767_225_600  # 2026-01-01
USD = CurrencyTerms("usd", "usd")
ACCOUNTS = PayoutAccounts(
    clearing=Ref(value="1"), bank=Ref(value="2"), fees=Ref(value="3"), suspense=Ref(value="4")
)


def bt(txn_id: str, txn_type: str, amount: int, fee: int = 0, source: str | None = None) -> Any:
    return StripeBalanceTransaction(
        id=txn_id,
        amount=amount,
        fee=fee,
        net=amount - fee,
        currency="usd",
        type=txn_type,
        created=T0,
        source=source,
    )


def payout(amount: int, **fields: Any) -> StripePayout:
    return StripePayout.model_validate(
        {
            "id": "po_1",
            "amount": amount,
            "currency": "usd",
            "arrival_date": T0 + 2 * 86_400,
            "created": T0,
            "status": "paid",
            **fields,
        }
    )


MIXED = [
    bt("txn_c1", "charge", 10_000, 320, "ch_1"),
    bt("txn_c2", "charge", 5_000, 175, "ch_2"),
    bt("txn_r1", "refund", -2_000, 0, "re_1"),
    bt("txn_d1", "adjustment", -5_000, 1_500, "du_1"),
    bt("txn_f1", "stripe_fee", -400, 0),
    bt("txn_u1", "something_new", 700, 0),
    bt("txn_po", "payout", -6_305, 0, "po_1"),
]


def test_plan_splits_components_and_fee_kinds() -> None:
    plan = payout_plan_from_balance_transactions(payout(6_305), MIXED)
    assert (plan.gross, plan.refunds, plan.adjustments) == (15_000, 2_000, -4_300)
    assert plan.fees == {"processing": 495, "dispute": 1_500, "other": 400}
    # dispute fees are booked by the dispute's journal entries: never twice
    assert plan.fees_to_post == {"processing": 495, "other": 400}
    assert [(s.txn_id, s.net) for s in plan.suspense] == [("txn_u1", 700)]
    assert plan.computed_amount == 6_305 and plan.payout_txn_net == -6_305


def test_fee_entry_moves_fees_out_of_clearing() -> None:
    entry = qbo_fee_entry_from_payout(payout(6_305), "processing", 495, ACCOUNTS, USD).to_qbo()
    lines = [
        (line["Amount"], line["JournalEntryLineDetail"]["PostingType"],
         line["JournalEntryLineDetail"]["AccountRef"]["value"])
        for line in entry["Line"]
    ]  # fmt: skip
    assert lines == [(Decimal("4.95"), "Debit", "3"), (Decimal("4.95"), "Credit", "1")]
    assert entry["PrivateNote"] == "Stripe payout_fees po_1 (processing)"
    assert entry["TxnDate"] == "2026-01-03" and len(entry["DocNumber"]) <= 21


def test_negative_fees_reverse_the_entry() -> None:
    entry = qbo_fee_entry_from_payout(payout(100), "other", -50, ACCOUNTS, USD).to_qbo()
    sides = [line["JournalEntryLineDetail"]["PostingType"] for line in entry["Line"]]
    assert sides == ["Credit", "Debit"]


def test_unknown_types_go_to_suspense_through_clearing() -> None:
    plan = payout_plan_from_balance_transactions(
        payout(0), [bt("txn_u1", "something_new", 700), bt("txn_u2", "brand_new", -200)]
    )
    entry = qbo_suspense_entry_from_payout(payout(500), plan.suspense, ACCOUNTS, USD)
    assert entry is not None
    body = entry.to_qbo()
    lines = [
        (line["Amount"], line["JournalEntryLineDetail"]["PostingType"],
         line["JournalEntryLineDetail"]["AccountRef"]["value"])
        for line in body["Line"]
    ]  # fmt: skip
    assert lines == [
        (Decimal("7.00"), "Credit", "4"),
        (Decimal("2.00"), "Debit", "4"),
        (Decimal("5.00"), "Debit", "1"),
    ]
    assert body["PrivateNote"] == "Stripe payout_suspense po_1"
    assert qbo_suspense_entry_from_payout(payout(0), (), ACCOUNTS, USD) is None


def test_deposit_has_the_payout_amount_and_arrival_date() -> None:
    body = qbo_deposit_from_payout(payout(6_305), ACCOUNTS, USD).to_qbo()
    assert body["DepositToAccountRef"] == {"value": "2"}
    assert body["TxnDate"] == "2026-01-03"
    assert body["Line"] == [
        {
            "Amount": Decimal("63.05"),
            "Description": "Stripe payout po_1",
            "DetailType": "DepositLineDetail",
            "DepositLineDetail": {"AccountRef": {"value": "1"}},
        }
    ]
    assert body["PrivateNote"] == "Stripe payout po_1"


def test_foreign_deposit_carries_currency_and_rate() -> None:
    eur = CurrencyTerms("eur", "usd", Decimal("1.08"))
    body = qbo_deposit_from_payout(payout(1_000, currency="eur"), ACCOUNTS, eur).to_qbo()
    assert body["CurrencyRef"] == {"value": "EUR"} and body["ExchangeRate"] == Decimal("1.08")


def test_zero_decimal_currency() -> None:
    jpy = CurrencyTerms("jpy", "usd", Decimal("0.0067"))
    body = qbo_deposit_from_payout(payout(19_800, currency="jpy"), ACCOUNTS, jpy).to_qbo()
    assert body["Line"][0]["Amount"] == Decimal("19800")


def test_reversal_returns_the_funds_to_clearing() -> None:
    failed = payout(6_305, status="failed", failure_code="account_closed")
    body = qbo_reversal_from_failed_payout(failed, ACCOUNTS, USD, date(2026, 1, 5)).to_qbo()
    sides = [
        (line["JournalEntryLineDetail"]["PostingType"],
         line["JournalEntryLineDetail"]["AccountRef"]["value"])
        for line in body["Line"]
    ]  # fmt: skip
    assert sides == [("Debit", "1"), ("Credit", "2")]
    assert body["TxnDate"] == "2026-01-05"
    assert body["PrivateNote"].startswith("Stripe payout_reversal po_1")


def deposit(amount: str, day: str = "2026-01-03") -> dict[str, Any]:
    return {"Id": "77", "TotalAmt": Decimal(amount), "TxnDate": day}


def test_reconciliation_balanced() -> None:
    plan = payout_plan_from_balance_transactions(payout(6_305), MIXED)
    check = payout_reconciliation_from(payout(6_305), plan, USD, deposit("63.05"))
    assert check.status == "BALANCED" and check.difference == 0 and check.problems == ()
    assert (check.gross, check.refunds, check.fees, check.adjustments) == (
        Decimal("150.00"), Decimal("20.00"), Decimal("23.95"), Decimal("-43.00"),
    )  # fmt: skip
    row = check.row("now")
    assert row["deposit_id"] == "77" and row["components"]["fees_by_kind"]["dispute"] == "15.00"


def test_reconciliation_mismatch_on_components() -> None:
    plan = payout_plan_from_balance_transactions(payout(6_305), MIXED[:-2])
    check = payout_reconciliation_from(payout(6_305), plan, USD, deposit("63.05"))
    assert check.status == "MISMATCH" and "components_differ" in check.problems
    assert check.difference == Decimal("-7.00")


def test_reconciliation_mismatch_on_deposit() -> None:
    plan = payout_plan_from_balance_transactions(payout(6_305), MIXED)
    wrong_amount = payout_reconciliation_from(payout(6_305), plan, USD, deposit("63.00"))
    assert wrong_amount.status == "MISMATCH" and wrong_amount.difference == Decimal("-0.05")
    wrong_day = payout_reconciliation_from(payout(6_305), plan, USD, deposit("63.05", "2026-01-04"))
    assert wrong_day.problems == ("deposit_date_differs",)
    missing = payout_reconciliation_from(payout(6_305), plan, USD, None)
    assert missing.status == "MISMATCH" and missing.deposit_id is None


def test_connect_types_have_their_own_accounts_and_unknown_ones_stay_in_suspense() -> None:
    from shared.domain.mapping_payouts import qbo_connect_entry_from_payout, treatment_of

    fee_refund = bt("txn_k3", "application_fee_refund", -300)
    reversal = bt("txn_k4", "transfer_refund", 2_000).model_copy(
        update={"reporting_category": "transfer_reversal"}
    )
    txns = [
        bt("txn_k1", "application_fee", 1_200, 0, "fee_1"),
        bt("txn_k2", "transfer", -9_000, 0, "tr_1"),
        fee_refund,
        reversal,
        bt("txn_k5", "connect_collection_transfer", 500),
        bt("txn_u1", "something_new", 700),
    ]
    assert [treatment_of(t, "po_1") for t in txns] == [*["connect"] * 5, "suspense"]
    plan = payout_plan_from_balance_transactions(payout(-4_900), txns)
    assert [c.role for c in plan.connect] == [
        "platform_fees", "connect_transfers", "platform_fee_refunds",
        "connect_transfers", "connect_transfers",
    ]  # fmt: skip
    assert [s.txn_id for s in plan.suspense] == ["txn_u1"] and not plan.fees_to_post
    roles = {
        "platform_fees": Ref(value="7"),
        "platform_fee_refunds": Ref(value="8"),
        "connect_transfers": Ref(value="9"),
    }
    entry = qbo_connect_entry_from_payout(payout(-4_900), plan.connect, ACCOUNTS, roles, USD)
    assert entry is not None and entry.PrivateNote == "Stripe payout_connect po_1"
    lines = [
        (
            ln.JournalEntryLineDetail.AccountRef.value,
            ln.JournalEntryLineDetail.PostingType,
            ln.Amount,
        )
        for ln in entry.Line
    ]
    assert lines == [
        ("7", "Credit", Decimal("12.00")),
        ("9", "Debit", Decimal("90.00")),
        ("8", "Debit", Decimal("3.00")),
        ("9", "Credit", Decimal("20.00")),
        ("9", "Credit", Decimal("5.00")),
        ("1", "Credit", Decimal("56.00")),  # clearing: Stripe paid out 56.00 more than it got
    ]
