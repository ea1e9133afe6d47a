"""Retries by kind: 429 waits >= 60 s in a scheduled follow-up, 5xx answers 503, exhaustion is
recorded FAILED and answered 2xx, and a task that dies without an answer is recorded too."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient

from local_emulator.harness.stack import LocalStack
from shared import bootstrap
from shared.domain.retries import stamped
from shared.ports import Task
from shared.services.retry_policy import (
    PRIOR_ATTEMPTS,
    RetryDeps,
    record_exhausted_task,
    retry_deps,
)
from tests.fakes import InMemoryTaskQueue
from tests.functional.test_worker_function import (
    current_link,
    invoice_task,
    qbo_invoices,
    run_task,
    seed_invoice,
)


@pytest.fixture
def queue(stack: LocalStack) -> InMemoryTaskQueue:
    fake = InMemoryTaskQueue()
    bootstrap.override(task_queue=fake)
    return fake


def test_throttled_task_schedules_a_follow_up_60s_ahead_and_answers_200(
    stack: LocalStack, client: FlaskClient, queue: InMemoryTaskQueue
) -> None:
    seed_invoice(stack, "in_0101")
    run_task(client, {"object_type": "customer", "object_id": "cus_A"})
    stack.fake_qbo.faults.force("qbo_429")
    before = stack.clock.now()
    response = run_task(client, invoice_task("in_0101"), name="evt-throttled")
    assert response.status_code == 200
    assert response.get_json() == {"outcome": "RETRY_SCHEDULED", "task": "evt-throttled-r1"}
    (follow_up,) = queue.tasks.values()
    assert follow_up.schedule_time is not None
    assert follow_up.schedule_time - before >= timedelta(seconds=60)
    assert follow_up.payload[PRIOR_ATTEMPTS] == 1
    assert qbo_invoices(stack) == []
    # The same delivery answered twice (a lost 200) schedules the same follow-up, not another.
    stack.fake_qbo.faults.force("qbo_429")
    again = run_task(client, invoice_task("in_0101"), name="evt-throttled")
    assert again.get_json()["task"] == "evt-throttled-r1"
    assert len(queue.tasks) == 1
    # The follow-up counts the earlier attempt: it heals first, then completes once.
    done = run_task(client, follow_up.payload, name=follow_up.name)
    assert done.get_json()["outcome"] == "COMPLETED"
    assert len(qbo_invoices(stack)) == 1
    log = bootstrap.warehouse().query(
        "SELECT attempt, detail FROM sync_log WHERE operation = 'retry_policy'"
    )
    assert log and "retry scheduled in 60 s as evt-throttled-r1" in log[0]["detail"]


def test_a_throttled_follow_up_chains_without_growing_names(
    stack: LocalStack, client: FlaskClient, queue: InMemoryTaskQueue
) -> None:
    seed_invoice(stack, "in_0102")
    stack.fake_qbo.faults.force("qbo_429")
    run_task(client, invoice_task("in_0102"), name="evt-a")
    first = queue.tasks["evt-a-r1"]
    stack.fake_qbo.faults.force("qbo_429")
    response = run_task(client, first.payload, name=first.name, retry=2)
    assert response.get_json()["task"] == "evt-a-r4"  # 1 earlier + 3 attempts of the follow-up
    assert queue.tasks["evt-a-r4"].payload[PRIOR_ATTEMPTS] == 4


@pytest.mark.parametrize("fault", ["qbo_5xx", "qbo_timeout", "qbo_drop_response"])
def test_other_transient_faults_answer_503_for_the_queue_backoff(
    stack: LocalStack, client: FlaskClient, queue: InMemoryTaskQueue, fault: str
) -> None:
    stack.fake_qbo.faults.set("timeout_delay_seconds", 0.0)
    seed_invoice(stack, "in_0103")
    run_task(client, {"object_type": "customer", "object_id": "cus_A"})
    stack.fake_qbo.faults.force(fault)
    assert run_task(client, invoice_task("in_0103")).status_code in (503, 200)
    assert queue.tasks == {}
    assert run_task(client, invoice_task("in_0103"), retry=1).status_code == 200
    assert len(qbo_invoices(stack)) == 1


def test_the_last_attempt_records_failed_exhausted_and_answers_200(
    stack: LocalStack, client: FlaskClient, queue: InMemoryTaskQueue
) -> None:
    seed_invoice(stack, "in_0104")
    stack.fake_qbo.faults.force("qbo_5xx", times=5)
    last = bootstrap.settings().task_max_attempts - 1
    assert run_task(client, invoice_task("in_0104"), retry=last - 1).status_code == 503
    response = run_task(client, invoice_task("in_0104"), retry=last)
    assert response.status_code == 200
    assert response.get_json()["outcome"] == "EXHAUSTED"
    link = current_link("in_0104")
    assert (link["status"], link["last_error_code"]) == ("FAILED", "exhausted")
    failures = bootstrap.warehouse().query("SELECT stripe_object_id FROM sync_failures")
    assert [row["stripe_object_id"] for row in failures] == ["in_0104"]
    # A throttle on the last attempt is recorded too, not scheduled again.
    stack.fake_qbo.faults.force("qbo_429")
    again = run_task(client, invoice_task("in_0104"), retry=last, name="evt-later")
    assert again.get_json()["outcome"] == "EXHAUSTED"
    assert queue.tasks == {}


def test_transient_is_never_final_within_the_retry_horizon(
    stack: LocalStack, client: FlaskClient, queue: InMemoryTaskQueue
) -> None:
    """Past its attempts, a task younger than the horizon (days) is retried, not recorded FAILED:
    Cloud Tasks keeps it until both limits are reached. Its last attempt is the one past both."""
    seed_invoice(stack, "in_0107")
    last = bootstrap.settings().task_max_attempts - 1
    young = stamped(invoice_task("in_0107"), stack.clock.now() - timedelta(hours=5))
    stack.fake_qbo.faults.force("qbo_5xx")
    assert run_task(client, young, retry=last + 40).status_code == 503
    assert bootstrap.warehouse().query("SELECT * FROM sync_failures") == []
    horizon = timedelta(seconds=bootstrap.settings().task_max_retry_seconds)
    old = stamped(invoice_task("in_0107"), stack.clock.now() - horizon)
    stack.fake_qbo.faults.force("qbo_5xx")
    response = run_task(client, old, retry=last + 400)
    assert response.get_json()["outcome"] == "EXHAUSTED"
    assert current_link("in_0107")["last_error_code"] == "exhausted"
    # Too young by less than a dispatch deadline is already the last: the queue judges after
    # the answer, and recording early is safe (catch-up re-drives it).
    nearly = stamped(invoice_task("in_0107"), stack.clock.now() - horizon + timedelta(minutes=2))
    stack.fake_qbo.faults.force("qbo_5xx")
    assert run_task(client, nearly, retry=last + 400).get_json()["outcome"] == "EXHAUSTED"


def test_a_task_the_queue_gave_up_on_is_recorded_failed(stack: LocalStack) -> None:
    deps: RetryDeps = retry_deps(bootstrap.sync_deps(), InMemoryTaskQueue(), bootstrap.settings())
    record_exhausted_task(invoice_task("in_0105"), "evt-dead", 20, deps)
    link = current_link("in_0105")
    assert (link["status"], link["last_error_code"], link["qbo_entity_type"]) == (
        "FAILED",
        "exhausted",
        "Invoice",
    )


def test_through_the_queue_a_429_retry_waits_at_least_60s(stack: LocalStack) -> None:
    """The local queue moves its clock to the follow-up's schedule time; nothing runs sooner."""
    seed_invoice(stack, "in_0106")
    stack.fake_qbo.faults.force("qbo_429")
    stack.queue.enqueue(Task(name="evt-q", payload=invoice_task("in_0106")))
    stats = stack.queue.drain()
    assert stats.exhausted == 0
    rows = bootstrap.warehouse().query(
        "SELECT task_name, outcome, recorded_at FROM sync_log WHERE object_id = 'in_0106' "
        "ORDER BY recorded_at"
    )
    throttled = next(r for r in rows if r["outcome"] == "RETRY")
    completed = next(r for r in rows if r["outcome"] == "COMPLETED")
    assert completed["task_name"] == "evt-q-r1"
    assert completed["recorded_at"] - throttled["recorded_at"] >= timedelta(seconds=60)
    assert len(qbo_invoices(stack)) == 1
