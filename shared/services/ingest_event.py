"""Use case: a Stripe webhook delivery is verified, archived and handed to the task queue."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from shared.domain.idempotency import task_name_from_event
from shared.domain.routing import sync_target_from_event
from shared.domain.stripe_models import StripeEvent
from shared.errors import BadRequestError, InvalidSignatureError
from shared.ports import Clock, SecretStore, Task, TaskQueue, Warehouse, WebhookVerifier

SECRET_TTL_SECONDS = 300.0
SECRET_MIN_REREAD_SECONDS = 1.0


class CachedSecret:
    """A secret read once and kept for ``ttl_seconds``, not read again for every delivery.

    ``reread()`` fetches it early (after a signature mismatch: the secret may have been rolled),
    at most once per ``min_reread_seconds``, so a flood of bad signatures is not a flood of
    Secret Manager reads.
    """

    def __init__(
        self,
        store: SecretStore,
        name: str,
        *,
        ttl_seconds: float = SECRET_TTL_SECONDS,
        min_reread_seconds: float = SECRET_MIN_REREAD_SECONDS,
    ) -> None:
        self._store = store
        self._name = name
        self._ttl = ttl_seconds
        self._min_reread = min_reread_seconds
        self._value: str | None = None
        self._read_at = 0.0
        self._reread_at = float("-inf")
        self._lock = threading.Lock()

    def get(self) -> str:
        with self._lock:
            now = time.monotonic()
            if self._value is None or now - self._read_at >= self._ttl:
                self._value = self._store.get(self._name)
                self._read_at = now
            return self._value

    def reread(self) -> bool:
        """Read the secret again now; True if its value changed."""
        with self._lock:
            now = time.monotonic()
            if now - self._reread_at < self._min_reread:
                return False
            self._reread_at = now
            value = self._store.get(self._name)
            changed = value != self._value
            self._value, self._read_at = value, now
            return changed


@dataclass(frozen=True)
class IngestDeps:
    verifier: WebhookVerifier
    secrets: SecretStore
    warehouse: Warehouse
    queue: TaskQueue
    clock: Clock
    webhook_secret_name: str
    max_body_bytes: int
    webhook_secret: CachedSecret = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        cached = CachedSecret(self.secrets, self.webhook_secret_name)
        object.__setattr__(self, "webhook_secret", cached)


@dataclass(frozen=True)
class IngestResult:
    event_id: str
    event_type: str
    task_name: str | None
    enqueued: bool


def event_from_body(body: bytes) -> StripeEvent:
    try:
        # Amounts in Stripe JSON are integers; parse any stray decimals exactly, never as float.
        raw = json.loads(body, parse_float=Decimal)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BadRequestError(
            f"body is not valid JSON: {error.msg if hasattr(error, 'msg') else 'bad encoding'}"
        ) from None
    if not isinstance(raw, dict) or raw.get("object") != "event":
        raise BadRequestError("body is not a Stripe event object", code="bad_event")
    try:
        return StripeEvent.model_validate(raw)
    except ValidationError as invalid:
        fields = sorted({".".join(str(p) for p in err["loc"]) for err in invalid.errors()})
        raise BadRequestError(
            f"Stripe event is missing or has bad fields: {', '.join(fields)}"
        ) from None


def archive_row_from_event(
    event: StripeEvent, body: bytes, received_at: datetime, source: str
) -> dict[str, Any]:
    return {
        "event_id": event.id,
        "event_type": event.type,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "api_version": event.api_version,
        "livemode": event.livemode,
        "created": datetime.fromtimestamp(event.created, UTC),
        "received_at": received_at,
        "source": source,
        "payload": body.decode("utf-8"),
    }


def sync_task_from_event(event: StripeEvent, purpose: str = "evt") -> Task | None:
    target = sync_target_from_event(event)
    if target is None:
        return None
    object_type, object_id = target
    return Task(
        name=task_name_from_event(event.id, purpose),
        payload={
            "event_id": event.id,
            "event_type": event.type,
            "object_type": object_type,
            "object_id": object_id,
        },
    )


def ingest_webhook(body: bytes, signature_header: str | None, deps: IngestDeps) -> IngestResult:
    """Verify, archive, enqueue. Raises BadRequestError (400) or TransientError (5xx)."""
    if len(body) > deps.max_body_bytes:
        raise BadRequestError(
            f"body of {len(body)} bytes exceeds the limit of {deps.max_body_bytes}",
            code="too_large",
        )
    if not signature_header:
        raise BadRequestError("missing Stripe-Signature header", code="bad_signature")
    try:
        deps.verifier.verify(body, signature_header, deps.webhook_secret.get())
    except InvalidSignatureError:
        if not deps.webhook_secret.reread():
            raise
        deps.verifier.verify(body, signature_header, deps.webhook_secret.get())
    event = event_from_body(body)
    row = archive_row_from_event(event, body, deps.clock.now(), "webhook")
    deps.warehouse.append("stripe_events", [row], row_ids=[event.id])
    task = sync_task_from_event(event)
    enqueued = deps.queue.enqueue(task) if task is not None else False
    return IngestResult(event.id, event.type, task.name if task else None, enqueued)
