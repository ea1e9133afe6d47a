"""Payouts end to end: the runner over the payout scenarios and over generated months with
payouts and faults, judged by the one checker (``checks.invariants``, whose payout and clearing
rules come from Stripe's figures alone) and by the reconciliation rows.

Default run: every payout scenario and twenty small generated months (acceptance faults on),
two months per run of the local stack (their ids never collide) to keep the run short.
``SYNC_FULL_ACCEPTANCE=1``: forty larger months, one per run.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from local_emulator.checks.invariants import check_invariants
from local_emulator.generator import generate_month
from local_emulator.generator.payouts import add_payouts
from local_emulator.harness.runner import Mode, run_scenario
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


def run_and_check(
    scenario: Scenario, out: Path, seed: int, mode: Mode = "webhooks"
) -> dict[str, int]:
    """Runs the scenario; asserts every invariant; returns reconciliation statuses by count."""
    faults = parse_faults(FAULTS)
    result = run_scenario(scenario, out, faults=faults, seed=seed, progress=_quiet, mode=mode)
    assert result.all_processed, result.summary["events"]
    assert result.summary["objects"]["failed"] == []
    assert result.summary["schema_refused"] == {}  # every body passed the fake's schema check
    qbo_state = json.loads((out / "qbo.json").read_text(encoding="utf-8"))
    violations = check_invariants(scenario, qbo_state)
    assert result.summary["check"]["violations"] == 0  # the run summary says the same
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


@pytest.mark.parametrize("mode", ["webhooks", "daily"])
@pytest.mark.parametrize("name", list(PAYOUT_SCENARIOS))
def test_payout_scenario(name: str, mode: Mode, tmp_path: Path) -> None:
    """Every payout scenario, delivered at once (Stripe's final state) and day by day (Stripe's
    state of each day: payouts paid before they are reconciled, manual payouts one by one)."""
    scenario = load_scenario(HERE / f"{name}.jsonl")
    statuses = run_and_check(scenario, tmp_path, seed=len(name), mode=mode)
    assert statuses.get("BALANCED", 0) >= 1
    if name == "payout_late_reconciliation" and mode == "daily":
        warehouse = DuckDbWarehouse(str(tmp_path / ".state" / "warehouse.duckdb"))
        try:
            waited = warehouse.query(
                "SELECT COUNT(DISTINCT object_id) AS n FROM sync_log "
                "WHERE object_type = 'payout' AND detail LIKE '%awaiting Stripe%'"
            )
        finally:
            warehouse.close()
        assert waited[0]["n"] == statuses["BALANCED"]  # each waited for its reconciliation
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


KINDS_OF_PAYOUTS: list[tuple[str, dict[str, Any], Mode]] = [
    ("late_reconciliation", {"late_rate": 0.6}, "daily"),
    ("manual", {"manual": True, "cancel_rate": 0.2}, "daily"),
    ("connect", {"connect": True}, "webhooks"),
    ("connect_manual", {"connect": True, "manual": True}, "webhooks"),
    ("cross_currency", {"settle": "usd"}, "webhooks"),
    ("cross_currency_manual", {"settle": "usd", "manual": True, "late_rate": 0.5}, "daily"),
    ("foreign_settlement", {"settle": "eur", "bank_currencies": ("usd",)}, "webhooks"),
]
# default: one month of each kind; SYNC_FULL_ACCEPTANCE=1: five of each, larger
KIND_SEEDS = range(21, 26) if FULL else range(21, 22)


def _kind(kind: str, seed: int, options: dict[str, Any], mode: Mode) -> Any:
    return pytest.param(seed, options, mode, id=f"{kind}-{seed}")


@pytest.mark.parametrize(
    ("seed", "options", "mode"),
    [
        _kind(kind, seed + 10 * n, options, mode)
        for n, (kind, options, mode) in enumerate(KINDS_OF_PAYOUTS)
        for seed in KIND_SEEDS
    ],
)
def test_generated_months_with_late_manual_or_connect_payouts(
    seed: int, options: dict[str, Any], mode: Mode, tmp_path: Path
) -> None:
    """Generated months with payouts Stripe reconciles late, manual payouts (day by day: the
    fake Stripe holds each day's state), a Connect platform's movements, and every currency
    settling in USD (Stripe converting at its rate), under faults."""
    _, customers, invoices = MONTHS
    month = generate_month(seed, customers=customers, invoices=invoices)
    scenario = split(add_payouts(month, seed, **options))
    assert any(e["type"] == "payout.paid" for e in scenario.events)
    run_and_check(scenario, tmp_path, seed=seed, mode=mode)


def test_a_type_the_sync_misclassifies_is_caught(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Production's classification is not the checker's: if the sync booked charges as unknown
    movements (their net to suspense instead of their fee), the payout still reconciles on its
    own terms, but the checker finds the payout's entries and clearing wrong."""
    from shared.domain import mapping_payouts

    real = mapping_payouts.treatment_of

    def misclassified(txn: Any, payout_id: str) -> Any:
        return "suspense" if txn.type == "charge" else real(txn, payout_id)

    monkeypatch.setattr(mapping_payouts, "treatment_of", misclassified)
    scenario = load_scenario(HERE / "payout_currencies.jsonl")
    run_scenario(scenario, tmp_path, faults=parse_faults(""), seed=1, progress=_quiet)
    qbo_state = json.loads((tmp_path / "qbo.json").read_text(encoding="utf-8"))
    rules = Counter(v.rule for v in check_invariants(scenario, qbo_state))
    assert rules["payout_fees"] >= 1 and rules["clearing"] >= 1, rules


def test_connect_movements_sent_to_suspense_are_caught(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the sync booked Connect movements as unknown types, each payout still reconciles and
    clearing is right (suspense took the same net), but the checker, which reads Stripe's
    reporting categories, finds every Connect account short."""
    from shared.domain import mapping_payouts

    monkeypatch.setattr(mapping_payouts, "connect_role", lambda txn: None)
    scenario = load_scenario(HERE / "payout_connect.jsonl")
    run_scenario(scenario, tmp_path, faults=parse_faults(""), seed=1, progress=_quiet)
    qbo_state = json.loads((tmp_path / "qbo.json").read_text(encoding="utf-8"))
    rules = Counter(v.rule for v in check_invariants(scenario, qbo_state))
    assert rules["connect"] >= 1 and rules["clearing"] == 0, rules


def test_a_conversion_the_sync_forgets_is_caught(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the sync never booked Stripe's conversions, the EUR and JPY clearing accounts would
    keep what Stripe converted and USD clearing would go negative at each payout: the checker,
    which reads the source objects' currencies on its own, finds both."""
    from shared.services.posting import payouts

    monkeypatch.setattr(payouts, "conversions_of", lambda work, payout_id, txns: [])
    scenario = load_scenario(HERE / "payout_cross_currency.jsonl")
    run_scenario(scenario, tmp_path, faults=parse_faults(""), seed=1, progress=_quiet)
    qbo_state = json.loads((tmp_path / "qbo.json").read_text(encoding="utf-8"))
    violations = check_invariants(scenario, qbo_state)
    rules = Counter(v.rule for v in violations)
    assert rules["conversion"] >= 1 and rules["clearing"] >= 2, rules
    assert {v.stripe_id for v in violations if v.rule == "clearing"} >= {
        "Stripe Clearing", "Stripe Clearing EUR", "Stripe Clearing JPY"
    }  # fmt: skip
