"""Payouts end to end: the runner over the payout scenarios and over generated months with
payouts and faults, judged by ``checks.payout_invariants`` and the reconciliation rows.

Default run: every payout scenario and twenty small generated months (acceptance faults on),
two months per run of the local stack (their ids never collide) to keep the run short.
``SYNC_FULL_ACCEPTANCE=1``: forty larger months, one per run.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import pytest

from local_emulator.checks.payout_invariants import check_payout_invariants
from local_emulator.generator import generate_month
from local_emulator.generator.payouts import add_payouts
from local_emulator.harness.runner import run_scenario
from local_emulator.harness.scenario import Scenario, load_scenario, parse_faults
from local_emulator.scenarios.payout_build import HERE, PAYOUT_SCENARIOS
from shared.adapters.duckdb_warehouse import DuckDbWarehouse

FAULTS = "qbo_429=0.1,qbo_5xx=0.05,qbo_drop_response=0.05,duplicate=0.2"
FULL = os.environ.get("SYNC_FULL_ACCEPTANCE") == "1"
# (seed groups, customers, invoices) of the generated months
SEEDS = [(s,) for s in range(1, 41)] if FULL else [(s, s + 10) for s in range(1, 11)]
MONTHS = (SEEDS, 10, 36) if FULL else (SEEDS, 3, 5)


def _quiet(message: str) -> None:
    """Progress lines of the runner: not needed here."""


def run_and_check(scenario: Scenario, out: Path, seed: int) -> dict[str, int]:
    """Runs the scenario; asserts every invariant; returns reconciliation statuses by count."""
    result = run_scenario(scenario, out, faults=parse_faults(FAULTS), seed=seed, progress=_quiet)
    assert result.all_processed, result.summary["events"]
    assert result.summary["objects"]["failed"] == []
    qbo_state = json.loads((out / "qbo.json").read_text(encoding="utf-8"))
    violations = check_payout_invariants(scenario, qbo_state)
    assert violations == [], violations[:10]
    warehouse = DuckDbWarehouse(str(out / ".state" / "warehouse.duckdb"))
    try:
        rows = warehouse.query(
            "SELECT status, COUNT(*) AS n FROM payout_reconciliations_current GROUP BY status"
        )
    finally:
        warehouse.close()
    statuses = {str(r["status"]): int(r["n"]) for r in rows}
    posted = sum(
        1
        for o in scenario.seed_state()
        if o.get("object") == "payout" and o.get("status") in ("paid", "failed")
    )
    assert statuses.get("MISMATCH", 0) == 0
    assert statuses.get("BALANCED", 0) == posted
    return statuses


def split(lines: list[dict[str, object]]) -> Scenario:
    return Scenario(
        events=[x for x in lines if x.get("object") == "event"],
        objects=[x for x in lines if x.get("object") != "event"],
    )


def test_scenario_files_are_current() -> None:
    from local_emulator.scenarios.payout_build import build_payout_scenario

    for name in PAYOUT_SCENARIOS:
        on_disk = load_scenario(HERE / f"{name}.jsonl")
        built = split(build_payout_scenario(name))
        assert on_disk.events == built.events and on_disk.objects == built.objects, name


@pytest.mark.parametrize("name", list(PAYOUT_SCENARIOS))
def test_payout_scenario(name: str, tmp_path: Path) -> None:
    scenario = load_scenario(HERE / f"{name}.jsonl")
    statuses = run_and_check(scenario, tmp_path, seed=len(name))
    assert statuses.get("BALANCED", 0) >= 1
    if name == "payout_unknown_type":
        qbo_state = json.loads((tmp_path / "qbo.json").read_text(encoding="utf-8"))
        notes = [str(j.get("PrivateNote")) for j in qbo_state.get("JournalEntry", [])]
        assert any(n.startswith("Stripe payout_suspense") for n in notes)


@pytest.mark.parametrize("seeds", MONTHS[0], ids=lambda g: "+".join(map(str, g)))
def test_generated_months_with_payouts(seeds: tuple[int, ...], tmp_path: Path) -> None:
    _, customers, invoices = MONTHS
    lines = [
        line
        for seed in seeds
        for line in add_payouts(generate_month(seed, customers=customers, invoices=invoices), seed)
    ]
    scenario = split(lines)
    kinds = Counter(str(e["type"]) for e in scenario.events)
    assert kinds["payout.paid"] >= 1
    run_and_check(scenario, tmp_path, seed=seeds[0])
