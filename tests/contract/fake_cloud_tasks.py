"""An in-process gRPC fake of google.cloud.tasks.v2.CloudTasks (tasks only, queues are fixed)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
from google.cloud.tasks_v2 import types
from google.protobuf import empty_pb2

from tests.contract.grpc_fake import GrpcFake, Handler

_TASK_ID = re.compile(r"[A-Za-z0-9_-]{1,500}")
_MAX_TASK_BYTES = 100 * 1024
_MIN_DEADLINE = timedelta(seconds=15)
_MAX_DEADLINE = timedelta(minutes=30)


class FakeCloudTasks(GrpcFake):
    """Keeps tasks per queue; a task name, once used, stays taken (deleted names too)."""

    service_name = "google.cloud.tasks.v2.CloudTasks"

    def __init__(self, queues: list[str]) -> None:
        super().__init__()
        self.queues = set(queues)
        self.tasks: dict[str, types.Task] = {}
        self._used_names: set[str] = set()
        self._counter = 0

    def methods(self) -> dict[str, tuple[Handler, Any, Any]]:
        return {
            "CreateTask": (
                self._create,
                types.CreateTaskRequest.deserialize,
                types.Task.serialize,
            ),
            "GetTask": (self._get, types.GetTaskRequest.deserialize, types.Task.serialize),
            "ListTasks": (
                self._list,
                types.ListTasksRequest.deserialize,
                types.ListTasksResponse.serialize,
            ),
            "DeleteTask": (
                self._delete,
                types.DeleteTaskRequest.deserialize,
                empty_pb2.Empty.SerializeToString,
            ),
        }

    def _create(self, request: types.CreateTaskRequest, context: grpc.ServicerContext) -> Any:
        if request.parent not in self.queues:
            context.abort(grpc.StatusCode.NOT_FOUND, f"Queue does not exist: {request.parent}")
        task = _copy(request.task)
        with self.lock:
            if not task.name:
                self._counter += 1
                task.name = f"{request.parent}/tasks/{self._counter:020d}"
            prefix = f"{request.parent}/tasks/"
            task_id = task.name.removeprefix(prefix)
            if not task.name.startswith(prefix) or not _TASK_ID.fullmatch(task_id):
                context.abort(grpc.StatusCode.INVALID_ARGUMENT, "Task name is invalid")
            if types.Task.pb(task).ByteSize() > _MAX_TASK_BYTES:
                context.abort(grpc.StatusCode.INVALID_ARGUMENT, "Task size too large")
            if "dispatch_deadline" in task and not (
                _MIN_DEADLINE <= task.dispatch_deadline <= _MAX_DEADLINE
            ):
                context.abort(grpc.StatusCode.INVALID_ARGUMENT, "Invalid dispatch_deadline")
            if task.name in self._used_names:
                context.abort(grpc.StatusCode.ALREADY_EXISTS, "Requested entity already exists")
            now = datetime.now(UTC)
            task.create_time = now
            if "schedule_time" not in task:
                task.schedule_time = now
            self._used_names.add(task.name)
            self.tasks[task.name] = task
        return _view(task, request.response_view)

    def _get(self, request: types.GetTaskRequest, context: grpc.ServicerContext) -> Any:
        with self.lock:
            task = self.tasks.get(request.name)
        if task is None:
            context.abort(grpc.StatusCode.NOT_FOUND, "Requested entity was not found.")
        return _view(task, request.response_view)

    def _list(self, request: types.ListTasksRequest, context: grpc.ServicerContext) -> Any:
        if request.parent not in self.queues:
            context.abort(grpc.StatusCode.NOT_FOUND, f"Queue does not exist: {request.parent}")
        with self.lock:
            tasks = [t for n, t in sorted(self.tasks.items()) if n.startswith(request.parent + "/")]
        return types.ListTasksResponse(tasks=[_view(t, request.response_view) for t in tasks])

    def _delete(self, request: types.DeleteTaskRequest, context: grpc.ServicerContext) -> Any:
        with self.lock:
            if self.tasks.pop(request.name, None) is None:
                context.abort(grpc.StatusCode.NOT_FOUND, "Requested entity was not found.")
        return empty_pb2.Empty()


def _view(task: types.Task, view: types.Task.View) -> types.Task:
    """BASIC (the default) leaves the body out, as the real service does."""
    copy = _copy(task)
    if view != types.Task.View.FULL:
        copy.http_request.body = b""
    return copy


def _copy(task: types.Task) -> types.Task:
    return types.Task.deserialize(types.Task.serialize(task))
