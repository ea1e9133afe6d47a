"""Private HTTP function (engineers, the CLI, and itself through Cloud Tasks): backfill a range
of Stripe history into QBO, one slice per call, continued by a task until the run is done."""

from __future__ import annotations

import logging

import functions_framework
from flask import Request, Response

from shared import bootstrap
from shared.adapters.request_auth import authorize_private_request
from shared.errors import BadRequestError, SyncError
from shared.http import json_response, refuse
from shared.logging import get_logger, log_event
from shared.services.backfill import backfill_request_from_json
from shared.services.backfill.continuation import run_slice

logger = get_logger("backfill")


@functions_framework.http
def backfill(request: Request) -> Response:
    if request.method != "POST":
        return json_response(405, {"error": "method not allowed"}, {"Allow": "POST"})
    try:
        authorize_private_request(request.headers, bootstrap.settings())
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise BadRequestError("body is a JSON object", code="bad_backfill")
        backfill_request = backfill_request_from_json(body)
        with (
            bootstrap.for_tenant(body.get("tenant_id"), active=True),
            bootstrap.backfill() as use_case,
        ):
            settings = bootstrap.settings()
            if backfill_request.dry_run:
                return json_response(200, {"dry_run": True, **use_case.plan(backfill_request)})
            result = run_slice(
                use_case,
                backfill_request,
                bootstrap.task_queue(),
                slice_seconds=settings.backfill_slice_seconds,
                url=settings.backfill_url,
            )
    except SyncError as error:
        return refuse(logger, "backfill", error)
    log_event(
        logger,
        logging.INFO,
        "backfill slice done",
        status=result.run.status,
        reason=f"run {result.run.run_id}",
        count=result.run.counts.listed,
    )
    return json_response(200, result.as_dict())
