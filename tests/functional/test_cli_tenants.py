"""``stripe-qbo-sync tenants add|list|disable`` and ``--tenant`` on the production commands:
tenants are rows (no deployment), a backfill for one tenant writes to its realm from its
account only, and ``query --tenant`` shows that tenant's rows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from local_emulator.generator import generate_month
from local_emulator.harness.scenario import scenario_of_lines
from local_emulator.harness.stack import LocalStack, tenant_id_for
from shared.cli.main import main

ACCOUNT, REALM = "acct_1Tenant", "9130350000000002"


def listed(capsys: pytest.CaptureFixture[str]) -> dict[str, dict[str, object]]:
    assert main(["tenants", "list", "--json"]) == 0
    return {row["tenant"]: row for row in json.loads(capsys.readouterr().out)}


def test_tenants_are_added_listed_and_disabled_as_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with LocalStack(tmp_path / "state", tenants={ACCOUNT: REALM}):
        assert set(listed(capsys)) == {tenant_id_for(ACCOUNT)}
        add = ["tenants", "add", "acme", "--realm", "9130350000000009", "--account", "acct_1Acme"]
        books = tmp_path / "acme.toml"
        books.write_text('[accounts]\nclearing = "Stripe (Acme)"\n', encoding="utf-8")
        assert main([*add, "--books", str(books), "--set", "cutover_date=2026-01-01"]) == 0
        assert "tenant-acme-qbo-refresh-token" in capsys.readouterr().err
        row = listed(capsys)["acme"]
        expected = {"books_toml": books.read_text(encoding="utf-8"), "cutover_date": "2026-01-01"}
        assert (row["qbo_realm"], row["status"], row["settings"]) == (
            "9130350000000009",
            "ACTIVE",
            expected,
        )
        assert main(add) == 2  # exists: --replace changes it
        assert "--replace" in capsys.readouterr().err
        taken = ["tenants", "add", "other", "--realm", REALM]
        assert main(taken) == 2 and "realm" in capsys.readouterr().err
        assert main(["tenants", "add", "x", "--realm", "1", "--set", "warehouse=bigquery"]) == 2
        assert main(["tenants", "add", "default", "--realm", "1"]) == 2
        assert main(["tenants", "disable", "acme"]) == 0
        assert listed(capsys)["acme"]["status"] == "DISABLED"
        assert main(["tenants", "disable", "nobody"]) == 2


def test_a_backfill_for_one_tenant_posts_its_account_to_its_realm(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    month = scenario_of_lines(generate_month(7, customers=2, invoices=4))
    tenant = tenant_id_for(ACCOUNT)
    with LocalStack(tmp_path / "state", tenants={ACCOUNT: REALM}) as stack:
        for obj in month.seed_state():
            stack.stripe_for(ACCOUNT).seed_object(obj)
        command = ["backfill", "--since", "2020-01-01", "--json"]
        assert main([*command, "--tenant", tenant]) == 0
        result = json.loads(capsys.readouterr().out)
        assert result["status"] == "COMPLETED" and result["objects_listed"] >= 6
        assert len(stack.qbo_for(REALM).state_json()["Invoice"]) == 4
        assert "Invoice" not in stack.fake_qbo.state_json()  # the default realm: untouched
        # The platform's own account holds none of it: the default tenant finds nothing.
        assert main(command) == 0
        assert json.loads(capsys.readouterr().out)["objects_listed"] == 0
        count = "SELECT COUNT(*) AS n FROM sync_links_current WHERE status = 'COMPLETED'"
        assert main(["query", count, "--format", "json", "--tenant", tenant]) == 0
        mine = json.loads(capsys.readouterr().out)[0]["n"]
        assert main(["query", count, "--format", "json", "--tenant", "default"]) == 0
        assert mine >= 6 and json.loads(capsys.readouterr().out)[0]["n"] == 0
        capsys.readouterr()
        assert main(["backfill", "--since", "2020-01-01", "--tenant", "nobody"]) == 2
        assert "--tenant nobody" in capsys.readouterr().err  # bad input: exit 2, one line
