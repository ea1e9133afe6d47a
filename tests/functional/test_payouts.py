"""Payouts through the worker against the fake servers: deposit, fees, suspense, reversal."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask.testing import FlaskClient

from local_emulator.harness.stack import LocalStack
from tests.functional.conftest import T0
from tests.functional.test_posting import balance, entities, sync

DAY = 86_400


def txn(
    txn_id: str, txn_type: str, amount: int, fee: int, source: str, *, payout: str
) -> dict[str, Any]:
    return {
        "id": txn_id,
        "object": "balance_transaction",
        "amount": amount,
        "fee": fee,
        "net": amount - fee,
        "currency": "usd",
        "type": txn_type,
        "created": T0 + 10,
        "source": source,
        "status": "available",
        "reporting_category": txn_type,
        "payout": payout,
    }


def seed_payout(
    stack: LocalStack, payout_id: str, txns: list[dict[str, Any]], **fields: Any
) -> dict[str, Any]:
    amount = sum(t["net"] for t in txns)
    own = txn(f"txn_{payout_id}", "payout", -amount, 0, payout_id, payout=payout_id)
    payout = {
        "id": payout_id,
        "object": "payout",
        "amount": amount,
        "currency": "usd",
        "arrival_date": T0 + 3 * DAY,
        "created": T0 + DAY,
        "status": "paid",
        "automatic": True,
        "reconciliation_status": "completed",
        "balance_transaction": own["id"],
        "failure_balance_transaction": None,
        **fields,
    }
    for obj in [*txns, own, payout]:
        stack.fake_stripe.seed_object(obj)
    return payout


def sales_receipt(stack: LocalStack, charge_id: str, amount: int) -> None:
    stack.fake_stripe.seed_object(
        {
            "id": charge_id,
            "object": "charge",
            "amount": amount,
            "amount_refunded": 0,
            "currency": "usd",
            "customer": "cus_A",
            "status": "succeeded",
            "paid": True,
            "created": T0 + 5,
        }
    )


def warehouse_rows(stack: LocalStack, sql: str) -> list[dict[str, Any]]:
    return stack.warehouse.query(sql)


def test_payout_posts_fees_and_one_deposit(stack: LocalStack, client: FlaskClient) -> None:
    sales_receipt(stack, "ch_1", 10_000)
    sales_receipt(stack, "ch_2", 5_000)
    sync(client, "charge", "ch_1")
    sync(client, "charge", "ch_2")
    seed_payout(
        stack,
        "po_1",
        [
            txn("txn_1", "charge", 10_000, 320, "ch_1", payout="po_1"),
            txn("txn_2", "charge", 5_000, 175, "ch_2", payout="po_1"),
        ],
    )
    body = sync(client, "payout", "po_1")
    assert body["outcome"] == "COMPLETED" and body["qbo_entity"] == "Deposit"
    assert sync(client, "payout", "po_1")["outcome"] == "SKIPPED"  # already in sync
    (deposit,) = entities(stack.fake_qbo, "Deposit")
    assert Decimal(str(deposit["TotalAmt"])) == Decimal("145.05")
    assert deposit["TxnDate"] == "2026-01-04"
    assert deposit["PrivateNote"] == "Stripe payout po_1"
    (fees,) = entities(stack.fake_qbo, "JournalEntry")
    assert fees["PrivateNote"] == "Stripe payout_fees po_1 (processing)"
    assert balance(stack.fake_qbo, "Stripe Clearing") == 0
    assert balance(stack.fake_qbo, "Operating Bank") == Decimal("145.05")
    assert balance(stack.fake_qbo, "Stripe Fees") == Decimal("4.95")
    (row,) = warehouse_rows(stack, "SELECT * FROM payout_reconciliations_current")
    assert row["status"] == "BALANCED" and row["deposit_id"] == deposit["Id"]
    assert row["difference"] == 0 and row["fees"] == Decimal("4.95")


def test_unknown_type_goes_to_suspense(stack: LocalStack, client: FlaskClient) -> None:
    sales_receipt(stack, "ch_3", 10_000)
    sync(client, "charge", "ch_3")
    seed_payout(
        stack,
        "po_2",
        [
            txn("txn_3", "charge", 10_000, 320, "ch_3", payout="po_2"),
            txn("txn_4", "something_new", 700, 0, "xyz_1", payout="po_2"),
        ],
    )
    sync(client, "payout", "po_2")
    (deposit,) = entities(stack.fake_qbo, "Deposit")
    assert Decimal(str(deposit["TotalAmt"])) == Decimal("103.80")
    notes = sorted(str(j["PrivateNote"]) for j in entities(stack.fake_qbo, "JournalEntry"))
    assert notes == ["Stripe payout_fees po_2 (processing)", "Stripe payout_suspense po_2"]
    assert balance(stack.fake_qbo, "Stripe Clearing") == 0
    assert balance(stack.fake_qbo, "Stripe Suspense") == Decimal("7.00")
    (row,) = warehouse_rows(stack, "SELECT status FROM payout_reconciliations_current")
    assert row["status"] == "BALANCED"


def test_failed_payout_is_reversed(stack: LocalStack, client: FlaskClient) -> None:
    sales_receipt(stack, "ch_5", 10_000)
    sync(client, "charge", "ch_5")
    seed_payout(
        stack,
        "po_3",
        [txn("txn_5", "charge", 10_000, 320, "ch_5", payout="po_3")],
        status="failed",
        failure_code="account_closed",
    )
    body = sync(client, "payout", "po_3")
    assert body["reason"] == "payout failed: deposit reversed"
    assert len(entities(stack.fake_qbo, "Deposit")) == 1
    assert balance(stack.fake_qbo, "Operating Bank") == 0
    assert balance(stack.fake_qbo, "Stripe Clearing") == Decimal("96.80")  # Stripe holds it


def test_pending_payout_waits(stack: LocalStack, client: FlaskClient) -> None:
    seed_payout(
        stack,
        "po_4",
        [txn("txn_6", "charge", 1_000, 59, "ch_6", payout="po_4")],
        status="in_transit",
    )
    assert sync(client, "payout", "po_4")["outcome"] == "SKIPPED"
    assert entities(stack.fake_qbo, "Deposit") == []


def test_lost_answer_heals_without_duplicates(stack: LocalStack, client: FlaskClient) -> None:
    stack.fake_qbo.faults.set("qbo_drop_response", 0.5)
    seed_payout(stack, "po_5", [txn("txn_7", "charge", 2_000, 88, "ch_7", payout="po_5")])
    for attempt in range(12):
        response = client.post(
            "/",
            json={"object_type": "payout", "object_id": "po_5"},
            headers={
                "Authorization": "Bearer local-dev-token",
                "X-CloudTasks-TaskName": "t-po_5",
                "X-CloudTasks-TaskRetryCount": str(attempt),
            },
        )
        if response.status_code == 200 and response.get_json()["outcome"] in (
            "COMPLETED",
            "SKIPPED",
        ):
            break
    stack.fake_qbo.faults.set("qbo_drop_response", 0.0)
    sync(client, "payout", "po_5", retry=13)
    assert len(entities(stack.fake_qbo, "Deposit")) == 1
    assert len(entities(stack.fake_qbo, "JournalEntry")) == 1


def test_every_page_of_balance_transactions_counts(stack: LocalStack, client: FlaskClient) -> None:
    txns = [
        txn(f"txn_p{i:03d}", "charge", 1_000, 59, f"ch_p{i}", payout="po_6") for i in range(150)
    ]
    seed_payout(stack, "po_6", txns)
    sync(client, "payout", "po_6")
    (deposit,) = entities(stack.fake_qbo, "Deposit")
    assert Decimal(str(deposit["TotalAmt"])) == Decimal("1411.50")
    (row,) = warehouse_rows(stack, "SELECT * FROM payout_reconciliations_current")
    assert row["status"] == "BALANCED" and row["components"]["balance_transactions"] == 150


def test_a_payout_stripe_is_still_reconciling_waits(stack: LocalStack, client: FlaskClient) -> None:
    sales_receipt(stack, "ch_8", 10_000)
    sync(client, "charge", "ch_8")
    seed_payout(
        stack,
        "po_7",
        [txn("txn_8", "charge", 10_000, 320, "ch_8", payout="po_7")],
        reconciliation_status="in_progress",
    )
    body = sync(client, "payout", "po_7")
    assert body["outcome"] == "SKIPPED" and "in_progress" in body["reason"]
    assert entities(stack.fake_qbo, "Deposit") == []
    stack.fake_stripe.seed_object(
        {**stack.fake_stripe.get("po_7"), "reconciliation_status": "completed"}
    )
    assert sync(client, "payout", "po_7")["outcome"] == "COMPLETED"
    assert balance(stack.fake_qbo, "Stripe Clearing") == 0


def test_a_payout_posted_early_is_completed_not_frozen(
    stack: LocalStack, client: FlaskClient
) -> None:
    """An older run posted the payout while Stripe listed only part of it: once Stripe lists
    all of it, the fee entry is updated in place (no second entry), clearing is exact."""
    sales_receipt(stack, "ch_9", 10_000)
    sales_receipt(stack, "ch_10", 5_000)
    sync(client, "charge", "ch_9")
    sync(client, "charge", "ch_10")
    first = txn("txn_9", "charge", 10_000, 320, "ch_9", payout="po_8")
    later = txn("txn_10", "charge", 5_000, 175, "ch_10", payout="po_8")
    seed_payout(stack, "po_8", [first, later])
    stack.fake_stripe.seed_object({**later, "payout": None})  # not listed under it yet
    sync(client, "payout", "po_8")
    assert balance(stack.fake_qbo, "Stripe Fees") == Decimal("3.20")
    assert balance(stack.fake_qbo, "Stripe Clearing") == Decimal("1.75")  # a fee not booked yet
    (row,) = warehouse_rows(stack, "SELECT status FROM payout_reconciliations_current")
    assert row["status"] == "MISMATCH"
    stack.fake_stripe.seed_object(later)  # Stripe lists it under the payout now
    assert sync(client, "payout", "po_8")["outcome"] == "COMPLETED"
    (fees,) = entities(stack.fake_qbo, "JournalEntry")
    assert Decimal(str(fees["TotalAmt"])) == Decimal("4.95") and fees["SyncToken"] == "1"
    assert len(entities(stack.fake_qbo, "Deposit")) == 1
    assert balance(stack.fake_qbo, "Stripe Fees") == Decimal("4.95")
    assert balance(stack.fake_qbo, "Stripe Clearing") == 0
    (row,) = warehouse_rows(stack, "SELECT status FROM payout_reconciliations_current")
    assert row["status"] == "BALANCED"
    assert sync(client, "payout", "po_8")["outcome"] == "SKIPPED"  # converged: nothing to do


def manual_payout(stack: LocalStack, payout_id: str, amount: int, created: int) -> None:
    own = {
        **txn(f"txn_{payout_id}", "payout", -amount, 0, payout_id, payout=payout_id),
        "created": created,
    }
    stack.fake_stripe.seed_object(own)
    stack.fake_stripe.seed_object(
        {
            "id": payout_id,
            "object": "payout",
            "amount": amount,
            "currency": "usd",
            "arrival_date": created + DAY,
            "created": created,
            "status": "paid",
            "automatic": False,
            "reconciliation_status": "not_applicable",
            "balance_transaction": own["id"],
            "failure_balance_transaction": None,
        }
    )


def test_manual_payouts_deposit_exactly_and_book_their_windows_fees(
    stack: LocalStack, client: FlaskClient
) -> None:
    """Stripe lists nothing by a manual payout: each deposits its own amount and books the fees
    of the balance transactions since the previous manual payout, each fee exactly once."""
    for n, (amount, fee, at) in enumerate([(10_000, 320, 10), (5_000, 175, 2 * DAY)]):
        sales_receipt(stack, f"ch_m{n}", amount)
        sync(client, "charge", f"ch_m{n}")
        bare = txn(f"txn_m{n}", "charge", amount, fee, f"ch_m{n}", payout="")
        del bare["payout"]  # Stripe's balance transactions name no payout
        stack.fake_stripe.seed_object({**bare, "created": T0 + at})
    manual_payout(stack, "po_m1", 6_000, T0 + DAY)  # an amount of the holder's choosing
    manual_payout(stack, "po_m2", 7_000, T0 + 3 * DAY)
    for payout_id in ("po_m2", "po_m1"):  # in any order
        assert sync(client, "payout", payout_id)["outcome"] == "COMPLETED"
    fees = sorted(Decimal(str(j["TotalAmt"])) for j in entities(stack.fake_qbo, "JournalEntry"))
    assert fees == [Decimal("1.75"), Decimal("3.20")]
    deposits = sorted(Decimal(str(d["TotalAmt"])) for d in entities(stack.fake_qbo, "Deposit"))
    assert deposits == [Decimal("60.00"), Decimal("70.00")]
    # what Stripe still holds: 150.00 - 4.95 fees - 130.00 paid out
    assert balance(stack.fake_qbo, "Stripe Clearing") == Decimal("15.05")
    rows = warehouse_rows(stack, "SELECT status FROM payout_reconciliations_current")
    assert [r["status"] for r in rows] == ["BALANCED", "BALANCED"]


def test_connect_movements_go_to_the_accounts_named_in_the_settings(
    stack: LocalStack, client: FlaskClient
) -> None:
    """A platform's destination charge with an application fee (Stripe: charge +100.00,
    transfer -100.00 to the connected account, application fee +12.00 back), a fee refund and
    a transfer reversal: each to its account; only the unknown type goes to suspense."""
    sales_receipt(stack, "ch_c1", 10_000)
    sync(client, "charge", "ch_c1")
    seed_payout(
        stack,
        "po_c",
        [
            txn("txn_c1", "charge", 10_000, 320, "ch_c1", payout="po_c"),
            txn("txn_c2", "transfer", -10_000, 0, "tr_1", payout="po_c"),
            txn("txn_c3", "application_fee", 1_200, 0, "fee_1", payout="po_c"),
            {
                **txn("txn_c4", "application_fee_refund", -200, 0, "fr_1", payout="po_c"),
                "reporting_category": "platform_earning_refund",
            },
            {
                **txn("txn_c5", "transfer_refund", 3_000, 0, "trr_1", payout="po_c"),
                "reporting_category": "transfer_reversal",
            },
            txn("txn_c6", "something_new", 50, 0, "x_1", payout="po_c"),
        ],
    )
    assert sync(client, "payout", "po_c")["outcome"] == "COMPLETED"
    assert balance(stack.fake_qbo, "Stripe Platform Fees") == Decimal("12.00")
    assert balance(stack.fake_qbo, "Stripe Platform Fee Refunds") == Decimal("-2.00")
    assert balance(stack.fake_qbo, "Stripe Connect Transfers") == Decimal("70.00")
    assert balance(stack.fake_qbo, "Stripe Suspense") == Decimal("0.50")
    assert balance(stack.fake_qbo, "Stripe Fees") == Decimal("3.20")
    assert balance(stack.fake_qbo, "Stripe Clearing") == 0
    (row,) = warehouse_rows(stack, "SELECT status FROM payout_reconciliations_current")
    assert row["status"] == "BALANCED"


def foreign_charge(
    stack: LocalStack, client: FlaskClient, charge_id: str, amount: int, currency: str
) -> None:
    """A charge without a customer in another currency, synced: a sales receipt in it."""
    charge = {"id": charge_id, "object": "charge", "amount": amount, "amount_refunded": 0,
              "currency": currency, "customer": None, "status": "succeeded", "paid": True,
              "created": T0 + 5}  # fmt: skip
    stack.fake_stripe.seed_object(charge)
    sync(client, "charge", charge_id)


def test_a_charge_stripe_converted_is_booked_as_it_happened(
    stack: LocalStack, client: FlaskClient
) -> None:
    """A EUR 100.00 charge settled as USD 108.12 (Stripe's rate) in a USD payout: the EUR
    leaves EUR clearing at QBO's rate, USD clearing gets exactly 108.12, the difference goes to
    QBO's exchange gain or loss account; after the payout both clearing accounts are empty."""
    foreign_charge(stack, client, "ch_fx1", 10_000, "eur")
    converted = {**txn("txn_fx1", "charge", 10_812, 344, "ch_fx1", payout="po_fx"),
                 "exchange_rate": 1.0812}  # fmt: skip
    seed_payout(stack, "po_fx", [converted])
    assert sync(client, "payout", "po_fx")["outcome"] == "COMPLETED"
    rate = Decimal(str(stack.fake_qbo.exchange_rate("EUR", "2026-01-01")["ExchangeRate"]["Rate"]))
    qbo_value = (Decimal("100.00") * rate).quantize(Decimal("0.01"))
    assert balance(stack.fake_qbo, "Stripe Clearing EUR") == 0
    assert balance(stack.fake_qbo, "Stripe Clearing") == 0
    assert balance(stack.fake_qbo, "Operating Bank") == Decimal("104.68")
    # Other Expense: a gain is a credit (a negative balance)
    assert balance(stack.fake_qbo, "Exchange Gain or Loss") == qbo_value - Decimal("108.12")
    notes = sorted(str(j["PrivateNote"]) for j in entities(stack.fake_qbo, "JournalEntry"))
    assert "Stripe fx txn_fx1" in notes
    sync(client, "payout", "po_fx")  # again: nothing more
    assert len(entities(stack.fake_qbo, "JournalEntry")) == len(notes)


def test_a_conversion_between_two_foreign_currencies_goes_through_the_conversion_account(
    stack: LocalStack, client: FlaskClient
) -> None:
    """GBP settled into a EUR balance in a USD company: QBO takes one foreign currency per
    transaction, so the value passes through a home conversion account, empty afterwards."""
    foreign_charge(stack, client, "ch_fx2", 5_000, "gbp")
    converted = {**txn("txn_fx2", "charge", 5_850, 200, "ch_fx2", payout="po_fx2"),
                 "currency": "eur", "exchange_rate": 1.17}  # fmt: skip
    seed_payout(stack, "po_fx2", [converted], currency="eur")
    assert sync(client, "payout", "po_fx2")["outcome"] == "COMPLETED"
    assert balance(stack.fake_qbo, "Stripe Clearing GBP") == 0
    assert balance(stack.fake_qbo, "Stripe Clearing EUR") == 0
    assert balance(stack.fake_qbo, "Stripe Currency Conversion") == 0
    assert balance(stack.fake_qbo, "Operating Bank EUR") == Decimal("56.50")
    notes = {str(j["PrivateNote"]) for j in entities(stack.fake_qbo, "JournalEntry")}
    assert {"Stripe fx txn_fx2", "Stripe fx_in txn_fx2"} <= notes
    (row,) = warehouse_rows(stack, "SELECT status FROM payout_reconciliations_current")
    assert row["status"] == "BALANCED"
