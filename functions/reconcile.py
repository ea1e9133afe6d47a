"""Private HTTP function (Cloud Scheduler, daily): compare Stripe and QBO, record the drift."""

from __future__ import annotations

import functions_framework
from flask import Request, Response
from pydantic import ValidationError

from shared import bootstrap
from shared.adapters.request_auth import authorize_private_request
from shared.contracts.models import ReconcileRequestBody, refusal
from shared.errors import SyncError
from shared.http import json_response, refuse
from shared.logging import get_logger

logger = get_logger("reconcile")


def _window(request: Request) -> ReconcileRequestBody:
    """``since`` / ``until`` (ISO 8601 with offset) from the JSON body or the query string."""
    body = request.get_json(silent=True)
    fields = {k: v for k, v in request.args.items() if k in ("since", "until")}
    fields.update(body if isinstance(body, dict) else {})
    try:
        return ReconcileRequestBody.model_validate(fields)
    except ValidationError as error:
        raise refusal(error, "reconcile window", "bad_window") from None


@functions_framework.http
def reconcile(request: Request) -> Response:
    if request.method not in ("POST", "GET"):
        return json_response(405, {"error": "method not allowed"}, {"Allow": "POST, GET"})
    try:
        authorize_private_request(request.headers, bootstrap.settings())
        window = _window(request)
        report = bootstrap.reconcile().run(window.since, window.until)
    except SyncError as error:
        return refuse(logger, "reconcile", error)
    return json_response(200, report.as_dict())
