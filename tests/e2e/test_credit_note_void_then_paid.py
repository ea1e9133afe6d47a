"""A pre-payment credit note voided, then its invoice paid in full, end to end: the scenario
``credit_note_voided_then_paid`` (three timings of the story) run day by day (the fake Stripe
holds each day's state, so the payment's task may run before the void's) and at once, with
and without the acceptance faults, and without QBO's requestid replay. Nothing may end FAILED
and the one checker finds nothing (notes/issue-12-creditvoid.md)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from local_emulator import scenarios
from local_emulator.checks.invariants import check_invariants
from local_emulator.harness.runner import Mode, run_scenario
from local_emulator.harness.scenario import load_scenario, parse_faults

FAULTS = "qbo_429=0.1,qbo_5xx=0.05,qbo_drop_response=0.05,duplicate=0.2"
STORY = Path(scenarios.__file__).resolve().parent / "credit_note_voided_then_paid.jsonl"
RUNS: list[tuple[Mode, str, int]] = [
    ("daily", "", 0),
    *(("daily", FAULTS, seed) for seed in range(4)),
    *(("daily", f"{FAULTS},qbo_requestid=off", seed) for seed in range(4)),
    ("webhooks", FAULTS, 0),
    ("webhooks", f"{FAULTS},qbo_requestid=off", 1),
]


def _quiet(message: str) -> None:
    """Progress lines of the runner: not needed here."""


@pytest.mark.parametrize(
    ("mode", "faults", "seed"),
    [
        pytest.param(
            *run,
            id=f"{run[0]}-{'off' if 'off' in run[1] else 'faults' if run[1] else 'clean'}-{run[2]}",
        )
        for run in RUNS
    ],
)
def test_a_voided_credit_note_then_a_payment_books_agree(
    mode: Mode, faults: str, seed: int, tmp_path: Path
) -> None:
    scenario = load_scenario(STORY)
    result = run_scenario(
        scenario, tmp_path, faults=parse_faults(faults), seed=seed, progress=_quiet, mode=mode
    )
    assert result.all_processed, result.summary["events"]
    assert result.summary["objects"]["failed"] == []
    assert result.summary["schema_refused"] == {}
    qbo_state = json.loads((tmp_path / "qbo.json").read_text(encoding="utf-8"))
    assert check_invariants(scenario, qbo_state) == []
    memos = qbo_state.get("CreditMemo", [])
    assert len(memos) == (3 if mode == "daily" else 0)  # at once: voided before it posted
    assert all(str(m["PrivateNote"]).startswith("Voided") for m in memos)
    invoices = qbo_state["Invoice"]
    assert len(invoices) == 3 and all(Decimal(str(i["Balance"])) == 0 for i in invoices)
