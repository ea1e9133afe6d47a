"""Property: any delivery order, any repeats and any QBO faults leave the books agreeing with
Stripe (every invariant of ``local_emulator.checks.invariants`` holds after the run)."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from local_emulator import scenarios
from local_emulator.checks.invariants import check_invariants
from local_emulator.harness.runner import run_scenario
from local_emulator.harness.scenario import Scenario, load_scenario, parse_faults

JsonDict = dict[str, Any]
LIBRARY = Path(scenarios.__file__).resolve().parent
# A small business in miniature: ids never clash across library files, so they combine.
PARTS = (
    "credit_note_voided_post_payment", "refund_after_credit_note",
    "invoice_partial_then_out_of_band", "dispute_won", "currency_kwd",
)  # fmt: skip
# SYNC_FULL_ACCEPTANCE=1 tries many more orders and fault mixes.
EXAMPLES = 25 if os.environ.get("SYNC_FULL_ACCEPTANCE") == "1" else 3


def _base() -> Scenario:
    combined = Scenario()
    for name in PARTS:
        part = load_scenario(LIBRARY / f"{name}.jsonl")
        combined.events.extend(part.events)
        combined.objects.extend(part.objects)
    return combined


BASE = _base()
probability = st.sampled_from([0.0, 0.05, 0.1, 0.2])


@st.composite
def deliveries(draw: st.DrawFn) -> list[JsonDict]:
    """Every event at least once, some again, all in any order."""
    repeats = draw(st.lists(st.sampled_from(BASE.events), max_size=15))
    return draw(st.permutations([*BASE.events, *repeats]))


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    events=deliveries(),
    qbo_429=probability,
    qbo_5xx=probability,
    qbo_drop=probability,
    seed=st.integers(0, 10_000),
)
def test_order_repeats_and_faults_never_break_the_books(
    events: list[JsonDict], qbo_429: float, qbo_5xx: float, qbo_drop: float, seed: int
) -> None:
    scenario = Scenario(events=events, objects=list(BASE.objects))
    faults = parse_faults(f"qbo_429={qbo_429},qbo_5xx={qbo_5xx},qbo_drop_response={qbo_drop}")
    with tempfile.TemporaryDirectory() as directory:
        out = Path(directory)
        result = run_scenario(scenario, out, faults=faults, seed=seed, progress=lambda _: None)
        qbo_state = json.loads((out / "qbo.json").read_text(encoding="utf-8"))
    assert result.all_processed
    assert result.summary["objects"]["failed"] == []
    assert check_invariants(scenario, qbo_state) == []
