"""The local task queue: Cloud Tasks names, push headers, retry backoff, deadlines, drain."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from shared.adapters.clock import ManualClock
from shared.adapters.local_tasks import LocalTaskQueue
from shared.errors import PermanentError
from shared.ports import Task

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
URL = "http://worker.local/sync_worker"


@dataclass
class Call:
    at: datetime
    url: str
    payload: dict[str, Any]
    headers: dict[str, str]


@dataclass
class Recorder:
    """A dispatcher that answers from a script and remembers every call (no sockets)."""

    clock: ManualClock
    answer: Callable[[Call], int] = lambda call: 200
    calls: list[Call] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, url: str, body: bytes, headers: Mapping[str, str]) -> int:
        call = Call(self.clock.now(), url, json.loads(body), dict(headers))
        with self.lock:
            self.calls.append(call)
        return self.answer(call)


def make_queue(
    recorder: Recorder | None = None, clock: ManualClock | None = None, **overrides: Any
) -> tuple[LocalTaskQueue, Recorder]:
    clock = clock or (recorder.clock if recorder else ManualClock(T0))
    recorder = recorder or Recorder(clock)
    options: dict[str, Any] = {
        "default_url": URL,
        "clock": clock,
        "auth_token": "local-token",
        "max_attempts": 5,
        "min_backoff": 1.0,
        "max_backoff": 600.0,
        "max_doublings": 8,
        "dispatch_deadline": 30.0,
        "dispatcher": recorder,
        "queue_name": "qbo-sync",
    }
    options.update(overrides)
    return LocalTaskQueue(**options), recorder


def test_duplicate_names_are_refused_while_pending_and_after_completion() -> None:
    queue, recorder = make_queue()
    assert queue.enqueue(Task("evt-evt_1", {"n": 1})) is True
    assert queue.enqueue(Task("evt-evt_1", {"n": 2})) is False
    assert queue.pending_count() == 1
    stats = queue.drain()
    assert stats.succeeded == 1
    assert queue.enqueue(Task("evt-evt_1", {"n": 3})) is False
    assert queue.drain().dispatched == 0
    assert [c.payload for c in recorder.calls] == [{"n": 1}]


def test_invalid_task_names_and_payloads_are_refused() -> None:
    queue, _ = make_queue()
    with pytest.raises(PermanentError):
        queue.enqueue(Task("evt.1", {}))
    with pytest.raises(PermanentError):
        queue.enqueue(Task("x" * 501, {}))
    with pytest.raises(PermanentError):
        queue.enqueue(Task("ok", {"when": datetime.now(UTC)}))
    assert queue.pending_count() == 0


def test_retries_follow_cloud_tasks_backoff_exactly() -> None:
    clock = ManualClock(T0)
    recorder = Recorder(clock, answer=lambda call: 503)
    queue, _ = make_queue(
        recorder, max_attempts=10, min_backoff=10.0, max_backoff=300.0, max_doublings=3
    )
    queue.enqueue(Task("t1", {}))
    stats = queue.drain()
    gaps = [
        (later.at - earlier.at).total_seconds()
        for earlier, later in zip(recorder.calls, recorder.calls[1:], strict=False)
    ]
    # Cloud Tasks' documented example: 10s, 20s, 40s, 80s, 160s, 240s, 300s, 300s, ...
    assert gaps == [10, 20, 40, 80, 160, 240, 300, 300, 300]
    assert stats.dispatched == 10
    assert stats.retried == 9
    assert stats.exhausted == 1
    assert stats.by_status == {"503": 10}
    retry_counts = [c.headers["X-CloudTasks-TaskRetryCount"] for c in recorder.calls]
    assert retry_counts == [str(n) for n in range(10)]
    # 5xx answers do not count as executions, as Cloud Tasks documents.
    assert {c.headers["X-CloudTasks-TaskExecutionCount"] for c in recorder.calls} == {"0"}


def test_a_task_is_given_up_only_when_attempts_and_retry_duration_are_both_used() -> None:
    """Cloud Tasks' rule: past max_attempts the task keeps retrying at max_backoff until
    max_retry_duration has passed since its first attempt (a QBO outage of hours heals)."""
    horizon = {"max_attempts": 5, "min_backoff": 10.0, "max_backoff": 300.0,
               "max_doublings": 3, "max_retry_seconds": 3_600.0}  # fmt: skip
    recorder = Recorder(ManualClock(T0), answer=lambda call: 503)
    queue, _ = make_queue(recorder, **horizon)
    queue.enqueue(Task("t1", {}))
    stats = queue.drain()
    first, last = recorder.calls[0].at, recorder.calls[-1].at
    assert (last - first).total_seconds() >= 3_600
    assert (recorder.calls[-2].at - first).total_seconds() < 3_600  # the one before: too young
    assert stats.dispatched > 5 and stats.exhausted == 1
    # And an outage that ends within the hour is healed by the queue alone.
    answers = iter([503] * 12 + [200])
    queue, _ = make_queue(Recorder(ManualClock(T0), answer=lambda call: next(answers)), **horizon)
    queue.enqueue(Task("t2", {}))
    stats = queue.drain()
    assert (stats.dispatched, stats.succeeded, stats.exhausted) == (13, 1, 0)


def test_backoff_with_settings_defaults() -> None:
    queue, _ = make_queue(min_backoff=1.0, max_backoff=600.0, max_doublings=8)
    assert [queue.backoff(n) for n in range(1, 13)] == [
        1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 600, 600
    ]  # fmt: skip


def test_exhausted_tasks_are_reported_once_with_the_last_status() -> None:
    reported: list[tuple[str, int | None]] = []
    clock = ManualClock(T0)
    statuses = iter([500, 429, 400])
    recorder = Recorder(clock, answer=lambda call: next(statuses))
    queue, _ = make_queue(
        recorder,
        max_attempts=3,
        on_exhausted=lambda task, status: reported.append((task.name, status)),
    )
    queue.enqueue(Task("doomed", {"x": 1}))
    stats = queue.drain()
    assert reported == [("doomed", 400)]
    assert stats.exhausted == 1
    assert stats.by_status == {"500": 1, "429": 1, "400": 1}
    [exhausted] = queue.exhausted_tasks()
    assert exhausted.task.name == "doomed"
    assert exhausted.attempts == 3
    assert exhausted.last_status == 400
    assert queue.pending_count() == 0
    # Non-5xx answers count as executions; the previous answer is passed on.
    assert [c.headers["X-CloudTasks-TaskExecutionCount"] for c in recorder.calls] == ["0", "0", "1"]
    assert recorder.calls[2].headers["X-CloudTasks-TaskPreviousResponse"] == "429"
    assert queue.enqueue(Task("doomed", {})) is False


def test_a_retried_task_succeeds_later() -> None:
    clock = ManualClock(T0)
    recorder = Recorder(clock, answer=lambda call: 200 if len(recorder.calls) >= 3 else 503)
    queue, _ = make_queue(recorder)
    queue.enqueue(Task("flaky", {}))
    stats = queue.drain()
    assert (stats.dispatched, stats.retried, stats.succeeded, stats.exhausted) == (3, 2, 1, 0)
    assert clock.now() == T0 + timedelta(seconds=1 + 2)


def test_schedule_time_is_respected_and_the_clock_moves_without_sleeping() -> None:
    queue, recorder = make_queue()
    queue.enqueue(Task("later", {"n": "later"}, schedule_time=T0 + timedelta(hours=2)))
    queue.enqueue(Task("soon", {"n": "soon"}, schedule_time=T0 + timedelta(minutes=5)))
    queue.enqueue(Task("now", {"n": "now"}))
    stats = queue.drain(max_seconds=10)
    assert stats.succeeded == 3
    assert [(c.payload["n"], c.at) for c in recorder.calls] == [
        ("now", T0),
        ("soon", T0 + timedelta(minutes=5)),
        ("later", T0 + timedelta(hours=2)),
    ]
    eta = float(recorder.calls[2].headers["X-CloudTasks-TaskETA"])
    assert eta == (T0 + timedelta(hours=2)).timestamp()


def test_a_naive_schedule_time_is_utc() -> None:
    queue, recorder = make_queue()
    queue.enqueue(Task("naive", {}, schedule_time=datetime(2026, 3, 1, 13, 0)))  # noqa: DTZ001
    queue.drain()
    assert recorder.calls[0].at == T0 + timedelta(hours=1)


def test_answer_after_the_dispatch_deadline_is_a_failure() -> None:
    clock = ManualClock(T0)

    def slow_then_fast(call: Call) -> int:
        if len(recorder.calls) == 1:
            clock.advance(31)  # the handler ran past the 30 s deadline
        return 200

    recorder = Recorder(clock, answer=slow_then_fast)
    queue, _ = make_queue(recorder, dispatch_deadline=30.0)
    queue.enqueue(Task("slow", {}))
    stats = queue.drain()
    assert stats.by_status == {"timeout": 1, "200": 1}
    assert (stats.retried, stats.succeeded) == (1, 1)
    assert recorder.calls[1].at == T0 + timedelta(seconds=31 + 1)


def test_dispatcher_errors_are_retried() -> None:
    clock = ManualClock(T0)

    def flaky(call: Call) -> int:
        if len(recorder.calls) == 1:
            raise requests.ConnectionError("refused")
        if len(recorder.calls) == 2:
            raise requests.Timeout("read timed out")
        return 204

    recorder = Recorder(clock, answer=flaky)
    queue, _ = make_queue(recorder)
    queue.enqueue(Task("net", {}))
    stats = queue.drain()
    assert stats.by_status == {"connection_error": 1, "timeout": 1, "204": 1}
    assert stats.succeeded == 1


def test_follow_up_tasks_enqueued_during_drain_run() -> None:
    clock = ManualClock(T0)
    queue: LocalTaskQueue

    def fan_out(call: Call) -> int:
        depth = call.payload["depth"]
        if depth < 3:
            for branch in range(2):
                name = f"{call.headers['X-CloudTasks-TaskName']}-{branch}"
                queue.enqueue(Task(name, {"depth": depth + 1}, schedule_time=clock.now()))
        return 200

    recorder = Recorder(clock, answer=fan_out)
    queue, _ = make_queue(recorder, concurrency=4)
    queue.enqueue(Task("root", {"depth": 0}))
    stats = queue.drain()
    assert stats.succeeded == 1 + 2 + 4 + 8
    assert queue.pending_count() == 0


def test_headers_like_cloud_tasks_and_the_bearer_token() -> None:
    queue, recorder = make_queue()
    queue.enqueue(Task("hdr", {"a": 1}, headers={"X-Correlation-Id": "c-1"}))
    queue.enqueue(Task("other-url", {}, url="http://elsewhere.local/replay"))
    queue.drain()
    by_name = {c.headers["X-CloudTasks-TaskName"]: c for c in recorder.calls}
    headers = by_name["hdr"].headers
    assert by_name["hdr"].url == URL
    assert by_name["other-url"].url == "http://elsewhere.local/replay"
    assert headers["Authorization"] == "Bearer local-token"
    assert headers["X-CloudTasks-QueueName"] == "qbo-sync"
    assert headers["X-CloudTasks-TaskRetryCount"] == "0"
    assert headers["X-CloudTasks-TaskExecutionCount"] == "0"
    assert float(headers["X-CloudTasks-TaskETA"]) == T0.timestamp()
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Correlation-Id"] == "c-1"


def test_max_seconds_stops_a_drain_that_would_never_end() -> None:
    recorder = Recorder(ManualClock(T0), answer=lambda call: 503)
    queue, _ = make_queue(recorder, max_attempts=-1)
    queue.enqueue(Task("forever", {}))
    stats = queue.drain(max_seconds=0.2)
    assert stats.dispatched > 10
    assert stats.exhausted == 0
    assert queue.pending_count() == 1


@pytest.fixture
def http_worker() -> Iterator[tuple[str, list[tuple[dict[str, Any], dict[str, str]]]]]:
    received: list[tuple[dict[str, Any], dict[str, str]]] = []
    answers = iter([503, 200])

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        received.append((json.loads(request.get_data()), dict(request.headers)))
        return Response("", status=next(answers))(environ, start_response)

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/sync_worker", received
    server.shutdown()
    thread.join()


def test_real_http_dispatch(
    http_worker: tuple[str, list[tuple[dict[str, Any], dict[str, str]]]],
) -> None:
    url, received = http_worker
    clock = ManualClock(T0)
    queue = LocalTaskQueue(
        default_url=url,
        clock=clock,
        auth_token="local-token",
        max_attempts=3,
        min_backoff=5.0,
        max_backoff=60.0,
        max_doublings=4,
        dispatch_deadline=10.0,
        concurrency=2,
    )
    queue.enqueue(Task("evt-evt_http", {"event_id": "evt_http"}))
    stats = queue.drain(max_seconds=20)
    queue.close()
    assert stats.by_status == {"503": 1, "200": 1}
    assert [payload for payload, _ in received] == [{"event_id": "evt_http"}] * 2
    headers = received[1][1]
    assert headers["Authorization"] == "Bearer local-token"
    assert headers["X-Cloudtasks-Taskname"] == "evt-evt_http"
    assert headers["X-Cloudtasks-Taskretrycount"] == "1"
    assert clock.now() == T0 + timedelta(seconds=5)
