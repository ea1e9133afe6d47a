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
    fields = {k: v for k, v in request.args.items() if k in ("since", "until", "tenant_id")}
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
        chosen = [window.tenant_id] if window.tenant_id else bootstrap.tenant_ids()
        reports = {}
        for tenant_id in chosen:  # none named (the scheduler): every active tenant in turn
            with bootstrap.for_tenant(tenant_id):
                reports[tenant_id] = bootstrap.reconcile().run(window.since, window.until)
    except SyncError as error:
        return refuse(logger, "reconcile", error)
    first, *rest = reports.values()
    others = {tenant_id: r.as_dict() for tenant_id, r in list(reports.items())[1:]} if rest else {}
    return json_response(200, {**first.as_dict(), **({"tenants": others} if others else {})})
