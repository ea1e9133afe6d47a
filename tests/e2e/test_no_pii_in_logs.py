"""Every JSON log line of a faulty generated month, a replay, a catch-up and the demo is free of
customer names, emails, street addresses and secrets."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from local_emulator.generator import generate_month
from local_emulator.harness import demo
from local_emulator.harness.runner import run_scenario
from local_emulator.harness.scenario import Scenario, parse_faults
from local_emulator.harness.stack import QBO_CLIENT_SECRET, STRIPE_KEY, WEBHOOK_SECRET

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
STREET = re.compile(r"\b\d{1,5} [A-Z][a-z]+ (Street|St|Avenue|Ave|Road|Rd|Lane|Way)\b")
TOKENS = re.compile(r"(RT1-[A-Za-z0-9_-]{8,}|eyJ-fake-[A-Za-z0-9_-]{8,}|sk_test_|whsec_)")
SECRETS = (STRIPE_KEY, WEBHOOK_SECRET, QBO_CLIENT_SECRET, "local-dev-token")
ADDRESS = {"line1": "42 Harbour Street", "city": "Springfield", "postal_code": "90210",
           "country": "US", "line2": None, "state": "CA"}  # fmt: skip


def personal_values(lines: list[dict[str, Any]]) -> set[str]:
    """Names, emails, phones and address lines of every customer in the scenario."""
    found: set[str] = set()

    def visit(value: Any) -> None:
        if isinstance(value, dict):
            if value.get("object") == "customer":
                for key in ("name", "email", "phone"):
                    if isinstance(value.get(key), str) and len(value[key]) > 3:
                        found.add(value[key])
                address = value.get("address")
                if isinstance(address, dict) and address.get("line1"):
                    found.add(str(address["line1"]))
            for item in value.values():
                visit(item)
        elif isinstance(value, list):
            for item in value:
                visit(item)

    visit(lines)
    return found


def with_addresses(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    def visit(value: Any) -> Any:
        if isinstance(value, dict):
            out = {k: visit(v) for k, v in value.items()}
            if out.get("object") == "customer":
                out["address"] = ADDRESS
                out["phone"] = "+1 555 0100 2233"
            return out
        if isinstance(value, list):
            return [visit(v) for v in value]
        return value

    return [visit(line) for line in lines]


def log_lines(state_dir: Path) -> list[str]:
    lines = (state_dir / "functions.log").read_text(encoding="utf-8").splitlines()
    for line in lines:
        json.loads(line)  # every line is one JSON object
    return lines


def assert_clean(lines: list[str], personal: set[str]) -> None:
    assert lines, "no log lines captured"
    for line in lines:
        for value in personal | set(SECRETS):
            assert value not in line, f"{value!r} leaked: {line[:200]}"
        assert not EMAIL.search(line), line[:200]
        assert not STREET.search(line), line[:200]
        assert not TOKENS.search(line), line[:200]


def test_a_faulty_month_logs_no_personal_data(tmp_path: Path) -> None:
    month = with_addresses(generate_month(17, customers=6, invoices=14))
    scenario = Scenario(
        events=[x for x in month if x.get("object") == "event"],
        objects=[x for x in month if x.get("object") != "event"],
    )
    personal = personal_values(month)
    assert any("Customer 0001" in value for value in personal)
    assert any("@example.com" in value for value in personal)
    faults = parse_faults("qbo_429=0.15,qbo_5xx=0.1,qbo_drop_response=0.1,duplicate=0.3")
    run_scenario(scenario, tmp_path, faults=faults, seed=17, progress=lambda message: None)
    assert_clean(log_lines(tmp_path / ".state"), personal)


def test_the_demo_logs_no_personal_data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert demo.run_demo(tmp_path, seed=7) == 0
    capsys.readouterr()
    personal = set(demo.CUSTOMERS) | {"Acme"}
    assert_clean(log_lines(tmp_path / ".state"), personal)


def test_replay_and_catch_up_log_no_personal_data(tmp_path: Path) -> None:
    from local_emulator.harness.stack import LocalStack
    from shared import bootstrap
    from shared.cli.main import main as cli
    from shared.services.catch_up import CatchUp

    month = with_addresses(generate_month(5, customers=3, invoices=4))
    with LocalStack(tmp_path / "state") as stack:
        everything = Scenario(
            events=[x for x in month if x.get("object") == "event"],
            objects=[x for x in month if x.get("object") != "event"],
        )
        for line in everything.seed_state():
            stack.fake_stripe.seed_object(line)
        stack.deliverer().deliver([x for x in month if x.get("object") == "event"][:10])
        CatchUp(
            bootstrap.warehouse(), bootstrap.stripe_gateway(), stack.queue, bootstrap.clock()
        ).run()
        stack.queue.drain()
        assert cli(["replay", "--type", "invoice"]) == 0
        assert cli(["replay", "--failed"]) == 0
        lines = log_lines(tmp_path / "state")
    assert_clean(lines, personal_values(month))
