"""Cutover acceptance: a generated month with payouts and a cutover date in its middle, delivered
as webhooks or backfilled. Nothing from before the cutover is posted document by document; each
customer's opening invoice per currency holds exactly what its invoices owed at the cutover (read
from the events Stripe sent before it, not from the sync's figures); everything after it is
posted; and at the end AR per customer and currency and every clearing account agree with
Stripe, as they would have without a cutover.

Two rules the opening balance follows on purpose (README, "Cutover"): an invoice void now owes
nothing at the cutover, and a credit note void now never counted. The same two rules read each
customer's credit at the cutover from its balance transactions: it opens as one credit memo,
and the invoices after the cutover use it as Stripe's balance ledger says (never the credit
notes or adjustments from before the cutover again). A PaymentIntent that succeeded before the
cutover and pays an invoice after it is received once.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from local_emulator.checks import clearing
from local_emulator.checks.books import Options, QboIndex, StripeBooks, amount_of, money
from local_emulator.checks.family import Context
from local_emulator.checks.invariants import FAMILIES, booked_at_event
from local_emulator.generator import generate_month
from local_emulator.generator.core import MONTH_START
from local_emulator.generator.payouts import add_payouts
from local_emulator.harness.runner import Mode, run_scenario
from local_emulator.harness.scenario import FaultSpec, Scenario, parse_faults

JsonDict = dict[str, Any]
SEED = 43
CUTOVER = (datetime.fromtimestamp(MONTH_START, UTC) + timedelta(days=11)).date()
MOMENT = int(datetime.combine(CUTOVER, datetime.min.time(), UTC).timestamp())
LINES = add_payouts(
    generate_month(SEED, customers=10, invoices=60, currencies=("usd", "eur", "jpy")), SEED
)
SCENARIO = Scenario(
    events=[x for x in LINES if x.get("object") == "event"],
    objects=[x for x in LINES if x.get("object") != "event"],
)
STATE = [o for o in SCENARIO.seed_state() if o.get("object") != "event"]
FAULTS = "qbo_429=0.05,qbo_5xx=0.03,qbo_drop_response=0.03"


def _quiet(message: str) -> None:
    """The runner's progress lines: not needed here."""


def before(unix: Any) -> bool:
    return unix is not None and int(unix) < MOMENT


def at_cutover() -> dict[str, JsonDict]:
    """Each object as the last event Stripe sent before the cutover carried it."""
    seen: dict[str, tuple[int, JsonDict]] = {}
    for event in SCENARIO.events:
        obj = (event.get("data") or {}).get("object")
        if not isinstance(obj, dict) or not before(event["created"]):
            continue
        if obj["id"] not in seen or int(event["created"]) >= seen[obj["id"]][0]:
            seen[obj["id"]] = (int(event["created"]), obj)
    return {oid: obj for oid, (_, obj) in seen.items()}


def expected_opening() -> dict[tuple[str, str], Decimal]:
    """(Stripe customer, currency) -> what its invoices owed at the cutover, from Stripe's own
    figures at that moment (the events before it), under the two rules above."""
    then, now = at_cutover(), {str(o["id"]): o for o in STATE}
    owed: dict[tuple[str, str], int] = defaultdict(int)
    for oid, invoice in then.items():
        if invoice.get("object") != "invoice" or invoice.get("status") not in ("open",):
            continue
        if now[oid]["status"] == "void":
            continue  # void now: owed nothing
        owed[(invoice["customer"], invoice["currency"])] += int(invoice["amount_remaining"])
    for note in (o for o in STATE if o.get("object") == "credit_note"):
        took_off_then = before(note.get("effective_at") or note["created"])
        if note["status"] == "void" and took_off_then and note["type"] == "pre_payment":
            invoice = now[note["invoice"]]
            if invoice["status"] != "void" and then.get(invoice["id"], {}).get("status") == "open":
                owed[(invoice["customer"], invoice["currency"])] += int(note["amount"])
    return {key: money(value, key[1]) for key, value in owed.items() if value}


