"""Public HTTP function: Stripe webhook deliveries are verified, archived and enqueued."""

from __future__ import annotations

import logging

import functions_framework
from flask import Request, Response

from shared import bootstrap
from shared.errors import SyncError
from shared.http import json_response, refuse
from shared.logging import get_logger, log_event
from shared.services.ingest_event import ingest_webhook

logger = get_logger("stripe_webhook")


@functions_framework.http
def stripe_webhook(request: Request) -> Response:
    if request.method != "POST":
        return json_response(405, {"error": "method not allowed"}, {"Allow": "POST"})
    deps = bootstrap.ingest_deps()
    # Read one byte past the limit and no more, so an oversized body is refused unbuffered.
    body = request.stream.read(deps.max_body_bytes + 1)
    try:
        # /stripe_webhook: the platform's endpoint; /stripe_webhook/<tenant>: a tenant's own.
        endpoint = request.path.strip("/") or None
        result = ingest_webhook(body, request.headers.get("Stripe-Signature"), deps, endpoint)
    except SyncError as error:
        return refuse(logger, "webhook", error)
    log_event(
        logger,
        logging.INFO,
        "webhook accepted",
        event_id=result.event_id,
        event_type=result.event_type,
        task_name=result.task_name,
        tenant_id=result.tenant_id,
    )
    return json_response(
        200, {"received": True, "event_id": result.event_id, "task": result.task_name}
    )
