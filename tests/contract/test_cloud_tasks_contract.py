"""CloudTasksQueue through the real tasks_v2 client against an in-process gRPC fake."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import pytest
from google.cloud import tasks_v2

from shared.adapters.cloud_tasks import MAX_TASK_ID_LENGTH, CloudTasksQueue, task_id_for
from shared.config import Settings
from shared.errors import (
    AuthenticationError,
    NotFoundError,
    PermanentError,
    ThrottledError,
    TransientError,
    UpstreamUnavailableError,
)
from shared.ports import Task
from tests.contract.conftest import LOCATION, PROJECT, QUEUE, QUEUE_PATH
from tests.contract.fake_cloud_tasks import FakeCloudTasks

WORKER = "https://sync-worker-abc-ew.a.run.app/sync_worker"
SERVICE_ACCOUNT = "tasks-invoker@contract-project.iam.gserviceaccount.com"


def make_queue(client: Any, **overrides: Any) -> CloudTasksQueue:
    options: dict[str, Any] = {
        "project": PROJECT,
        "location": LOCATION,
        "queue": QUEUE,
        "worker_url": WORKER,
        "service_account_email": SERVICE_ACCOUNT,
        "audience": "https://sync-worker-abc-ew.a.run.app",
        "dispatch_deadline_seconds": 120.0,
        "timeout_seconds": 5.0,
        "client": client,
    }
    options.update(overrides)
    return CloudTasksQueue(**options)


def fetch(client: Any, name: str) -> tasks_v2.Task:
    return client.get_task(
        request={"name": name, "response_view": tasks_v2.Task.View.FULL}, timeout=5.0
    )


def test_created_task_carries_target_body_headers_token_schedule_and_deadline(
    tasks_client: Any,
) -> None:
    queue = make_queue(tasks_client)
    when = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    task = Task(
        name="evt_1NqQ2b",
        payload={"object": "invoice", "id": "in_123", "amount_due": 1050},
        schedule_time=when,
        headers={"X-Correlation-Id": "corr-1"},
    )

    assert queue.enqueue(task) is True

    stored = fetch(tasks_client, f"{QUEUE_PATH}/tasks/evt_1NqQ2b")
    request = stored.http_request
    assert request.url == WORKER
    assert request.http_method == tasks_v2.HttpMethod.POST
    assert json.loads(request.body) == task.payload
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-Correlation-Id"] == "corr-1"
    assert request.oidc_token.service_account_email == SERVICE_ACCOUNT
    assert request.oidc_token.audience == "https://sync-worker-abc-ew.a.run.app"
    assert stored.schedule_time == when
    assert stored.dispatch_deadline == timedelta(seconds=120)


def test_explicit_url_wins_and_audience_defaults_to_it(tasks_client: Any) -> None:
    queue = make_queue(tasks_client, audience="")
    other = "https://settlement-poll-abc-ew.a.run.app/run"

    assert queue.enqueue(Task(name="poll-2030-01", payload={}, url=other))

    stored = fetch(tasks_client, f"{QUEUE_PATH}/tasks/poll-2030-01")
    assert stored.http_request.url == other
    assert stored.http_request.oidc_token.audience == other


def test_a_task_for_another_function_carries_that_functions_audience(tasks_client: Any) -> None:
    queue = make_queue(tasks_client, audience="https://sync-worker-abc-ew.a.run.app")
    backfill = "https://backfill-abc-ew.a.run.app"

    assert queue.enqueue(Task(name="backfill-run1-invoice-in_9", payload={}, url=backfill))

    stored = fetch(tasks_client, f"{QUEUE_PATH}/tasks/backfill-run1-invoice-in_9")
    assert stored.http_request.oidc_token.audience == backfill


def test_a_task_is_signed_as_its_targets_own_invoker(tasks_client: Any) -> None:
    """Each private function accepts only its own invoker: a backfill continuing itself signs
    as the backfill's invoker, a worker task as the worker's."""
    backfill = "https://backfill-abc-ew.a.run.app"
    queue = make_queue(
        tasks_client,
        audience="https://sync-worker-abc-ew.a.run.app",
        invokers={backfill: "inv-backfill@p.iam.gserviceaccount.com"},
    )
    assert queue.enqueue(Task(name="backfill-run2", payload={}, url=backfill))
    assert queue.enqueue(Task(name="evt-2", payload={}))
    token = fetch(tasks_client, f"{QUEUE_PATH}/tasks/backfill-run2").http_request.oidc_token
    assert (token.service_account_email, token.audience) == (
        "inv-backfill@p.iam.gserviceaccount.com",
        backfill,
    )
    worker = fetch(tasks_client, f"{QUEUE_PATH}/tasks/evt-2").http_request.oidc_token
    assert worker.service_account_email == SERVICE_ACCOUNT


def test_no_service_account_means_no_token(tasks_client: Any) -> None:
    queue = make_queue(tasks_client, service_account_email="")

    assert queue.enqueue(Task(name="local-1", payload={"a": 1}))

    stored = fetch(tasks_client, f"{QUEUE_PATH}/tasks/local-1")
    assert "oidc_token" not in stored.http_request


def test_duplicate_name_returns_false_and_creates_nothing(
    tasks_client: Any, tasks_fake: FakeCloudTasks
) -> None:
    queue = make_queue(tasks_client)
    first = Task(name="evt_dup", payload={"n": 1})
    second = Task(name="evt_dup", payload={"n": 2})

    assert queue.enqueue(first) is True
    assert queue.enqueue(second) is False

    listed = list(tasks_client.list_tasks(parent=QUEUE_PATH, timeout=5.0))
    assert [t.name for t in listed] == [f"{QUEUE_PATH}/tasks/evt_dup"]
    assert json.loads(tasks_fake.tasks[listed[0].name].http_request.body) == {"n": 1}
    assert tasks_fake.calls["CreateTask"] == 2


def test_name_of_executed_task_stays_taken(tasks_client: Any) -> None:
    queue = make_queue(tasks_client)
    assert queue.enqueue(Task(name="evt_done", payload={}))
    tasks_client.delete_task(name=f"{QUEUE_PATH}/tasks/evt_done", timeout=5.0)

    assert queue.enqueue(Task(name="evt_done", payload={})) is False


def test_sanitised_names_are_valid_and_never_collide(tasks_client: Any) -> None:
    queue = make_queue(tasks_client)
    names = [
        "invoice:in_1/paid",
        "invoice_in_1_paid",
        "invoice.in_1.paid",
        "invoice in_1 paid",
        "replay:évt_1",
        "x" * 600,
        "x" * 601,
        "y" * 500,
    ]

    created = [queue.enqueue(Task(name=n, payload={"n": n})) for n in names]

    assert created == [True] * len(names)
    ids = {task_id_for(n) for n in names}
    assert len(ids) == len(names)
    assert all(len(i) <= MAX_TASK_ID_LENGTH for i in ids)
    assert task_id_for("invoice_in_1_paid") == "invoice_in_1_paid"
    assert task_id_for("y" * 500) == "y" * 500
    assert task_id_for("invoice:in_1/paid") == task_id_for("invoice:in_1/paid")
    stored = {t.name for t in tasks_client.list_tasks(parent=QUEUE_PATH, timeout=5.0)}
    assert stored == {queue.task_path(n) for n in names}


def test_unavailable_is_transient(tasks_client: Any, tasks_fake: FakeCloudTasks) -> None:
    tasks_fake.inject("CreateTask", grpc.StatusCode.UNAVAILABLE)

    with pytest.raises(UpstreamUnavailableError) as raised:
        make_queue(tasks_client).enqueue(Task(name="evt_x", payload={"secret": "s3cr3t"}))

    assert isinstance(raised.value, TransientError)
    assert "s3cr3t" not in str(raised.value)
    assert make_queue(tasks_client).enqueue(Task(name="evt_x", payload={})) is True


@pytest.mark.parametrize(
    ("code", "error"),
    [
        (grpc.StatusCode.RESOURCE_EXHAUSTED, ThrottledError),
        (grpc.StatusCode.DEADLINE_EXCEEDED, UpstreamUnavailableError),
        (grpc.StatusCode.INTERNAL, UpstreamUnavailableError),
        (grpc.StatusCode.PERMISSION_DENIED, AuthenticationError),
        (grpc.StatusCode.FAILED_PRECONDITION, PermanentError),
        (grpc.StatusCode.INVALID_ARGUMENT, PermanentError),
    ],
)
def test_status_codes_map_to_retry_classes(
    tasks_client: Any, tasks_fake: FakeCloudTasks, code: grpc.StatusCode, error: type[Exception]
) -> None:
    tasks_fake.inject("CreateTask", code)

    with pytest.raises(error):
        make_queue(tasks_client).enqueue(Task(name="evt_y", payload={}))


def test_unknown_queue_is_permanent(tasks_client: Any) -> None:
    queue = make_queue(tasks_client, queue="no-such-queue")

    with pytest.raises(NotFoundError) as raised:
        queue.enqueue(Task(name="evt_z", payload={}))

    assert isinstance(raised.value, PermanentError)
    assert "no-such-queue" in raised.value.message


def test_oversized_task_is_permanent(tasks_client: Any) -> None:
    with pytest.raises(PermanentError):
        make_queue(tasks_client).enqueue(Task(name="big", payload={"blob": "x" * 200_000}))


def test_unreachable_endpoint_is_transient() -> None:
    from google.cloud.tasks_v2.services.cloud_tasks.transports import CloudTasksGrpcTransport

    channel = grpc.insecure_channel("127.0.0.1:1")
    client = tasks_v2.CloudTasksClient(transport=CloudTasksGrpcTransport(channel=channel))
    queue = make_queue(client, timeout_seconds=2.0)

    with pytest.raises(TransientError):
        queue.enqueue(Task(name="evt_down", payload={}))
    channel.close()


def test_client_is_built_lazily_once(monkeypatch: pytest.MonkeyPatch, tasks_client: Any) -> None:
    built: list[int] = []

    def factory() -> Any:
        built.append(1)
        return tasks_client

    monkeypatch.setattr(tasks_v2, "CloudTasksClient", factory)
    queue = make_queue(None)
    assert built == []

    queue.enqueue(Task(name="lazy-1", payload={}))
    queue.enqueue(Task(name="lazy-2", payload={}))

    assert built == [1]


def test_from_settings_wires_every_value(tasks_client: Any) -> None:
    settings = Settings(
        gcp_project=PROJECT,
        gcp_location=LOCATION,
        tasks_queue_name=QUEUE,
        worker_url=WORKER,
        tasks_service_account=SERVICE_ACCOUNT,
        tasks_audience="aud",
        task_dispatch_deadline_seconds=600.0,
    )
    queue = CloudTasksQueue.from_settings(settings, client=tasks_client)

    assert queue.enqueue(Task(name="from-settings", payload={}))

    stored = fetch(tasks_client, f"{QUEUE_PATH}/tasks/from-settings")
    assert stored.http_request.url == WORKER
    assert stored.http_request.oidc_token.audience == "aud"
    assert stored.dispatch_deadline == timedelta(minutes=10)
