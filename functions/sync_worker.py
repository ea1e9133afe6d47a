"""Private HTTP function (Cloud Tasks target): sync one Stripe object into QBO."""

from __future__ import annotations

import logging

import functions_framework
from flask import Request, Response

from shared import bootstrap
from shared.adapters.request_auth import authorize_private_request
from shared.errors import SyncError, TransientError
from shared.http import json_response, refuse
from shared.logging import get_logger, log_event
from shared.services.sync_task import run_sync_task
from shared.services.task_request import attempt_from_headers, tenant_of_task

logger = get_logger("sync_worker")


@functions_framework.http
def sync_worker(request: Request) -> Response:
    headers = {k.lower(): v for k, v in request.headers.items()}
    try:
        authorize_private_request(headers, bootstrap.settings())
        body = request.get_data()
        # The task's tenant: its realm, its Stripe account, its rows (tenant-unaware use case).
        with bootstrap.for_tenant(tenant_of_task(body), active=True):
            answer = run_sync_task(
                body, headers, bootstrap.sync_deps(), bootstrap.retry_policy_deps
            )
    except SyncError as error:
        return refuse(
            logger,
            "sync",
            error,
            outcome="RETRY" if isinstance(error, TransientError) else "REFUSED",
            attempt=attempt_from_headers(headers),
            task_name=headers.get("x-cloudtasks-taskname"),
        )
    task = answer.request
    ids = {
        "tenant_id": tenant_of_task(body) or "default",
        "object_type": task.object_type,
        "object_id": task.object_id,
        "attempt": task.attempt,
        "task_name": task.task_name,
    }
    if answer.deferred is not None:
        decision = answer.deferred
        log_event(
            logger,
            logging.WARNING,
            "sync deferred",
            outcome=decision.action,
            retry_after_s=decision.delay_seconds,
            **ids,
        )
        return json_response(200, {"outcome": decision.action, "task": decision.follow_up_task})
    result = answer.result
    assert result is not None  # either a result or a deferral, never neither
    log_event(
        logger,
        logging.ERROR if result.outcome == "FAILED" else logging.INFO,
        "sync done",
        outcome=result.outcome,
        qbo_entity=result.qbo_entity_type,
        qbo_id=result.qbo_entity_id,
        **ids,
    )
    return json_response(
        200,
        {
            "outcome": result.outcome,
            "qbo_entity": result.qbo_entity_type,
            "qbo_id": result.qbo_entity_id,
            "reason": result.reason,
        },
    )
