"""``stripe-qbo-sync backfill`` and ``undo`` on the local stack: a dry run that counts, a run
with its table, an undo that lists before it acts; bad input refused with exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from local_emulator.generator import generate_month
from local_emulator.harness.scenario import scenario_of_lines
from local_emulator.harness.stack import LocalStack
from shared.cli.main import main

MONTH = scenario_of_lines(generate_month(7, customers=2, invoices=4))


def test_bad_input_is_refused_with_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["backfill"]) == 2
    assert "--since" in capsys.readouterr().err
    assert main(["backfill", "--since", "yesterday"]) == 2
    assert main(["undo"]) == 2
    assert "--run" in capsys.readouterr().err


def test_backfill_then_undo_through_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with LocalStack(tmp_path / "state") as stack:
        for obj in MONTH.seed_state():
            stack.fake_stripe.seed_object(obj)
        assert main(["backfill", "--since", "2020-01-01", "--dry-run", "--json"]) == 0
        planned = json.loads(capsys.readouterr().out)["objects"]
        assert planned["invoice"] == 4 and planned["customer"] == 2
        assert main(["backfill", "--since", "2020-01-01", "--json"]) == 0
        result = json.loads(capsys.readouterr().out)
        assert result["status"] == "COMPLETED" and result["objects_listed"] >= 6
        run_id = result["run_id"]
        invoices = len(stack.fake_qbo.state_json()["Invoice"])
        assert main(["undo", "--run", run_id]) == 0
        listed = capsys.readouterr()
        assert "Would undo" in listed.out and "--yes" in listed.err
        assert len(stack.fake_qbo.state_json()["Invoice"]) == invoices
        assert main(["undo", "--run", run_id, "--yes", "--json"]) == 0
        undone = json.loads(capsys.readouterr().out)
        assert undone["status"] == "COMPLETED" and undone["undone"] > 0
        assert "Invoice" not in stack.fake_qbo.state_json()
