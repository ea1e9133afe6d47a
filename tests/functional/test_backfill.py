"""The backfill use case on the local stack: every page, dependency order, runs recorded as they
move, a stop and its resume, a second run that writes nothing, the function's slices."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import functions_framework
import pytest

from local_emulator.checks.invariants import Violation, check_invariants
from local_emulator.generator import generate_month
from local_emulator.harness.scenario import scenario_of_lines
from local_emulator.harness.stack import LocalStack
from shared import bootstrap
from shared.config import reset_settings
from shared.errors import BadRequestError
from shared.services.backfill import BackfillProgress, BackfillRequest
from tests.fakes import InMemoryTaskQueue

SOURCE = Path(__file__).resolve().parents[2] / "functions" / "backfill.py"
AUTH = {"Authorization": "Bearer local-dev-token"}
SINCE = datetime(2020, 1, 1, tzinfo=UTC)


MONTH = scenario_of_lines(generate_month(5, customers=4, invoices=12))


@pytest.fixture
def stack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalStack]:
    """A small month seeded into the fake Stripe; pages of 10 objects, so there are many."""
    monkeypatch.setenv("SYNC_BACKFILL_PAGE_SIZE", "10")
    monkeypatch.setenv("SYNC_BACKFILL_CONCURRENCY", "8")
    scenario = MONTH
    with LocalStack(tmp_path / "state") as running:
        for obj in scenario.seed_state():
            running.fake_stripe.seed_object(obj)
        yield running


def runs(run_id: str) -> list[dict[str, Any]]:
    return bootstrap.warehouse().query(
        "SELECT status, checkpoint, objects_listed, objects_created, objects_failed "
        "FROM sync_runs WHERE run_id = @run_id ORDER BY recorded_at",
        {"run_id": run_id},
    )


def qbo_counts(stack: LocalStack) -> dict[str, int]:
    return {entity: len(docs) for entity, docs in stack.fake_qbo.state_json().items()}


def violations(stack: LocalStack) -> list[Violation]:
    """The books against what Stripe implies (exactly once, totals, AR, clearing)."""
    return check_invariants(MONTH, stack.fake_qbo.state_json())


def test_a_backfill_syncs_every_page_and_records_its_run(stack: LocalStack) -> None:
    seen: list[BackfillProgress] = []
    with bootstrap.backfill() as use_case:
        planned = use_case.plan(BackfillRequest(since=SINCE))
        run = use_case.run(BackfillRequest(since=SINCE), progress=seen.append)
    assert run.status == "COMPLETED" and run.counts.failed == 0
    assert run.counts.listed == sum(planned.values()) > 30
    assert planned["customer"] == 4 and planned["invoice"] == 12
    rows = runs(run.run_id)
    assert rows[0]["status"] == "RUNNING" and rows[-1]["status"] == "COMPLETED"
    assert len(rows) > 6  # a checkpoint per page of 10
    view = bootstrap.warehouse().query(
        "SELECT status, objects_listed FROM sync_runs_current WHERE run_id = @r",
        {"r": run.run_id},
    )
    assert view == [{"status": "COMPLETED", "objects_listed": run.counts.listed}]
    assert violations(stack) == []
    counts = qbo_counts(stack)
    assert stack.fake_qbo.request_counts()["batch"] > 0  # creates travel in batches
    assert seen and seen[-1].done == run.counts.listed
    assert run.counts.qbo_calls > 0 and run.counts.stripe_calls >= sum(planned.values()) // 10
    links = bootstrap.warehouse().query(
        "SELECT DISTINCT task_name FROM sync_links WHERE task_name NOT LIKE @prefix",
        {"prefix": f"backfill-{run.run_id}-%"},
    )
    assert links == []

    with bootstrap.backfill() as use_case:  # the same range again writes nothing
        again = use_case.run(BackfillRequest(since=SINCE))
    assert again.status == "COMPLETED" and again.counts.created == 0
    assert qbo_counts(stack) == counts


def test_a_stopped_run_resumes_from_its_checkpoint(stack: LocalStack) -> None:
    pages = iter(range(100))
    with bootstrap.backfill() as use_case:
        stopped = use_case.run(BackfillRequest(since=SINCE), stop=lambda: next(pages) >= 3)
    assert stopped.status == "RUNNING" and stopped.checkpoint is not None
    assert stopped.checkpoint["clean"] is True
    assert 0 < stopped.counts.listed < 60
    with bootstrap.backfill() as use_case:
        resumed = use_case.run(BackfillRequest(run_id=stopped.run_id))
    assert resumed.run_id == stopped.run_id and resumed.status == "COMPLETED"
    assert violations(stack) == []
    statuses = [row["status"] for row in runs(stopped.run_id)]
    assert statuses[0] == "RUNNING" and statuses[-1] == "COMPLETED"
    with bootstrap.backfill() as use_case:  # a finished run is not run again
        assert use_case.run(BackfillRequest(run_id=stopped.run_id)).status == "COMPLETED"
        with pytest.raises(BadRequestError, match="no backfill run"):
            use_case.run(BackfillRequest(run_id="nosuchrun"))
        with pytest.raises(BadRequestError, match="types are"):
            use_case.run(BackfillRequest(since=SINCE, types=("plan",)))


def test_the_function_works_a_slice_and_enqueues_the_rest(
    stack: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SYNC_BACKFILL_SLICE_SECONDS", "0")
    reset_settings()
    bootstrap.reset()
    queue = InMemoryTaskQueue()
    bootstrap.override(clock=stack.clock, task_queue=queue)
    client = functions_framework.create_app(target="backfill", source=str(SOURCE)).test_client()
    first = client.post("/", json={"since": "2020-01-01"}, headers=AUTH)
    assert first.status_code == 200, first.get_json()
    body = first.get_json()
    assert body["status"] == "RUNNING" and body["continued_by"]
    (task,) = queue.tasks.values()
    assert task.payload == {"run_id": body["run_id"]}
    assert task.url == bootstrap.settings().backfill_url
    dry = client.post("/", json={"since": "2020-01-01", "dry_run": True}, headers=AUTH)
    assert dry.get_json()["invoice"] == 12
    assert client.post("/", json={"since": "soon"}, headers=AUTH).status_code == 400
    misspelt = client.post("/", json={"since": "2020-01-01", "type": "invoice"}, headers=AUTH)
    assert misspelt.status_code == 400 and misspelt.get_json()["code"] == "bad_backfill"
    assert client.post("/", json={"since": "2020-01-01"}).status_code == 401
