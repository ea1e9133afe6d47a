"""Cutover acceptance: a generated month with payouts and a cutover date in its middle, delivered
as webhooks or backfilled. Nothing from before the cutover is posted document by document; each
customer's opening invoice per currency holds exactly what its invoices owed at the cutover (read
from the events Stripe sent before it, not from the sync's figures); everything after it is
posted; and at the end AR per customer and currency and every clearing account agree with
Stripe, as they would have without a cutover.

Two rules the opening balance follows on purpose (README, "Cutover"): an invoice void now owes
nothing at the cutover, and a credit note void now never counted.
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
SEED = 17
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


def stripe_ar() -> dict[tuple[str, str], Decimal]:
    """What each customer owes now per currency: its open invoices' amount_remaining."""
    owed: dict[tuple[str, str], int] = defaultdict(int)
    for invoice in (o for o in STATE if o.get("object") == "invoice"):
        if invoice["status"] == "open":
            owed[(invoice["customer"], invoice["currency"])] += int(invoice["amount_remaining"])
    return {key: money(value, key[1]) for key, value in owed.items() if value}


def stripe_credit() -> dict[tuple[str, str], Decimal]:
    """What each customer holds as credit per currency: after-payment credit notes' parts
    credited to its balance and not refunded (the generator never spends such a credit)."""
    held: dict[tuple[str, str], int] = defaultdict(int)
    for note in (o for o in STATE if o.get("object") == "credit_note"):
        if note["status"] != "issued" or note["type"] != "post_payment":
            continue
        refunded = sum(int(r["amount_refunded"]) for r in note.get("refunds") or [])
        held[(note["customer"], note["currency"])] += int(note["amount"]) - refunded
    return {key: money(value, key[1]) for key, value in held.items() if value}


def qbo_open(qbo: QboIndex, entity: str, field: str) -> dict[tuple[str, str], Decimal]:
    """(Stripe customer, currency) -> the sum of ``field`` over the customer's ``entity``s."""
    owed: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for doc in qbo.docs(entity):
        customer = qbo.customers.get(str(doc["CustomerRef"]["value"]))
        assert customer is not None, f"{entity} {doc['Id']} of a customer not ours"
        owed[(customer[0], customer[1].lower())] += amount_of(doc.get(field))
    return {key: value for key, value in owed.items() if value}


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
    openings = {
        (sid, str(doc.get("CurrencyRef", {}).get("value", "USD")).lower()): amount_of(
            doc["TotalAmt"]
        )
        for (kind, sid), docs in qbo.marked.items()
        if kind == "opening_balance"
        for _, doc in docs
    }
    assert openings == expected_opening()
    assert len(openings) >= 3  # the month has open invoices across the cutover
    clearing_entries = [k for k in qbo.marked if k[0] == "opening_clearing"]
    assert {sid.rsplit("_", 1)[-1] for _, sid in clearing_entries} <= {"usd", "eur", "jpy"}
    assert clearing_entries  # charges before the cutover not yet paid out

    # the books at the end: AR per customer and currency, and clearing, as Stripe says
    assert qbo_open(qbo, "Invoice", "Balance") == stripe_ar()
    assert qbo_open(qbo, "CreditMemo", "RemainingCredit") == stripe_credit()
    assert any(kind == "opening_credit" for kind, _ in qbo.marked)  # credit across the cutover
    assert clearing_violations(state) == []
