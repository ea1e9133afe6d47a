"""Private HTTP function (Cloud Scheduler, every 5 minutes): settlements to Stripe invoices."""

from __future__ import annotations

import functions_framework
from flask import Request, Response

from shared import bootstrap
from shared.adapters.request_auth import authorize_private_request
from shared.errors import SyncError
from shared.http import json_response, refuse
from shared.logging import get_logger

logger = get_logger("settlement_poll")


@functions_framework.http
def settlement_poll(request: Request) -> Response:
    if request.method not in ("POST", "GET"):
        return json_response(405, {"error": "method not allowed"}, {"Allow": "POST, GET"})
    try:
        authorize_private_request(request.headers, bootstrap.settings())
        report = bootstrap.settlement_poll().run()
    except SyncError as error:
        return refuse(logger, "settlement poll", error)
    # Settlements deferred by a transient fault are picked up by the next scheduled poll: 200.
    return json_response(200, report.as_dict())