def expected_opening_credit() -> dict[tuple[str, str], Decimal]:
    """(Stripe customer, currency) -> the credit it held at the cutover: the ending balance of
    its last balance transaction before it, under the two rules above (what an invoice void
    now used came back, what a credit note void now credited never counted)."""
    txns = sorted(
        (o for o in STATE if o.get("object") == "customer_balance_transaction"),
        key=lambda t: int(t["created"]),
    )
    held: dict[tuple[str, str], int] = {}
    used: set[str] = set()
    credited: set[str] = set()
    for txn in (t for t in txns if before(t["created"])):
        held[(txn["customer"], txn["currency"])] = -int(txn["ending_balance"])
        if txn["type"] == "applied_to_invoice":
            used.add(txn["invoice"])
        elif txn["type"] == "credit_note" and int(txn["amount"]) < 0:
            credited.add(txn["credit_note"])
    for txn in (t for t in txns if not before(t["created"])):
        late = txn["invoice"] in used if txn["type"] == "unapplied_from_invoice" else False
        late |= txn["type"] == "credit_note" and txn["credit_note"] in credited
        if late:
            held[(txn["customer"], txn["currency"])] -= int(txn["amount"])
    return {key: money(value, key[1]) for key, value in held.items() if value > 0}


def charges_attached_across() -> set[str]:
    """PaymentIntents' charges from before the cutover that pay an invoice after it."""
    by_id = {str(o["id"]): o for o in STATE}
    return {
        str(by_id[p["payment"]["payment_intent"]]["latest_charge"])
        for p in STATE
        if p.get("object") == "invoice_payment"
        and p["status"] == "paid"
        and p["payment"].get("type") == "payment_intent"
        and not before((p.get("status_transitions") or {}).get("paid_at"))
        and before(by_id[str(by_id[p["payment"]["payment_intent"]]["latest_charge"])]["created"])
    }


def stripe_ar() -> dict[tuple[str, str], Decimal]:
    """What each customer owes now per currency: its open invoices' amount_remaining."""
    owed: dict[tuple[str, str], int] = defaultdict(int)
    for invoice in (o for o in STATE if o.get("object") == "invoice"):
        if invoice["status"] == "open":
            owed[(invoice["customer"], invoice["currency"])] += int(invoice["amount_remaining"])
    return {key: money(value, key[1]) for key, value in owed.items() if value}


def stripe_credit() -> dict[tuple[str, str], Decimal]:
    """What each customer holds as credit now, in its currency: its Stripe balance (what
    credit notes and adjustments credited, less what its invoices used)."""
    held = {
        (str(c["id"]), str(c["currency"])): -int(c["balance"])
        for c in STATE
        if c.get("object") == "customer" and c.get("currency") and int(c["balance"]) < 0
    }
    return {key: money(value, key[1]) for key, value in held.items()}


def qbo_open(qbo: QboIndex, entity: str, field: str) -> dict[tuple[str, str], Decimal]:
    """(Stripe customer, currency) -> the sum of ``field`` over the customer's ``entity``s."""
    owed: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for doc in qbo.docs(entity):
        customer = qbo.customers.get(str(doc["CustomerRef"]["value"]))
        assert customer is not None, f"{entity} {doc['Id']} of a customer not ours"
        owed[(customer[0], customer[1].lower())] += amount_of(doc.get(field))
    return {key: value for key, value in owed.items() if value}


def opening(qbo: QboIndex, what: str) -> dict[tuple[str, str], JsonDict]:
    """(Stripe customer, currency) -> its one opening document of a kind (balance, credit)."""
    found: dict[tuple[str, str], JsonDict] = {}
    for (kind, sid), docs in qbo.marked.items():
        for _, doc in docs if kind == f"opening_{what}" else []:
            key = (sid, str(doc.get("CurrencyRef", {}).get("value", "USD")).lower())
            assert key not in found, f"two opening {what} documents for {key}"
            found[key] = doc
    return found


def clearing_violations(state: JsonDict) -> list[Any]:
    """The checker's clearing rule (Stripe's figures, every family's movements): the final
    balance must be what it would be had every document before the cutover been posted."""
    stripe, options = StripeBooks(STATE), Options()
    qbo = QboIndex(state, options.home_currency)
    ctx = Context(stripe, qbo, options, booked_at_event(stripe))
    moves = [m for family in FAMILIES for m in family.clearing_movements(stripe, ctx.booked)]
    return clearing.check_clearing(moves, qbo, options)


