"""Undo a backfill run: a dry run that lists, then deletes and deactivations newest first, links
appended as UNDONE, the undo recorded as a run, and a later run that posts everything again."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from local_emulator.generator import generate_month
from local_emulator.harness.scenario import scenario_of_lines
from local_emulator.harness.stack import LocalStack
from shared import bootstrap
from shared.errors import BadRequestError
from shared.services.backfill import BackfillRequest
from shared.services.undo import UndoRequest

SINCE = datetime(2020, 1, 1, tzinfo=UTC)
MONTH = scenario_of_lines(generate_month(6, customers=3, invoices=8))
TRANSACTIONS = ("Invoice", "Payment", "CreditMemo", "SalesReceipt", "RefundReceipt", "Deposit")


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[LocalStack]:
    with LocalStack(tmp_path / "state") as running:
        for obj in MONTH.seed_state():
            running.fake_stripe.seed_object(obj)
        yield running


def ours(stack: LocalStack) -> dict[str, list[dict[str, Any]]]:
    """Active QBO entries that carry our marker, by entity."""
    found: dict[str, list[dict[str, Any]]] = {}
    for entity, docs in stack.fake_qbo.state_json().items():
        for doc in docs:
            marked = any("Stripe " in str(doc.get(f)) for f in ("PrivateNote", "Notes"))
            if marked and doc.get("Active") is not False:
                found.setdefault(entity, []).append(doc)
    return found


def test_undo_lists_first_then_takes_back_a_run_and_a_later_run_posts_again(
    stack: LocalStack,
) -> None:
    with bootstrap.backfill() as use_case:
        first = use_case.run(BackfillRequest(since=SINCE))
    before = ours(stack)
    assert before["Invoice"] and before["Customer"]

    plan = bootstrap.undo().run(UndoRequest(run_id=first.run_id))
    assert plan.run is None and ours(stack) == before  # a dry run changes nothing
    actions = {item.entity: item.action for item in plan.items}
    assert actions["Invoice"] == "delete" and actions["Customer"] == "deactivate"
    order = [item.entity for item in plan.items]
    assert order.index("Customer") > max(i for i, e in enumerate(order) if e == "Invoice")

    report = bootstrap.undo().run(UndoRequest(run_id=first.run_id, dry_run=False))
    assert report.run is not None and report.run.status == "COMPLETED"
    assert {i.outcome for i in report.items} <= {"deleted", "deactivated", "voided"}
    left = ours(stack)
    assert not any(left.get(entity) for entity in (*TRANSACTIONS, "Customer"))
    states = bootstrap.warehouse().query(
        "SELECT DISTINCT status FROM sync_links_current WHERE task_name LIKE 'backfill-%'"
        " OR task_name LIKE 'undo-%'"
    )
    # every link to something the run wrote is UNDONE; a SKIPPED note (a deleted product's
    # lines went on the default item) wrote nothing of its own and stays as it was
    assert {row["status"] for row in states} - {"SKIPPED"} == {"UNDONE"}
    runs = bootstrap.warehouse().query(
        "SELECT kind, status FROM sync_runs_current WHERE run_id = @r", {"r": report.run.run_id}
    )
    assert runs == [{"kind": "undo", "status": "COMPLETED"}]

    replayed = stack.fake_qbo.request_counts().get("replayed", 0)
    with bootstrap.backfill() as use_case:
        again = use_case.run(BackfillRequest(since=SINCE))
    assert again.status == "COMPLETED" and again.counts.created > 0
    after = ours(stack)
    for entity in ("Invoice", "Payment", "Customer"):
        assert len(after.get(entity, [])) == len(before.get(entity, [])), entity
    assert stack.fake_qbo.request_counts().get("replayed", 0) == replayed  # new requestids


def test_undo_refuses_what_it_cannot_name() -> None:
    with pytest.raises(BadRequestError, match="say what to undo"):
        UndoRequest().check()
    with pytest.raises(BadRequestError, match="run id"):
        UndoRequest(run_id="bad id!").check()


def test_undo_of_a_run_nobody_made_is_refused_not_nothing(stack: LocalStack) -> None:
    """A mistyped run id is bad input (the CLI's exit 2), never a reassuring "nothing to undo"."""
    with pytest.raises(BadRequestError, match="no backfill or replay run r0000nosuch") as refused:
        bootstrap.undo().run(UndoRequest(run_id="r0000nosuch"))
    assert refused.value.code == "unknown_run"
