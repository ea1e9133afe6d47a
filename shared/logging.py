"""Structured JSON logs for Cloud Logging: severity, correlation id, ids only (no PII)."""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from typing import Any

correlation_id: ContextVar[str] = ContextVar("correlation_id", default="")

# Only these keys may carry values into a log line: ids, types, counts, codes. Anything else
# (names, emails, amounts tied to a person) is dropped rather than trusted to callers.
ALLOWED_FIELDS = frozenset(
    {
        "event_id", "event_type", "object_id", "object_type", "task_name", "qbo_entity",
        "qbo_id", "operation", "outcome", "error_class", "error_code", "attempt", "duration_ms",
        "count", "status", "settlement_id", "payout_id", "realm_id", "function", "reason",
        "findings", "severity_hint", "retry_after_s", "http_status", "path",
        # sync_health: counts and rates only
        "pending_syncs", "lagging_syncs", "oldest_pending_minutes", "finished_syncs",
        "success_rate", "minutes_since_success",
        "tenant_id",  # a tenant id is an id we chose, never a company's name
    }
)  # fmt: skip


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "severity": record.levelname,
            "message": record.getMessage(),
            "logger": record.name,
        }
        cid = correlation_id.get()
        if cid:
            entry["logging.googleapis.com/trace_sampled"] = False
            entry["correlation_id"] = cid
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update({k: v for k, v in fields.items() if k in ALLOWED_FIELDS})
        if record.exc_info and record.exc_info[0] is not None:
            entry["exception_type"] = record.exc_info[0].__name__
        return json.dumps(entry, default=str, sort_keys=True)


def get_logger(name: str) -> logging.Logger:
    root = logging.getLogger("sync")
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)
        root.setLevel(logging.INFO)
        root.propagate = False
    return root.getChild(name)


def log_event(logger: logging.Logger, level: int, message: str, **fields: Any) -> None:
    """Log ``message`` with whitelisted structured fields."""
    logger.log(level, message, extra={"fields": fields})