@pytest.mark.parametrize("mode", ["webhooks", "backfill"])
def test_a_month_with_a_cutover_starts_from_opening_balances(
    mode: Mode, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SYNC_CUTOVER_DATE", CUTOVER.isoformat())
    faults = parse_faults(FAULTS) if mode == "backfill" else FaultSpec({}, {}, {})
    result = run_scenario(SCENARIO, tmp_path, faults=faults, seed=SEED, progress=_quiet, mode=mode)
    assert result.summary["objects"]["failed"] == []
    state = json.loads((tmp_path / "qbo.json").read_text(encoding="utf-8"))
    qbo = QboIndex(state, "usd")
    by_id = {str(o["id"]): o for o in STATE}

    # nothing from before the cutover posted document by document; everything after it posted
    for (kind, sid), docs in qbo.marked.items():
        obj = by_id.get(sid)
        if kind == "invoice":
            finalized = obj["status_transitions"]["finalized_at"] if obj else None
            assert not before(finalized), f"{sid}: finalized before the cutover, yet posted"
        elif kind == "charge" and obj is not None:
            assert not before(obj["created"]), f"{sid}: a charge before the cutover, posted"
        elif kind == "credit_note" and obj is not None:  # its credit is in the opening ones
            assert not before(obj.get("effective_at") or obj["created"]), f"{sid}: posted"
        elif kind == "payout" and obj is not None:
            assert not before(obj["arrival_date"]), f"{sid}: arrived before, yet posted"
        assert kind != "refund" or not before((by_id.get(sid) or {}).get("created")), docs
    for invoice in (o for o in STATE if o.get("object") == "invoice"):
        finalized = invoice["status_transitions"].get("finalized_at")
        if finalized and not before(finalized):
            assert len(qbo.found("invoice", invoice["id"], "Invoice")) == 1, invoice["id"]
    for payment in (o for o in STATE if o.get("object") == "invoice_payment"):
        paid_at = (payment.get("status_transitions") or {}).get("paid_at")
        if payment["status"] == "paid" and paid_at and not before(paid_at):
            assert len(qbo.found("invoice_payment", payment["id"], "Payment")) == 1

    # the opening balances: one invoice per customer and currency, what was owed at the cutover
    openings = {key: amount_of(doc["TotalAmt"]) for key, doc in opening(qbo, "balance").items()}
    assert openings == expected_opening()
    assert len(openings) >= 3  # the month has open invoices across the cutover
    clearing_entries = [k for k in qbo.marked if k[0] == "opening_clearing"]
    assert {sid.rsplit("_", 1)[-1] for _, sid in clearing_entries} <= {"usd", "eur", "jpy"}
    assert clearing_entries  # charges before the cutover not yet paid out

    # the books at the end: AR per customer and currency, and clearing, as Stripe says
    assert qbo_open(qbo, "Invoice", "Balance") == stripe_ar()
    assert qbo_open(qbo, "CreditMemo", "RemainingCredit") == stripe_credit()

    # the credit held at the cutover: one memo per customer, used after it as Stripe says
    credit_memos = opening(qbo, "credit")
    opening_credit = {key: amount_of(doc["TotalAmt"]) for key, doc in credit_memos.items()}
    assert opening_credit == expected_opening_credit()
    assert len(opening_credit) >= 2  # the month has credit across the cutover
    assert not [sid for kind, sid in qbo.marked if kind == "balance_txn" and before(
        by_id[sid]["created"])]  # fmt: skip
    applied = {
        str(link["TxnId"])
        for doc in qbo.docs("Payment")
        if "balance_application" in str(doc.get("PrivateNote"))
        for line in doc["Line"]
        for link in line["LinkedTxn"]
    }
    assert applied & {
        str(doc["Id"]) for doc in credit_memos.values()
    }  # an invoice after the cutover used the credit held then

    # a charge from before the cutover paying an invoice after it: received once
    reversed_receipts = {sid for kind, sid in qbo.marked if kind == "opening_receipt"}
    assert reversed_receipts == charges_attached_across() != set()
    assert clearing_violations(state) == []
