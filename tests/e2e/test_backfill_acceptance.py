"""Backfill acceptance: generated months through ``run --mode backfill`` pass the checker, and a
backfill killed halfway (SIGKILL, a real process) and resumed leaves the same books.

The kill test runs the production command (``stripe-qbo-sync backfill``) in a child process
against a fake Stripe and a fake QBO served by this process, so QBO's state outlives the child.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from local_emulator.checks.invariants import check_invariants
from local_emulator.fakes.qbo import FakeQbo, FakeQboServer
from local_emulator.fakes.stripe import FakeStripe, FakeStripeServer
from local_emulator.generator import generate_month
from local_emulator.harness.runner import run_scenario
from local_emulator.harness.scenario import Scenario, parse_faults

ROOT = Path(__file__).resolve().parents[2]
FAULTS = "qbo_429=0.1,qbo_5xx=0.05,qbo_drop_response=0.05"
FULL = os.environ.get("SYNC_FULL_ACCEPTANCE") == "1"
SEEDS = range(1, 7) if FULL else range(1, 2)


def month(seed: int, customers: int = 6, invoices: int = 20) -> Scenario:
    lines = generate_month(seed, customers=customers, invoices=invoices)
    return Scenario(
        events=[x for x in lines if x.get("object") == "event"],
        objects=[x for x in lines if x.get("object") != "event"],
    )


def _quiet(message: str) -> None:
    """The runner's progress lines: not needed here."""


@pytest.mark.parametrize("seed", SEEDS)
def test_a_generated_month_backfilled_passes_the_checker(seed: int, tmp_path: Path) -> None:
    scenario = month(seed)
    result = run_scenario(
        scenario, tmp_path, faults=parse_faults(FAULTS), seed=seed, progress=_quiet,
        mode="backfill",
    )  # fmt: skip
    backfill = result.summary["backfill"]
    assert backfill["status"] == "COMPLETED", backfill
    assert result.summary["events"]["deliveries"] == 0  # no webhook was delivered
    assert result.summary["qbo_requests"]["batch"] > 0
    qbo_state = json.loads((tmp_path / "qbo.json").read_text(encoding="utf-8"))
    assert check_invariants(scenario, qbo_state) == []


def _environment(state: Path, stripe: FakeStripeServer, qbo: FakeQboServer) -> dict[str, str]:
    refresh = qbo.register_client("local-client-id", "local-client-secret")
    (state / "secrets.json").write_text(json.dumps({"qbo-refresh-token": refresh}))
    return {
        **os.environ,
        "SYNC_STATE_DIR": str(state),
        "SYNC_WAREHOUSE": "duckdb",
        "SYNC_TASK_QUEUE": "local",
        "SYNC_SECRETS": "local",
        "SYNC_STRIPE_API_BASE": stripe.base_url,
        "SYNC_QBO_BASE_URL": qbo.base_url,
        "SYNC_QBO_DISCOVERY_URL": qbo.discovery_url,
        "SYNC_QBO_REALM_ID": qbo.realm_id,
        "SYNC_QBO_TIME_SCALE": "10",
        "SYNC_BACKFILL_PAGE_SIZE": "10",
        "SYNC_BACKFILL_CONCURRENCY": "8",
    }


def _backfill(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "local_emulator", "backfill", "--json", *args]
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def test_a_backfill_killed_halfway_and_resumed_leaves_the_books_right(tmp_path: Path) -> None:
    scenario = month(11, customers=8, invoices=40)
    fake_stripe = FakeStripe()
    for obj in scenario.seed_state():
        fake_stripe.seed_object(obj)
    fake_qbo = FakeQbo(time_scale=10)
    with FakeStripeServer(fake_stripe) as stripe, FakeQboServer(fake_qbo) as qbo:
        env = _environment(tmp_path, stripe, qbo)
        child = _backfill(env, "--since", "2020-01-01")
        deadline = time.monotonic() + 120
        while fake_qbo.request_counts().get("create", 0) < 60 and time.monotonic() < deadline:
            assert child.poll() is None, child.communicate()
            time.sleep(0.02)
        child.send_signal(signal.SIGKILL)  # no cleanup, no last checkpoint: a crash
        child.wait(timeout=30)
        at_kill = fake_qbo.request_counts()["create"]
        with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as db:
            rows = db.execute(
                "SELECT run_id, status, checkpoint FROM sync_runs ORDER BY recorded_at DESC LIMIT 1"
            ).fetchall()
        (run_id, status, checkpoint) = rows[0]
        assert status == "RUNNING" and json.loads(checkpoint)["type"] != "payout"

        resumed = _backfill(env, "--run", run_id)
        out, err = resumed.communicate(timeout=600)
        assert resumed.returncode == 0, err[-2000:]
        result = json.loads(out)
        assert result["run_id"] == run_id and result["status"] == "COMPLETED"
        assert fake_qbo.request_counts()["create"] > at_kill  # the rest was done after the kill
        assert check_invariants(scenario, fake_qbo.state_json()) == []
