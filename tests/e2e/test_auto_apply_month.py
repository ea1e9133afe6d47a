"""A QBO company with "Automatically apply credits" on (QBO's default): generated months with
credit notes, write-offs and voids, through the whole local stack with faults, and the books
still agree with Stripe (``checks.invariants``), credit for credit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from local_emulator.checks.invariants import check_invariants
from local_emulator.generator import generate_month
from local_emulator.harness.runner import run_scenario
from local_emulator.harness.scenario import Scenario, parse_faults
from local_emulator.harness.stack import LocalStack

FAULTS = "qbo_429=0.1,qbo_5xx=0.05,qbo_drop_response=0.05,duplicate=0.2"


def _quiet(message: str) -> None:
    """Progress lines of the runner: not needed here."""


def _auto_apply_on(stack: LocalStack) -> None:
    stack.fake_qbo.books.auto_apply_credit = True


@pytest.mark.parametrize("seed", [3, 8])
def test_books_agree_with_stripe_when_qbo_applies_credits_itself(seed: int, tmp_path: Path) -> None:
    lines = generate_month(seed, customers=3, invoices=24)
    scenario = Scenario(
        events=[x for x in lines if x.get("object") == "event"],
        objects=[x for x in lines if x.get("object") != "event"],
    )
    kinds = {str(e["type"]) for e in scenario.events}
    assert "credit_note.created" in kinds  # credits to be applied, by QBO and by the sync
    result = run_scenario(
        scenario,
        tmp_path,
        faults=parse_faults(FAULTS),
        seed=seed,
        progress=_quiet,
        prepare=_auto_apply_on,
    )
    assert result.all_processed and result.summary["objects"]["failed"] == []
    state = json.loads((tmp_path / "qbo.json").read_text(encoding="utf-8"))
    assert check_invariants(scenario, state) == []
    links = json.loads((tmp_path / "links.json").read_text(encoding="utf-8"))
    undone = [r for r in links if str(r["qbo_entity_type"]).endswith(":deleted")]
    assert undone, "QBO applied no credit by itself: the month does not test the setting"
