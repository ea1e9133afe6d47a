"""Parse a Cloud Tasks delivery (JSON body and X-CloudTasks-* headers) into a SyncRequest."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from shared.contracts.models import SyncTaskPayload, refusal
from shared.errors import BadRequestError
from shared.services.retry_policy import with_prior_attempts
from shared.services.sync_object import SyncRequest


def attempt_from_headers(headers: Mapping[str, str]) -> int:
    """1 for the first delivery; Cloud Tasks counts retries in X-CloudTasks-TaskRetryCount."""
    try:
        return max(0, int(headers.get("x-cloudtasks-taskretrycount") or "0")) + 1
    except ValueError:
        return 1


def tenant_of_task(body: bytes) -> str | None:
    """The tenant a task body names (None: the default tenant, or a body ``parse_task`` will
    refuse anyway)."""
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    tenant = payload.get("tenant_id") if isinstance(payload, dict) else None
    return tenant if isinstance(tenant, str) and tenant else None


def parse_task(body: bytes, headers: Mapping[str, str]) -> tuple[SyncRequest, dict[str, Any]]:
    """The request a delivery asks for, attempts counted across follow-ups, and its payload.

    ``headers`` with lower-case names.
    """
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise BadRequestError("task body is not JSON", code="bad_task") from None
    if not isinstance(payload, dict):
        raise BadRequestError("task body is not a JSON object", code="bad_task")
    return with_prior_attempts(sync_request_from_payload(payload, headers), payload), payload


def sync_request_from_payload(payload: dict[str, Any], headers: Mapping[str, str]) -> SyncRequest:
    try:
        task = SyncTaskPayload.model_validate(payload)
    except ValidationError as error:
        raise refusal(error, "task", "bad_task") from None
    task_name = headers.get("x-cloudtasks-taskname") or task.task_name or "direct"
    trace = (headers.get("x-cloud-trace-context") or "").split("/")[0]
    return SyncRequest(
        object_type=task.object_type,
        object_id=task.object_id,
        task_name=str(task_name),
        correlation_id=trace or uuid.uuid4().hex,
        event_id=task.event_id,
        event_type=task.event_type,
        attempt=attempt_from_headers(headers),
        fresh_after=None if task.fresh_after is None else float(task.fresh_after),
    )
