"""A small fault campaign through the command: every kind of fault fires, and the books end with
no duplicate, nothing lost and no invariant violation. (The 10,000-event run is
``stripe-qbo-sync campaign --events 10000 --seed 1``.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from local_emulator.harness.campaign import qbo_duplicates
from shared.cli.main import main


def test_small_campaign_under_heavy_faults_loses_and_duplicates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["campaign", "--events", "300", "--seed", "3", "--out", str(tmp_path), "--json",
            "--crash", "0.05", "--qbo-429", "0.08", "--outage-minutes", "3"]  # fmt: skip
    code = main(argv)
    printed = capsys.readouterr().out
    assert code == 0, printed
    figures = json.loads(next(line for line in printed.splitlines() if line.startswith("{")))
    assert figures["events"] >= 300
    assert (figures["duplicates"], figures["lost"], figures["violations"]) == (0, 0, 0)
    assert figures["schema_refused"] == 0
    faults = figures["faults"]
    for kind in ("qbo_429", "qbo_5xx", "duplicate_delivery", "reordered_delivery",
                 "stripe_outage_503"):  # fmt: skip
        assert faults.get(kind, 0) > 0, kind
    assert faults["worker_crash_before_call"] + faults["worker_crash_after_call"] > 0
    assert figures["retries"] > 0
    assert "duplicates in QBO     0" in printed and printed.rstrip().endswith("OK")


def test_duplicate_count_reads_qbo_markers_only() -> None:
    doc = {"PrivateNote": "Stripe invoice in_1"}
    assert qbo_duplicates({"Invoice": [doc, doc, doc], "Payment": [doc]}) == 2
    assert qbo_duplicates({"Invoice": [doc], "Customer": [doc, doc]}) == 0
