"""Customer credit across the cutover (``Settings.cutover_date``) through the worker: what the
customer held then opens as one credit memo, uses after the cutover apply against it exactly
as Stripe's balance ledger says, and nothing from before the cutover is posted again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from flask.testing import FlaskClient

from local_emulator.generator.invoices import LineSpec
from local_emulator.generator.sim import StripeSim
from local_emulator.harness.stack import LocalStack
from shared import bootstrap
from shared.config import reset_settings
from shared.ports import JsonDict
from tests.functional.test_posting import balance, entities, sync
from tests.functional.test_posting_billing import amount, doc_of, finalized, seed


def cutover_after(sim: StripeSim, monkeypatch: pytest.MonkeyPatch) -> None:
    """The books start the day after the simulator's clock; the clock moves past that."""
    day = datetime.fromtimestamp(sim.now, UTC).date() + timedelta(days=1)
    monkeypatch.setenv("SYNC_CUTOVER_DATE", day.isoformat())
    reset_settings()
    bootstrap.reset()
    sim.at(int(datetime.combine(day, datetime.min.time(), UTC).timestamp()) + 3_600)


def memos(stack: LocalStack, marker: str) -> list[JsonDict]:
    return [m for m in entities(stack.fake_qbo, "CreditMemo") if marker in str(m["PrivateNote"])]


@pytest.mark.parametrize("first", ["invoice", "customer"])
def test_the_credit_held_at_the_cutover_opens_as_one_memo_that_later_uses_apply_against(
    stack: LocalStack, client: FlaskClient, monkeypatch: pytest.MonkeyPatch, first: str
) -> None:
    """Before the cutover: a goodwill credit of 50.00 that an invoice of 60.00 uses in full, a
    credit note of 30.00 to the balance, and an invoice of 10.00 paid from it. After it: the
    60.00 invoice is voided (void now, it used nothing: the opening balances read the customer
    as holding 70.00 at the cutover), a new credit of 10.00, and an invoice of 75.00 that
    Stripe pays with the 70.00 and 5.00 of the new credit."""
    sim = StripeSim(tag="cut")
    customer = sim.customer("Customer 0001 Ltd", "usd")
    paid = finalized(sim, customer, [LineSpec("Seats", 1_200, 5)])
    sim.pay(paid)
    early = sim.adjust_balance(customer, -5_000, "Goodwill credit")
    voided = finalized(sim, customer, [LineSpec("Support", 6_000)])
    note = sim.credit_note(paid, 3_000)
    used = finalized(sim, customer, [LineSpec("Platform fee", 1_000)])
    cutover_after(sim, monkeypatch)
    sim.void(voided)
    late = sim.adjust_balance(customer, -1_000, "Goodwill credit")
    after = finalized(sim, customer, [LineSpec("Seats", 1_500, 5)])
    seed(stack, sim)
    assert sim.get(after)["amount_due"] == 0 and sim.get(customer)["balance"] == -500

    order = [("invoice", after), ("customer", customer)]
    for kind, sid in order if first == "invoice" else order[::-1]:
        sync(client, kind, sid)
    for kind, sid in [("credit_note", note), ("invoice", used), ("invoice", voided)]:
        sync(client, kind, sid)  # before the cutover: the opening balances hold them
    sync(client, "invoice", paid)

    (opening,) = memos(stack, "Stripe opening_credit")
    assert amount(opening["TotalAmt"]) == Decimal("70.00")
    assert amount(opening["RemainingCredit"]) == 0  # all of it used by the invoice after
    assert not memos(stack, early) and not memos(stack, note)  # no double counting
    new = doc_of(stack, "CreditMemo", f"Stripe balance_txn {late}")
    assert amount(new["TotalAmt"]) == 10 and amount(new["RemainingCredit"]) == 5
    assert amount(doc_of(stack, "Invoice", f"Stripe invoice {after}")["Balance"]) == 0
    (application,) = [
        p
        for p in entities(stack.fake_qbo, "Payment")
        if "balance_application" in str(p.get("PrivateNote"))
    ]
    applied = {
        link["TxnId"]: amount(line["Amount"])
        for line in application["Line"]
        for link in line["LinkedTxn"]
        if link["TxnType"] == "CreditMemo"
    }
    assert applied == {opening["Id"]: Decimal("70.00"), new["Id"]: Decimal("5.00")}
    held = sum(amount(m["RemainingCredit"]) for m in entities(stack.fake_qbo, "CreditMemo"))
    assert held == -Decimal(sim.get(customer)["balance"]) / 100
    invoices = [i for i in entities(stack.fake_qbo, "Invoice") if "Stripe invoice" in str(i)]
    assert len(invoices) == 1  # only the invoice after the cutover, document by document


def test_a_credit_held_at_the_cutover_and_never_used_opens_when_the_customer_syncs(
    stack: LocalStack, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim = StripeSim(tag="idle")
    customer = sim.customer("Customer 0001 Ltd", "usd")
    early = sim.adjust_balance(customer, -2_500, "Goodwill credit")
    cutover_after(sim, monkeypatch)
    seed(stack, sim)
    sync(client, "customer", customer)
    sync(client, "customer", customer, retry=1)  # again: nothing new
    (opening,) = memos(stack, "Stripe opening_credit")
    assert amount(opening["RemainingCredit"]) == 25 and not memos(stack, early)


@pytest.mark.parametrize("finalized_when", ["before", "after"])
def test_a_charge_before_the_cutover_that_pays_an_invoice_after_it_is_received_once(
    stack: LocalStack, client: FlaskClient, monkeypatch: pytest.MonkeyPatch, finalized_when: str
) -> None:
    """The opening balance holds the PaymentIntent's money in clearing (received on its own);
    attached after the cutover, the invoice's Payment receives it again, so one journal entry
    takes it back out against Opening Balance Equity, as voiding its receipt would."""
    sim = StripeSim(tag=f"ob{finalized_when[0]}")
    customer = sim.customer("Customer 0001 Ltd", "usd")
    invoice = finalized(sim, customer, [LineSpec("Seats", 1_200, 5)])
    intent = sim.standalone_payment(customer, "usd", 6_000)
    charge = str(sim.get(intent)["latest_charge"])
    if finalized_when == "after":
        sim.void(invoice)
    cutover_after(sim, monkeypatch)
    if finalized_when == "after":
        invoice = finalized(sim, customer, [LineSpec("Seats", 1_200, 5)])
    sim.attach(invoice, intent)
    seed(stack, sim)
    sync(client, "cutover", "usd")  # what clearing held at the cutover: the charge
    for _ in range(2):  # again: nothing new
        sync(client, "charge", charge)
        sync(client, "invoice", invoice)
    assert not entities(stack.fake_qbo, "SalesReceipt")
    entry = doc_of(stack, "JournalEntry", f"Stripe opening_receipt {charge}")
    assert {amount(line["Amount"]) for line in entry["Line"]} == {Decimal("60.00")}
    assert balance(stack.fake_qbo, "Stripe Clearing") == Decimal("60.00")  # received once
    assert sum(amount(i["Balance"]) for i in entities(stack.fake_qbo, "Invoice")) == 0
