"""Private HTTP function (Cloud Scheduler, daily): compare Stripe and QBO, record the drift."""

from __future__ import annotations

from datetime import datetime

import functions_framework
from flask import Request, Response

from shared import bootstrap
from shared.adapters.request_auth import authorize_private_request
from shared.errors import BadRequestError, SyncError
from shared.http import json_response, refuse
from shared.logging import get_logger

logger = get_logger("reconcile")


def _window(request: Request) -> tuple[datetime | None, datetime | None]:
    """Optional ``since`` / ``until`` (ISO 8601 with offset) from the JSON body or the query."""
    body = request.get_json(silent=True) or {}
    values = []
    for name in ("since", "until"):
        raw = (body.get(name) if isinstance(body, dict) else None) or request.args.get(name)
        parsed = datetime.fromisoformat(str(raw)) if raw else None
        if parsed is not None and parsed.tzinfo is None:
            raise ValueError(f"{name} needs a UTC offset")
        values.append(parsed)
    return values[0], values[1]


@functions_framework.http
def reconcile(request: Request) -> Response:
    if request.method not in ("POST", "GET"):
        return json_response(405, {"error": "method not allowed"}, {"Allow": "POST, GET"})
    try:
        authorize_private_request(request.headers.get("Authorization"), bootstrap.settings())
        try:
            since, until = _window(request)
        except ValueError as bad:
            raise BadRequestError(str(bad), code="bad_window") from None
        report = bootstrap.reconcile().run(since, until)
    except SyncError as error:
        return refuse(logger, "reconcile", error)
    return json_response(200, report.as_dict())
