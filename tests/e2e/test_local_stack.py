"""The whole local stack over HTTP: signed webhooks, the queue, the worker, the fakes, faults on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from local_emulator.generator.stripe_objects import invoice_month
from local_emulator.harness.demo import run_demo
from local_emulator.harness.runner import run_scenario
from local_emulator.harness.scenario import Scenario, load_scenario, parse_faults, write_scenario
from shared.cli.main import main

FAULTS = "qbo_429=0.2,qbo_5xx=0.1,qbo_drop_response=0.1,duplicate=0.3,out_of_order=0.3"


def test_month_with_faults_gives_exactly_one_qbo_invoice_each(tmp_path: Path) -> None:
    scenario = Scenario(events=invoice_month(40, seed=3))
    result = run_scenario(scenario, tmp_path, faults=parse_faults(FAULTS), seed=3, progress=print)
    invoices = result.summary["invoices"]
    assert result.all_processed, result.summary
    assert invoices["stripe_invoices"] == 40
    assert invoices["qbo_invoices"] == 40
    assert invoices["exactly_one_each"], invoices
    assert invoices["duplicates"] == 0
    assert invoices["totals_equal"], invoices
    assert result.summary["check"]["violations"] == 0, result.summary["check"]
    assert result.summary["events"]["deliveries"] > len(scenario.events)  # duplicates delivered
    assert result.summary["objects"]["failed"] == []
    qbo_requests = result.summary["qbo_requests"]
    assert sum(qbo_requests.values()) > 0
    assert result.summary["schema_refused"] == {}
    customers = {doc["DisplayName"] for doc in result.qbo_state["Customer"]}
    assert len(customers) == len(result.qbo_state["Customer"])  # one QBO customer per Stripe one
    for name in ("qbo.json", "links.json", "summary.json"):
        assert json.loads((tmp_path / name).read_text())


def test_same_scenario_twice_in_the_same_stack_changes_nothing(tmp_path: Path) -> None:
    events = invoice_month(10, seed=5)
    scenario = Scenario(events=events + events)  # every event delivered again afterwards
    result = run_scenario(scenario, tmp_path, faults=parse_faults("duplicate=0.5"), seed=5)
    assert result.summary["invoices"]["qbo_invoices"] == 10
    assert result.summary["invoices"]["exactly_one_each"]


def test_cli_run_writes_outputs_and_exits_zero(tmp_path: Path) -> None:
    events_file = tmp_path / "events.jsonl"
    assert main(["generate", "--invoices", "8", "--seed", "2", "--out", str(events_file)]) == 0
    assert len(load_scenario(events_file).events) >= 8 * 2
    code = main(
        [
            "run",
            "--events",
            str(events_file),
            "--out",
            str(tmp_path / "out"),
            "--faults",
            "qbo_429=0.1,duplicate=0.2",
            "--seed",
            "2",
        ]
    )
    assert code == 0
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["invoices"]["exactly_one_each"]


def test_cli_refuses_bad_input_clearly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "evt_1", "object": "event"\n')
    assert main(["run", "--events", str(bad), "--out", str(tmp_path / "o")]) == 2
    assert "bad.jsonl:1: not JSON" in capsys.readouterr().err
    write_scenario(bad, [{"id": "evt_1", "object": "event", "type": "x", "data": {}}])
    assert (
        main(["run", "--events", str(bad), "--out", str(tmp_path / "o"), "--faults", "nope=1"]) == 2
    )
    assert "unknown fault 'nope'" in capsys.readouterr().err


def test_demo_shows_the_product_and_says_where_things_are(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_demo(tmp_path, seed=7) == 0
    out = " ".join(capsys.readouterr().out.split())
    for row in ("Invoices", "Card payments (full, partial)", "Paid out of band", "Refunds",
                "Credit notes", "Disputes (lost)", "Payouts / bank deposits",
                "Settlements billed"):  # fmt: skip
        assert row in out, row
    assert "Duplicates │ │ 0" in out and "Checker violations │ │ 0" in out
    assert "OK: every Stripe object is in QBO exactly once" in out
    assert "balanced, 0 mismatched" in out
    report = tmp_path / "reconciliation_report.pdf"
    assert report.read_bytes().startswith(b"%PDF")
    assert f"Warehouse {tmp_path}/.state/warehouse.duckdb" in out
    assert "stripe-qbo-sync query --warehouse" in out and "Try next" in out
    # the books it leaves are the ones `check` reads: they agree there too
    assert main(["check", "--events", str(tmp_path / "events.jsonl"), "--out", str(tmp_path)]) == 0
