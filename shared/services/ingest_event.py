"""Use case: a Stripe webhook delivery is verified, archived and handed to the task queue."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from shared.contracts.models import SyncTaskPayload
from shared.domain.idempotency import task_name_from_event, task_name_from_object
from shared.domain.retries import stamped
from shared.domain.routing import sync_target_from_event
from shared.domain.stripe_models import StripeEvent
from shared.errors import (
    BadRequestError,
    InfrastructureError,
    InvalidSignatureError,
    SyncError,
    TransientError,
    UnstorableEventError,
)
from shared.freshness import CLOCK_SKEW_MARGIN_SECONDS
from shared.ports import (
    Clock,
    SecretStore,
    Task,
    TaskQueue,
    Warehouse,
    WebhookVerifier,
)
from shared.tenancy.routing import TenantIngest, TenantWebhookRoutes

SECRET_MIN_REREAD_SECONDS = 1.0
# BigQuery's limits for what the archive stores: TIMESTAMP from year 1 to 9999, JSON nested at
# most 500 levels (BigQuery "JSON data" docs). A signed body outside them is refused with 400.
MAX_TIMESTAMP = 253_402_300_799
MAX_JSON_DEPTH = 500
UTF8_BOM = b"\xef\xbb\xbf"
MISMATCH = "signature_mismatch"


class RereadGate:
    """At most one early secret read per ``min_seconds``: a flood of bad signatures is not a
    flood of Secret Manager reads."""

    def __init__(self, min_seconds: float = SECRET_MIN_REREAD_SECONDS) -> None:
        self._min = min_seconds
        self._last = float("-inf")
        self._lock = threading.Lock()

    def open(self) -> bool:
        with self._lock:
            now = time.monotonic()
            if now - self._last < self._min:
                return False
            self._last = now
            return True


def webhook_secrets(value: str) -> list[str]:
    """The secret's value may hold several signing secrets, separated by whitespace or commas:
    during a roll (the old one until it expires) or for test and live endpoints at one URL."""
    return [part for part in value.replace(",", " ").split() if part]


@dataclass(frozen=True)
class IngestDeps:
    verifier: WebhookVerifier
    secrets: SecretStore
    warehouse: Warehouse
    queue: TaskQueue
    clock: Clock
    webhook_secret_name: str
    max_body_bytes: int
    coalesce_seconds: int = 0
    reread: RereadGate = field(default_factory=RereadGate, repr=False, compare=False)
    # Tenants: which secret verifies an endpoint, and whose archive and queue an event goes to.
    # None: one tenant, this deployment (the fields above).
    routes: TenantWebhookRoutes | None = None

    def endpoint(self, endpoint: str | None) -> TenantIngest:
        """Whose signing secret verifies a delivery to this endpoint (None: the platform's)."""
        if not endpoint:
            return self._own()
        if self.routes is None:
            raise BadRequestError(f"no tenant endpoint {endpoint!r}", code="unknown_tenant")
        return self.routes.endpoint(endpoint)

    def destination(self, endpoint: str | None, account: str | None) -> TenantIngest:
        """Whose archive and queue a verified event goes to."""
        if self.routes is None or not (endpoint or account):
            return self._own()  # the platform's own event: this deployment's, as always
        return self.routes.destination(endpoint, account)

    def _own(self) -> TenantIngest:
        return TenantIngest(
            "default", self.secrets, self.webhook_secret_name, self.warehouse, self.queue
        )


@dataclass(frozen=True)
class IngestResult:
    event_id: str
    event_type: str
    task_name: str | None
    enqueued: bool
    tenant_id: str = "default"


def event_from_body(body: bytes) -> StripeEvent:
    if body.startswith(UTF8_BOM):
        raise UnstorableEventError("body starts with a UTF-8 byte order mark")
    try:
        # Amounts in Stripe JSON are integers; parse any stray decimals exactly, never as float.
        raw = json.loads(body, parse_float=Decimal)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BadRequestError(
            f"body is not valid JSON: {error.msg if hasattr(error, 'msg') else 'bad encoding'}"
        ) from None
    except RecursionError:
        raise UnstorableEventError("body is JSON nested too deeply to store") from None
    if not isinstance(raw, dict) or raw.get("object") != "event":
        raise BadRequestError("body is not a Stripe event object", code="bad_event")
    if json_depth(raw) > MAX_JSON_DEPTH:
        raise UnstorableEventError(f"body is JSON nested deeper than {MAX_JSON_DEPTH} levels")
    try:
        event = StripeEvent.model_validate(raw)
    except ValidationError as invalid:
        fields = sorted({".".join(str(p) for p in err["loc"]) for err in invalid.errors()})
        raise BadRequestError(
            f"Stripe event is missing or has bad fields: {', '.join(fields)}"
        ) from None
    if not 0 <= event.created <= MAX_TIMESTAMP:
        raise UnstorableEventError("event created time is outside what a timestamp holds")
    return event


def json_depth(value: Any) -> int:
    """Levels of nesting of parsed JSON, counted without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            deepest = max(deepest, depth)
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, depth + 1) for child in children)
    return deepest


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


def sync_task_from_event(
    event: StripeEvent, now: datetime, purpose: str = "evt", coalesce_seconds: int = 0
) -> Task | None:
    """The sync task an event asks for, or None for events we only archive; its payload is
    stamped with ``now``, the start of its retry horizon.

    With ``coalesce_seconds``, every event of one object created in the same window of that
    many seconds (Stripe's ``created``) names the same task, scheduled to run once the window has
    closed (plus a margin for clock skew): the events of one payment (invoice.paid,
    invoice_payment.paid, invoice.payment_succeeded...) become one sync. The worker reads the
    object fresh when the task runs, after every event of its window, so none is missed; an
    event delivered after its window's task has run was covered by that run.
    """
    target = sync_target_from_event(event)
    if target is None:
        return None
    object_type, object_id = target
    window = event.created // coalesce_seconds if coalesce_seconds > 0 else None
    ready = (
        event.created + CLOCK_SKEW_MARGIN_SECONDS
        if window is None
        else (window + 1) * coalesce_seconds + CLOCK_SKEW_MARGIN_SECONDS
    )
    payload = SyncTaskPayload(
        event_id=event.id,
        event_type=event.type,
        object_type=object_type,
        object_id=object_id,
        fresh_after=ready,
    ).body()
    if window is None:
        return Task(name=task_name_from_event(event.id, purpose), payload=stamped(payload, now))
    return Task(
        name=task_name_from_object(object_type, object_id, window),
        payload=stamped(payload, now),
        schedule_time=datetime.fromtimestamp(ready, UTC),
    )


def ingest_webhook(
    body: bytes, signature_header: str | None, deps: IngestDeps, endpoint: str | None = None
) -> IngestResult:
    """Verify, archive, enqueue. BadRequestError (4xx) for what Stripe sent; every failure of
    the secret store, warehouse or queue is an InfrastructureError (5xx: Stripe retries).

    ``endpoint``: a tenant's own endpoint (its id), or None for the platform's."""
    if len(body) > deps.max_body_bytes:
        raise BadRequestError(
            f"body of {len(body)} bytes exceeds the limit of {deps.max_body_bytes}",
            code="too_large",
        )
    if not signature_header:
        raise BadRequestError("missing Stripe-Signature header", code="bad_signature")
    with infrastructure("tenants"):
        verifying = deps.endpoint(endpoint)
    verify_signature(body, signature_header, deps, verifying)
    event = event_from_body(body)
    with infrastructure("tenants"):
        target = deps.destination(endpoint, event.account)
    now = deps.clock.now()
    row = archive_row_from_event(event, body, now, "webhook")
    with infrastructure("archive"):
        target.warehouse.append("stripe_events", [row], row_ids=[event.id])
    task = sync_task_from_event(event, now, coalesce_seconds=deps.coalesce_seconds)
    if not target.sync:
        task = None  # archived only: a disabled tenant, or an account no tenant holds
    with infrastructure("enqueue"):
        enqueued = target.queue.enqueue(task) if task is not None else False
    return IngestResult(
        event.id, event.type, task.name if task else None, enqueued, target.tenant_id
    )


def verify_signature(
    body: bytes, signature_header: str, deps: IngestDeps, tenant: TenantIngest | None = None
) -> None:
    """Any of the configured secrets may match; on a mismatch the secret is read again at once
    (it may have been rolled since this instance cached it). ``tenant``: whose secret (the
    endpoint's; default: the deployment's)."""
    store = tenant.secrets if tenant is not None else deps.secrets
    name = tenant.webhook_secret_name if tenant is not None else deps.webhook_secret_name
    with infrastructure("webhook secret"):
        secrets = webhook_secrets(store.get(name))
    try:
        _verify_any(deps.verifier, body, signature_header, secrets)
    except InvalidSignatureError as refused:
        if refused.code != MISMATCH or not deps.reread.open():
            raise
        with infrastructure("webhook secret"):
            fresh = webhook_secrets(store.refresh(name))
        if fresh == secrets:
            raise
        _verify_any(deps.verifier, body, signature_header, fresh)


def _verify_any(verifier: WebhookVerifier, body: bytes, header: str, secrets: list[str]) -> None:
    if not secrets:
        raise InfrastructureError("the webhook secret is empty", code="webhook_secret_empty")
    for secret in secrets:
        try:
            verifier.verify(body, header, secret)
            return
        except InvalidSignatureError as refused:
            if refused.code != MISMATCH:
                raise
    raise InvalidSignatureError("no Stripe-Signature v1 signature matched the body", code=MISMATCH)


@contextmanager
def infrastructure(step: str) -> Iterator[None]:
    """A failing dependency is never the sender's fault: 5xx, so Stripe delivers again. (What
    the sender got wrong, e.g. an event at another tenant's endpoint, stays a 4xx.)"""
    try:
        yield
    except (InfrastructureError, BadRequestError):
        raise
    except SyncError as failure:
        raise InfrastructureError(
            f"{step} failed: {failure.message}",
            code=f"{step.replace(' ', '_')}_failed",
            needs_person=not isinstance(failure, TransientError),
            cause_code=failure.code,
        ) from None
