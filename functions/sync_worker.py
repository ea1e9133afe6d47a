"""Private HTTP function (Cloud Tasks target): sync one Stripe object into QBO."""

from __future__ import annotations

import logging

import functions_framework
from flask import Request, Response

from shared import bootstrap
from shared.adapters.request_auth import authorize_private_request
from shared.errors import SyncError, TransientError
from shared.http import error_response, json_response
from shared.logging import correlation_id, get_logger, log_event
from shared.services.retry_policy import (
    decide_transient,
    retry_deps,
    task_payload,
    with_prior_attempts,
)
from shared.services.sync_object import sync_object
from shared.services.task_request import attempt_from_headers, sync_request_from_task

logger = get_logger("sync_worker")


@functions_framework.http
def sync_worker(request: Request) -> Response:
    headers = {k.lower(): v for k, v in request.headers.items()}
    try:
        authorize_private_request(headers.get("authorization"), bootstrap.settings())
        body = request.get_data()
        sync_request = with_prior_attempts(
            sync_request_from_task(body, headers), payload := task_payload(body)
        )
        correlation_id.set(sync_request.correlation_id)
        deps = bootstrap.sync_deps()
        try:
            result = sync_object(sync_request, deps)
        except TransientError as failure:
            policy = retry_deps(deps, bootstrap.task_queue(), bootstrap.settings())
            decision = decide_transient(sync_request, payload, failure, policy)
            if decision.answer_with_retry:
                raise
            log_event(logger, logging.WARNING, "sync deferred", outcome=decision.action,
                      object_type=sync_request.object_type, object_id=sync_request.object_id,
                      attempt=sync_request.attempt, task_name=sync_request.task_name,
                      error_class=failure.error_class, error_code=failure.code,
                      retry_after_s=decision.delay_seconds)  # fmt: skip
            return json_response(200, {"outcome": decision.action, "task": decision.follow_up_task})
    except SyncError as error:
        log_event(
            logger,
            logging.WARNING if isinstance(error, TransientError) else logging.ERROR,
            "sync failed",
            outcome="RETRY" if isinstance(error, TransientError) else "REFUSED",
            attempt=attempt_from_headers(headers),
            task_name=headers.get("x-cloudtasks-taskname"),
            error_class=error.error_class,
            error_code=error.code,
        )
        return error_response(error)
    log_event(
        logger,
        logging.ERROR if result.outcome == "FAILED" else logging.INFO,
        "sync done",
        object_type=sync_request.object_type,
        object_id=sync_request.object_id,
        outcome=result.outcome,
        qbo_entity=result.qbo_entity_type,
        qbo_id=result.qbo_entity_id,
        attempt=sync_request.attempt,
        task_name=sync_request.task_name,
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
