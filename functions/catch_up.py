"""Private HTTP function (Cloud Scheduler, hourly): recover events whose delivery failed."""

from __future__ import annotations

import logging

import functions_framework
from flask import Request, Response

from shared import bootstrap
from shared.adapters.request_auth import authorize_private_request
from shared.errors import SyncError, TransientError
from shared.http import error_response, json_response
from shared.logging import get_logger, log_event
from shared.services.catch_up import CatchUp

logger = get_logger("catch_up")


@functions_framework.http
def catch_up(request: Request) -> Response:
    if request.method not in ("POST", "GET"):
        return json_response(405, {"error": "method not allowed"}, {"Allow": "POST, GET"})
    try:
        authorize_private_request(request.headers.get("Authorization"), bootstrap.settings())
        report = CatchUp(
            bootstrap.warehouse(), bootstrap.stripe_gateway(), bootstrap.task_queue(),
            bootstrap.clock(),
        ).run()  # fmt: skip
    except SyncError as error:
        level = logging.WARNING if isinstance(error, TransientError) else logging.ERROR
        log_event(logger, level, "catch-up failed", error_class=error.error_class,
                  error_code=error.code)  # fmt: skip
        return error_response(error)  # 503: Cloud Scheduler retries; the next run resumes anyway
    log_event(logger, logging.WARNING if report.missing else logging.INFO, "catch-up done",
              count=report.missing, findings=report.enqueued)  # fmt: skip
    return json_response(200, report.as_dict())
