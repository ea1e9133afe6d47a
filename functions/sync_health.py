"""Private HTTP function (Cloud Scheduler, every 5 minutes): measure the sync's health and log
it for the alert policies (sync lag, pending syncs, success rate, time since a success)."""

from __future__ import annotations

import functions_framework
from flask import Request, Response

from shared import bootstrap
from shared.adapters.request_auth import authorize_private_request
from shared.errors import SyncError
from shared.http import json_response, refuse
from shared.logging import get_logger
from shared.services.health import log_health, read_health

logger = get_logger("sync_health")


@functions_framework.http
def sync_health(request: Request) -> Response:
    if request.method not in ("POST", "GET"):
        return json_response(405, {"error": "method not allowed"}, {"Allow": "POST, GET"})
    try:
        settings = bootstrap.settings()
        authorize_private_request(request.headers, settings)
        health = read_health(bootstrap.warehouse(), settings.health_lag_minutes)
    except SyncError as error:
        return refuse(logger, "sync health", error)
    log_health(health)
    return json_response(200, health.as_dict())
