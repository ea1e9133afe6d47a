"""HTTP helpers shared by the function modules: errors to status codes, JSON answers."""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import Response

from shared.errors import (
    BadRequestError,
    InfrastructureError,
    PermanentError,
    SyncError,
    TransientError,
    UnauthorizedError,
    UnstorableEventError,
)
from shared.logging import log_event


def json_response(
    status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> Response:
    return Response(
        json.dumps(body, default=str), status=status, mimetype="application/json", headers=headers
    )


def status_for(error: SyncError) -> int:
    """Unauthorized 401/403, bad input 400, permanent failure 200 (recorded), transient 503."""
    if isinstance(error, UnauthorizedError):
        return 401 if error.code == "unauthorized" else 403
    if isinstance(error, BadRequestError):
        return 400
    if isinstance(error, PermanentError):
        return 200
    return 503


def error_response(error: SyncError) -> Response:
    headers = None
    retry_after = getattr(error, "retry_after_seconds", None)
    if retry_after:
        headers = {"Retry-After": str(int(retry_after))}
    return json_response(
        status_for(error),
        {"error": error.error_class, "code": error.code, "message": error.message},
        headers,
    )


def refuse(logger: logging.Logger, what: str, error: SyncError, **fields: Any) -> Response:
    """Log why a function refused (WARNING when retried or the caller's fault, else ERROR)."""
    level = (
        logging.WARNING if isinstance(error, TransientError | BadRequestError) else logging.ERROR
    )
    if isinstance(error, UnstorableEventError) or (
        isinstance(error, InfrastructureError) and error.needs_person
    ):
        level = logging.ERROR  # needs a person: the alert on ERROR entries fires
    log_event(
        logger,
        level,
        f"{what} refused",
        error_class=error.error_class,
        error_code=error.code,
        **fields,
    )
    return error_response(error)
