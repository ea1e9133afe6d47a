"""Replay and backfill through the local stack: FAILED links after a fix, event ids, time ranges
and types from the archive (older than Stripe's 30 days too) or from Stripe's events API."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import functions_framework
import pytest
from flask.testing import FlaskClient

from local_emulator.generator.stripe_objects import event_object
from local_emulator.harness.stack import LocalStack
from shared import bootstrap
from shared.cli.main import main as cli
from shared.domain.retries import ENQUEUED_AT, enqueued_at
from shared.errors import BadRequestError, MappingGapError
from shared.services import sync_object as sync_module
from shared.services.posting.work import SyncResult, Work
from shared.services.replay import Replay, ReplayRequest
from tests.fakes import InMemoryTaskQueue
from tests.functional.conftest import T0, WORKER_SOURCE
from tests.functional.test_worker_function import qbo_invoices, seed_invoice

REPLAY_SOURCE = WORKER_SOURCE.parent / "replay.py"
AUTH = {"Authorization": "Bearer local-dev-token"}


def deliver_invoices(stack: LocalStack, ids: list[str], created: int = T0 + 120) -> list[str]:
    """Seed finalized invoices and deliver an invoice.finalized event for each; the event ids."""
    deliverer = stack.deliverer()
    event_ids = []
    for n, invoice_id in enumerate(ids):
        seed_invoice(stack, invoice_id)
        invoice = stack.fake_stripe.get_object(invoice_id)
        assert invoice is not None
        event = event_object(f"evt_{invoice_id}", "invoice.finalized", created + n, invoice)
        stack.fake_stripe.seed_object(event)
        assert deliverer.send(event) == 200
        event_ids.append(event["id"])
    return event_ids


def broken_for(ids: set[str], post_first: set[str]) -> Callable[[Work], SyncResult]:
    """A mapping bug: these invoices fail (some after their QBO invoice was written)."""
    real = sync_module.HANDLERS["invoice"][1]

    def handler(work: Work) -> SyncResult:
        if work.request.object_id in post_first:
            real(work)
        if work.request.object_id in ids:
            raise MappingGapError("no rule for this invoice yet", code="test_gap")
        return real(work)

    return handler


def failures() -> list[str]:
    rows = bootstrap.warehouse().query("SELECT stripe_object_id FROM sync_failures")
    return sorted(str(r["stripe_object_id"]) for r in rows)


def test_replay_of_failed_links_after_a_fix_completes_them_without_duplicates(
    stack: LocalStack, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = ["in_0201", "in_0202", "in_0203", "in_0204"]
    handler = broken_for({"in_0202", "in_0203", "in_0204"}, post_first={"in_0204"})
    monkeypatch.setitem(sync_module.HANDLERS, "invoice", ("Invoice", handler))
    deliver_invoices(stack, ids)
    stack.queue.drain()
    assert failures() == ["in_0202", "in_0203", "in_0204"]
    monkeypatch.undo()  # the mapping fix is deployed

    assert cli(["replay", "--failed", "--dry-run", "--json"]) == 0
    listed = sorted(i["object_id"] for i in json.loads(capsys.readouterr().out)["items"])
    assert listed == ["in_0202", "in_0203", "in_0204"]
    assert failures() == ["in_0202", "in_0203", "in_0204"]  # a dry run changes nothing

    assert cli(["replay", "--failed", "--json"]) == 0
    printed = capsys.readouterr()
    summary = json.loads(printed.out)
    assert summary["enqueued"] == 3 and summary["tasks"]["exhausted"] == 0
    assert "enqueue" in printed.err and "3/3" in printed.err  # the progress bar
    assert failures() == []
    links = bootstrap.warehouse().query(
        "SELECT stripe_object_id, status FROM sync_links_current WHERE qbo_entity_type = 'Invoice'"
    )
    assert {r["stripe_object_id"]: r["status"] for r in links} == dict.fromkeys(ids, "COMPLETED")
    notes = sorted(str(doc["PrivateNote"]) for doc in qbo_invoices(stack))
    assert len(notes) == 4 and len(set(notes)) == 4
    # Nothing left to replay; replaying everything again changes nothing in QBO.
    assert cli(["replay", "--failed", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["objects"] == 0
    assert cli(["replay", "--type", "invoice"]) == 0
    assert len(qbo_invoices(stack)) == 4


@pytest.fixture
def queue(stack: LocalStack) -> InMemoryTaskQueue:
    fake = InMemoryTaskQueue()
    bootstrap.override(task_queue=fake)
    return fake


def use_case(queue: InMemoryTaskQueue) -> Replay:
    return Replay(bootstrap.warehouse(), bootstrap.stripe_gateway(), queue, bootstrap.clock())


def test_archive_selects_by_ids_time_range_and_type_older_than_30_days(
    stack: LocalStack, queue: InMemoryTaskQueue
) -> None:
    event_ids = deliver_invoices(stack, ["in_0301", "in_0302", "in_0303"])  # January: > 30 days
    queue.tasks.clear()
    replay = use_case(queue)

    by_ids = replay.run(ReplayRequest(event_ids=(event_ids[0], event_ids[2]), dry_run=True))
    assert [i.object_id for i in by_ids.items] == ["in_0301", "in_0303"]
    assert queue.tasks == {}

    window = ReplayRequest(
        since=datetime.fromtimestamp(T0 + 121, UTC),
        until=datetime.fromtimestamp(T0 + 122, UTC),
        object_type="invoice",
        run_id="r1",
    )
    report = replay.run(window)
    assert [i.object_id for i in report.items] == ["in_0302", "in_0303"]
    assert sorted(queue.tasks) == ["replay-r1-invoice-in_0302", "replay-r1-invoice-in_0303"]
    payload = dict(queue.tasks["replay-r1-invoice-in_0302"].payload)
    assert enqueued_at(payload) is not None  # the start of its retry horizon
    del payload[ENQUEUED_AT]
    assert payload == {"object_type": "invoice", "object_id": "in_0302", "event_id": "evt_in_0302"}
    again = replay.run(window)  # the same run retried: refused by name, harmless
    assert (again.enqueued, again.already_enqueued) == (0, 2)
    other = replay.run(ReplayRequest(object_type="customer"))
    assert other.items == []


def test_stripe_source_reads_recent_events_and_archives_them(
    stack: LocalStack, queue: InMemoryTaskQueue
) -> None:
    now = int(time.time())
    seed_invoice(stack, "in_0401")
    invoice = stack.fake_stripe.get_object("in_0401")
    assert invoice is not None
    event = stack.fake_stripe.seed_object(event_object("evt_recent", "invoice.paid", now, invoice))
    old = event_object("evt_old", "invoice.paid", T0, invoice)
    stack.fake_stripe.seed_object(old)
    replay = use_case(queue)
    report = replay.run(ReplayRequest(since=datetime.fromtimestamp(now - 60, UTC), source="stripe"))
    assert [i.event_id for i in report.items] == [event["id"]]
    by_id = replay.run(ReplayRequest(event_ids=("evt_recent",), source="stripe"))
    assert [i.event_id for i in by_id.items] == ["evt_recent"]
    with pytest.raises(BadRequestError, match="evt_old"):  # past Stripe's 30 days
        replay.run(ReplayRequest(event_ids=("evt_recent", "evt_old"), source="stripe"))
    archived = bootstrap.warehouse().query(
        "SELECT event_id, source FROM stripe_events_latest WHERE event_id = 'evt_recent'"
    )
    assert archived == [{"event_id": "evt_recent", "source": "replay"}]


@pytest.mark.parametrize(
    "request_",
    [
        ReplayRequest(),
        ReplayRequest(failed=True, event_ids=("evt_1",)),
        ReplayRequest(failed=True, source="stripe"),
        ReplayRequest(object_type="invoice", run_id="bad name!"),
    ],
)
def test_bad_requests_are_refused(
    stack: LocalStack, queue: InMemoryTaskQueue, request_: ReplayRequest
) -> None:
    with pytest.raises(BadRequestError):
        use_case(queue).run(request_)


@pytest.fixture
def replay_client(stack: LocalStack) -> FlaskClient:
    app = functions_framework.create_app(target="replay", source=str(REPLAY_SOURCE))
    return app.test_client()


def test_replay_function_dry_run_and_enqueue(
    stack: LocalStack, queue: InMemoryTaskQueue, replay_client: FlaskClient
) -> None:
    deliver_invoices(stack, ["in_0501"])
    queue.tasks.clear()
    body: dict[str, Any] = {"object_type": "invoice", "dry_run": True}
    listed = replay_client.post("/", json=body, headers=AUTH)
    assert listed.status_code == 200
    assert [i["object_id"] for i in listed.get_json()["items"]] == ["in_0501"]
    assert queue.tasks == {}
    done = replay_client.post("/", json={**body, "dry_run": False, "run_id": "x1"}, headers=AUTH)
    assert done.get_json()["enqueued"] == 1 and list(queue.tasks) == ["replay-x1-invoice-in_0501"]
    assert replay_client.post("/", json={}, headers=AUTH).status_code == 400
    assert replay_client.post("/", json={"since": "yesterday"}, headers=AUTH).status_code == 400
