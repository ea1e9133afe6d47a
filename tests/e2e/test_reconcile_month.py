"""Acceptance (#18): a reconcile over a generated month with payouts reports no changed_in_qbo
finding, although QBO moved the SyncToken of every invoice a payment or credit was applied to;
once a person edits one synced document, it reports exactly that one.

The whole local stack over HTTP: the month's events through the webhook, the worker, the fake
QBO; then the reconcile use case as the daily scheduler would run it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from local_emulator.generator import generate_month
from local_emulator.generator.payouts import add_payouts
from local_emulator.harness.runner import run_scenario
from local_emulator.harness.scenario import FaultSpec, Scenario
from local_emulator.harness.stack import LocalStack
from shared import bootstrap
from shared.services.reconcile import ReconcileReport

SEED = 7


def _quiet(message: str) -> None:
    """Progress lines of the runner: not needed here."""


def _changed(report: ReconcileReport) -> list[tuple[str | None, str | None, str | None]]:
    return [
        (f.stripe_object_id, f.qbo_entity_type, f.detail)
        for f in report.findings
        if f.kind == "changed_in_qbo"
    ]


def test_reconcile_finds_only_the_planted_edit(tmp_path: Path) -> None:
    lines = add_payouts(generate_month(SEED, customers=4, invoices=8), SEED)
    scenario = Scenario(
        events=[x for x in lines if x.get("object") == "event"],
        objects=[x for x in lines if x.get("object") != "event"],
    )
    seen: dict[str, Any] = {}

    def reconcile_twice(stack: LocalStack) -> None:
        since = datetime(2025, 12, 1, tzinfo=UTC)  # the whole generated month and its payouts
        state = stack.fake_qbo.state_json()
        seen["bumped"] = sum(
            1 for d in state.get("Invoice", []) if int(d["SyncToken"]) > 0 and d.get("LinkedTxn")
        )
        seen["clean"] = bootstrap.reconcile().run(since)
        payment = next(p for p in state["Payment"] if str(p["TotalAmt"]) not in ("0", "0.00"))
        moved = (date.fromisoformat(payment["TxnDate"]) - timedelta(days=2)).isoformat()
        edit = {"Id": payment["Id"], "SyncToken": payment["SyncToken"], "sparse": True}
        stack.fake_qbo.update("Payment", {**edit, "TxnDate": moved})  # a person, in QBO
        seen["planted"] = payment
        seen["edited"] = bootstrap.reconcile().run(since)

    result = run_scenario(
        scenario,
        tmp_path,
        faults=FaultSpec({}, {}, {}),
        seed=SEED,
        progress=_quiet,
        after_drain=reconcile_twice,
    )
    assert result.all_processed and result.summary["objects"]["failed"] == []
    clean: ReconcileReport = seen["clean"]
    assert seen["bumped"] >= 3  # QBO itself moved these invoices' SyncToken
    assert clean.checked["qbo_changes"] > 0 and clean.checked["qbo_changes_unverifiable"] == 0
    assert clean.failed_checks == []
    assert clean.checked["stripe_invoices"] > 0 and clean.checked["payouts"] > 0
    assert clean.findings == []  # nothing at all: QBO's own changes are not edits
    edited: ReconcileReport = seen["edited"]
    (finding,) = _changed(edited)
    planted = seen["planted"]
    assert finding[1] == "Payment"
    assert str(finding[2]).startswith("changed in QBO: date")
    assert any(f.qbo_entity_id == planted["Id"] for f in edited.findings)
