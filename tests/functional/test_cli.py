"""The ``stripe-qbo-sync`` command line: one registry, help that lists valid values and defaults,
bad input refused in one line with exit 2, and nothing that waits on a server nobody started."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.cli.command import Command
from shared.cli.main import main
from shared.cli.registry import discover
from shared.config import reset_settings

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {"replay", "backfill", "undo", "report", "statement", "query"}
LOCAL = {"demo", "run", "check", "generate", "campaign", "reconcile"}
HEAVY = (
    "duckdb",
    "stripe",
    "reportlab",
    "google.cloud.bigquery",
    "google.cloud.tasks_v2",
    "functions_framework",
    "quickbooks",
    "rich",
    "local_emulator.harness.stack",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def local_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Local settings in a scratch state directory, with nothing listening anywhere."""
    from shared import bootstrap

    dead = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("SYNC_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("SYNC_STRIPE_API_BASE", dead)
    monkeypatch.setenv("SYNC_QBO_BASE_URL", f"{dead}/v3")
    monkeypatch.setenv("SYNC_WORKER_URL", f"{dead}/sync_worker")
    reset_settings()
    bootstrap.reset()
    yield tmp_path / "state"
    bootstrap.reset()
    reset_settings()


def archive_one_event(state: Path) -> str:
    """A local warehouse holding one archived invoice event; its id."""
    from datetime import UTC, datetime

    from shared.adapters.duckdb_warehouse import DuckDbWarehouse
    from shared.services.replay import archive_events

    event = {
        "id": "evt_cli_1", "object": "event", "type": "invoice.finalized", "created": 1_767_225_600,
        "data": {"object": {"id": "in_cli_1", "object": "invoice"}},
    }  # fmt: skip
    warehouse = DuckDbWarehouse(str(state / "warehouse.duckdb"))
    archive_events(warehouse, [event], datetime.now(UTC), "test")
    warehouse.close()
    return "evt_cli_1"


def test_every_command_is_registered_once_in_its_package() -> None:
    commands = discover()
    names = [c.name for c in commands]
    assert len(names) == len(set(names))
    assert {c.name for c in commands if c.scope == "production"} >= PRODUCTION
    assert {c.name for c in commands if c.scope == "local"} == LOCAL
    for module in (ROOT / "shared").rglob("*.py"):  # production never imports the emulator
        text = module.read_text(encoding="utf-8")
        assert "from local_emulator" not in text and "import local_emulator" not in text, module


def test_a_module_dropped_into_the_package_is_a_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "extra_commands"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "hello.py").write_text(
        textwrap.dedent("""
        from shared.cli.command import Command
        COMMAND = Command(name="hello", summary="say hello",
                          configure=lambda parser: None, run=lambda args: 0)
    """)
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    found = discover(("extra_commands",))
    assert [c.name for c in found] == ["hello"] and isinstance(found[0], Command)


def test_listing_the_commands_loads_no_heavy_library() -> None:
    code = (
        "import sys; from shared.cli.main import build_parser; build_parser(configure='');"
        f"print(sorted(m for m in sys.modules if m.startswith({HEAVY!r})))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert loaded.stdout.strip() == "[]"


def test_help_lists_defaults_and_valid_values(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    top = capsys.readouterr().out
    for name in PRODUCTION | LOCAL:
        assert f"  {name} " in top
    for name in sorted(PRODUCTION | LOCAL):
        assert main([name, "--help"]) == 0, name
        text = " ".join(capsys.readouterr().out.split())
        assert "exit codes" in text
    assert main(["generate", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "{month,invoices}" in text and "(default: invoices)" in text
    assert main(["replay", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "{archive,stripe}" in text and "invoice" in text and "(default: archive)" in text


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["generate", "--invoices", "-1", "--out", "x.jsonl"], "-1 is negative"),
        (["generate", "--kind", "year", "--out", "x.jsonl"], "invalid choice: 'year'"),
        (["generate", "--currencies", "dollars", "--out", "x.jsonl"], "not an ISO 4217"),
        (["campaign", "--qbo-429", "1.5"], "not a probability between 0 and 1"),
        (["campaign", "--crash", "-0.1"], "not a probability between 0 and 1"),
        (["campaign", "--events", "0"], "give 1 or more"),
        (["run", "--events", "missing.jsonl", "--out", "o"], "no such file: missing.jsonl"),
        (["check", "--events", "missing.jsonl", "--out", "o"], "no such file"),
        (["replay", "--type", "planet"], "invalid choice: 'planet'"),
        (["replay", "--since", "yesterday"], "not a time"),
        (["query"], "give the SQL"),
        (["nonsense"], "invalid choice"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str], local_env: Path
) -> None:
    assert main(argv) == 2
    printed = capsys.readouterr()
    lines = printed.err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], printed.err
    assert "Traceback" not in printed.err


def test_a_malformed_events_line_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "evt_1", "object": "event", "type": "x", "data": {}}\n{"id": \n')
    assert main(["run", "--events", str(bad), "--out", str(tmp_path / "o")]) == 2
    assert main(["run", "--events", str(bad), "--out", str(tmp_path / "o"), "--faults", "x"]) == 2
    assert main(["check", "--events", str(bad), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3 and all("bad.jsonl:2: not JSON" in line for line in err)


def test_a_missing_warehouse_is_refused_not_created(
    local_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere.duckdb"
    for argv in (["report", "--out", str(tmp_path)], ["query", "SELECT 1"],
                 ["replay", "--failed", "--dry-run"],
                 ["report", "--warehouse", str(missing), "--out", str(tmp_path)]):  # fmt: skip
        assert main(argv) == 2, argv
        assert "no warehouse at" in capsys.readouterr().err
    assert not missing.exists() and not (local_env / "warehouse.duckdb").exists()


def test_report_refuses_a_warehouse_where_nothing_was_reconciled(
    local_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archive_one_event(local_env)
    assert main(["report", "--out", str(tmp_path)]) == 2
    assert "no reconcile has run" in capsys.readouterr().err
    assert not (tmp_path / "reconciliation_report.pdf").exists()


def test_unknown_event_ids_are_refused_before_anything_is_enqueued(
    local_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    known = archive_one_event(local_env)
    assert main(["replay", "--events", f"{known},evt_nope", "--dry-run"]) == 2
    assert "unknown event ids in the archive: evt_nope" in capsys.readouterr().err
    assert main(["replay", "--events", known, "--dry-run", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["items"][0]["object_id"] == "in_cli_1"


def test_local_replay_stops_at_once_when_nothing_serves_stripe_or_qbo(
    local_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    known = archive_one_event(local_env)
    started = time.monotonic()
    assert main(["replay", "--events", known]) == 1
    assert time.monotonic() - started < 10
    err = capsys.readouterr().err
    assert "nothing answers for Stripe (SYNC_STRIPE_API_BASE) at http://127.0.0.1:" in err
    assert len(err.strip().splitlines()) == 1


def test_replay_against_a_deployment_fails_fast_with_the_url(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"http://127.0.0.1:{free_port()}/replay"
    monkeypatch.setenv("SYNC_REPLAY_TOKEN", "token")
    started = time.monotonic()
    assert main(["replay", "--type", "invoice", "--url", url]) == 1
    assert time.monotonic() - started < 10
    assert f"cannot reach {url}" in capsys.readouterr().err


def test_query_prints_a_table_and_refuses_bad_sql(
    local_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archive_one_event(local_env)
    sql = "SELECT event_id, event_type FROM stripe_events_latest WHERE event_id LIKE 'evt_%'"
    assert main(["query", sql]) == 0
    printed = capsys.readouterr()
    assert "evt_cli_1" in printed.out and "invoice.finalized" in printed.out
    assert "1 row" in printed.err
    assert main(["query", sql, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == [
        {"event_id": "evt_cli_1", "event_type": "invoice.finalized"}
    ]
    assert main(["query", "SELECT nope FROM nowhere"]) == 2
    assert "the warehouse refused the query" in capsys.readouterr().err


def test_python_dash_m_local_emulator_is_the_same_command_line() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "local_emulator", "run", "--help"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0
    assert done.stdout.startswith("usage: python -m local_emulator run")
