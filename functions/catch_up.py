"""Private HTTP function (Cloud Scheduler, hourly): recover events whose delivery failed."""

from __future__ import annotations

import logging

import functions_framework
from flask import Request, Response

from shared import bootstrap
from shared.adapters.request_auth import authorize_private_request
from shared.errors import SyncError
from shared.http import json_response, refuse
from shared.logging import get_logger, log_event

logger = get_logger("catch_up")


@functions_framework.http
def catch_up(request: Request) -> Response:
    if request.method not in ("POST", "GET"):
        return json_response(405, {"error": "method not allowed"}, {"Allow": "POST, GET"})
    try:
        authorize_private_request(request.headers, bootstrap.settings())
        report = bootstrap.catch_up().run()  # the default tenant's, then each tenant's
        others = {}
        for tenant_id in bootstrap.tenant_ids()[1:]:
            with bootstrap.for_tenant(tenant_id):
                others[tenant_id] = bootstrap.catch_up().run().as_dict()
    except SyncError as error:
        return refuse(logger, "catch-up", error)
    redriven = report.redriven_exhausted + report.redriven_stale
    log_event(
        logger,
        logging.WARNING if report.missing or redriven else logging.INFO,
        "catch-up done",
        count=report.missing + redriven,
        reason=(
            f"{report.enqueued} events enqueued, {report.redriven_exhausted} exhausted and "
            f"{report.redriven_stale} stale syncs re-driven"
        ),
    )
    return json_response(200, {**report.as_dict(), **({"tenants": others} if others else {})})
