"""Private HTTP function (engineers, the replay CLI): enqueue replays and backfills."""

from __future__ import annotations

import logging

import functions_framework
from flask import Request, Response

from shared import bootstrap
from shared.adapters.request_auth import authorize_private_request
from shared.errors import BadRequestError, SyncError
from shared.http import json_response, refuse
from shared.logging import get_logger, log_event
from shared.services.replay import replay_request_from_json

logger = get_logger("replay")


@functions_framework.http
def replay(request: Request) -> Response:
    if request.method != "POST":
        return json_response(405, {"error": "method not allowed"}, {"Allow": "POST"})
    try:
        authorize_private_request(request.headers, bootstrap.settings())
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise BadRequestError("body is a JSON object", code="bad_replay")
        replay_request = replay_request_from_json(body)
        with bootstrap.for_tenant(body.get("tenant_id"), active=True):
            report = bootstrap.replay().run(replay_request)
    except SyncError as error:
        return refuse(logger, "replay", error)
    status = "dry_run" if report.dry_run else "enqueued"
    log_event(
        logger,
        logging.INFO,
        "replay done",
        count=report.enqueued,
        reason=f"run {report.run_id}",
        status=status,
    )
    return json_response(200, report.as_dict())
