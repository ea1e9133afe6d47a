"""TaskQueue on Google Cloud Tasks: HTTP tasks with OIDC, named for idempotent enqueueing."""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from google.api_core import exceptions as gexc

from shared.errors import (
    AuthenticationError,
    NotFoundError,
    PermanentError,
    SyncError,
    ThrottledError,
    UpstreamUnavailableError,
    ValidationFailedError,
)
from shared.ports import Task

if TYPE_CHECKING:
    from shared.config import Settings

MAX_TASK_ID_LENGTH = 500
_VALID_TASK_ID = re.compile(r"[A-Za-z0-9_-]+")
_INVALID_CHAR = re.compile(r"[^A-Za-z0-9_-]")
_HASH_CHARS = 16


def task_id_for(name: str) -> str:
    """A Cloud Tasks task id for ``name``: itself when already valid, else sanitised + hash.

    Any name that needs changing gets a suffix derived from the *original* name, so two different
    names never map to the same id (``a.b`` and ``a:b`` both become ``a_b-<hash of original>``).
    """
    if _VALID_TASK_ID.fullmatch(name) and len(name) <= MAX_TASK_ID_LENGTH:
        return name
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:_HASH_CHARS]
    stem = _INVALID_CHAR.sub("_", name)[: MAX_TASK_ID_LENGTH - _HASH_CHARS - 1]
    return f"{stem}-{digest}"


class CloudTasksQueue:
    """Creates one HTTP task per ``Task``; ALREADY_EXISTS on the name counts as success."""

    def __init__(
        self,
        *,
        project: str,
        location: str,
        queue: str,
        worker_url: str,
        service_account_email: str = "",
        audience: str = "",
        invokers: Mapping[str, str] | None = None,
        dispatch_deadline_seconds: float = 300.0,
        timeout_seconds: float = 30.0,
        client: Any | None = None,
    ) -> None:
        self._queue_path = f"projects/{project}/locations/{location}/queues/{queue}"
        self._worker_url = worker_url
        self._service_account_email = service_account_email
        self._audience = audience
        self._invokers = dict(invokers or {})
        self._dispatch_deadline = timedelta(seconds=dispatch_deadline_seconds)
        self._timeout = timeout_seconds
        self._client = client
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings, client: Any | None = None) -> CloudTasksQueue:
        return cls(
            project=settings.gcp_project,
            location=settings.gcp_location,
            queue=settings.tasks_queue_name,
            worker_url=settings.worker_url,
            service_account_email=settings.tasks_service_account,
            audience=settings.tasks_audience,
            invokers=settings.task_invokers,
            dispatch_deadline_seconds=settings.task_dispatch_deadline_seconds,
            client=client,
        )

    @property
    def queue_path(self) -> str:
        return self._queue_path

    def _get_client(self) -> Any:
        with self._lock:
            if self._client is None:
                from google.cloud import tasks_v2

                self._client = tasks_v2.CloudTasksClient()
            return self._client

    def task_path(self, name: str) -> str:
        """The full resource name the task named ``name`` is created under."""
        return f"{self._queue_path}/tasks/{task_id_for(name)}"

    def build_task(self, task: Task) -> Any:
        """The tasks_v2.Task message for ``task`` (exposed for inspection in tests)."""
        from google.cloud import tasks_v2

        url = task.url or self._worker_url
        headers = {"Content-Type": "application/json", **dict(task.headers)}
        http_request = tasks_v2.HttpRequest(
            url=url,
            http_method=tasks_v2.HttpMethod.POST,
            headers=headers,
            body=json.dumps(task.payload, separators=(",", ":"), sort_keys=True).encode("utf-8"),
        )
        account = self._invokers.get(url, self._service_account_email)
        if account:
            # A task aimed at another function (a backfill continuing itself) carries that
            # function's URL, the audience it accepts, and is signed as that function's own
            # invoker (the only account it accepts); the worker's tasks the configured ones.
            audience = url if task.url else (self._audience or url)
            http_request.oidc_token = tasks_v2.OidcToken(
                service_account_email=account, audience=audience
            )
        message = tasks_v2.Task(
            name=self.task_path(task.name),
            http_request=http_request,
            dispatch_deadline=self._dispatch_deadline,
        )
        if task.schedule_time is not None:
            message.schedule_time = task.schedule_time
        return message

    def enqueue(self, task: Task) -> bool:
        message = self.build_task(task)
        client = self._get_client()
        try:
            client.create_task(parent=self._queue_path, task=message, timeout=self._timeout)
        except gexc.AlreadyExists:
            return False
        except gexc.GoogleAPICallError as exc:
            raise _translate(exc, self._queue_path) from exc
        except gexc.RetryError as exc:
            raise UpstreamUnavailableError(
                "Cloud Tasks did not answer before the retry deadline", code="tasks_retry_deadline"
            ) from exc
        return True


_TRANSIENT = (
    gexc.ServiceUnavailable,
    gexc.DeadlineExceeded,
    gexc.InternalServerError,
    gexc.Aborted,
    gexc.Unknown,
)
_REFUSED = (gexc.PermissionDenied, gexc.Unauthenticated, gexc.Unauthorized)


def _translate(exc: gexc.GoogleAPICallError, queue_path: str) -> SyncError:
    """Map a Cloud Tasks API error to our retry classes; messages carry no payload data."""
    name = type(exc).__name__
    if isinstance(exc, gexc.ResourceExhausted | gexc.TooManyRequests):
        return ThrottledError(f"Cloud Tasks throttled CreateTask ({name})", code="tasks_throttled")
    if isinstance(exc, _TRANSIENT) or (isinstance(exc.code, int) and exc.code >= 500):
        return UpstreamUnavailableError(
            f"Cloud Tasks unavailable ({name})", code="tasks_unavailable"
        )
    if isinstance(exc, gexc.NotFound):
        return NotFoundError(
            f"Cloud Tasks queue {queue_path} does not exist", code="tasks_queue_not_found"
        )
    if isinstance(exc, _REFUSED):
        return AuthenticationError(
            f"Cloud Tasks refused CreateTask on {queue_path} ({name}): check the service account's "
            "roles/cloudtasks.enqueuer and iam.serviceAccountUser on the OIDC identity",
            code="tasks_permission_denied",
        )
    if isinstance(exc, gexc.InvalidArgument):
        return ValidationFailedError(
            f"Cloud Tasks rejected the task as invalid: {exc.message}", code="tasks_invalid"
        )
    problem = "cannot accept tasks" if isinstance(exc, gexc.FailedPrecondition) else "error"
    return PermanentError(
        f"Cloud Tasks queue {queue_path} {problem} ({name}): {exc.message}",
        code="tasks_failed_precondition" if problem != "error" else "tasks_error",
    )
