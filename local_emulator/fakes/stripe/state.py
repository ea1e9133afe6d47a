"""The fake's state: objects by id, events, idempotency records, webhook endpoints, faults."""

from __future__ import annotations

import copy
import functools
import random
import secrets
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from shared.adapters.clock import SystemClock
from shared.ports import Clock

from .errors import StripeApiError
from .fx import Settlement
from .ids import IdFactory
from .versions import API_VERSION, removed_fields

DEFAULT_API_KEY = "sk_test_local_fake_key"  # the same placeholders as bootstrap's local secrets
DEFAULT_WEBHOOK_SECRET = "whsec_local_fake_secret"

FaultKind = Literal["stripe_429", "stripe_5xx", "outage"]
JsonDict = dict[str, Any]


@dataclass(frozen=True)
class RequestContext:
    """Who caused a change: shows up as ``event.request`` like Stripe's."""

    request_id: str | None = None
    idempotency_key: str | None = None


@dataclass
class Faults:
    """Fault knobs: probabilities per request, a count of forced faults, and an outage switch."""

    stripe_429: float = 0.0
    stripe_5xx: float = 0.0
    outage: bool = False
    forced: Counter[str] = field(default_factory=Counter)


class StateLock:
    """A re-entrant lock that runs queued callbacks once the outermost holder lets go.

    Event listeners run there: outside the lock, so a listener may call the fake over HTTP
    (deliver a webhook whose handler fetches from Stripe) without deadlocking.
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._local = threading.local()
        self._queued: list[Callable[[], None]] = []

    def __enter__(self) -> StateLock:
        self._lock.acquire()
        self._local.depth = getattr(self._local, "depth", 0) + 1
        return self

    def __exit__(self, *exc: object) -> None:
        self._local.depth -= 1
        run: list[Callable[[], None]] = []
        if self._local.depth == 0:
            run, self._queued = self._queued, []
        self._lock.release()
        for callback in run:
            callback()

    def after_release(self, callback: Callable[[], None]) -> None:
        """Queue ``callback`` (call with the lock held); it runs when the lock is released."""
        self._queued.append(callback)


@dataclass(frozen=True)
class RestrictedKey:
    """An ``rk_`` key: which resources (by object type) it may read, and which it may write.

    Stripe answers a call outside them with 403 and names the permission that would allow it.
    """

    read: frozenset[str]
    write: frozenset[str] = frozenset()


# the permission a resource's calls need (a customer's balance transactions are the customer's)
_PERMISSION_OF = {"customer_balance_transaction": "customer"}


@dataclass(frozen=True)
class IdempotencyRecord:
    method: str
    path: str
    params: JsonDict
    status: int
    body: JsonDict


class FakeStripe:
    """Everything the fake server knows; thread-safe through one re-entrant lock."""

    def __init__(
        self,
        api_key: str = DEFAULT_API_KEY,
        webhook_secret: str = DEFAULT_WEBHOOK_SECRET,
        *,
        clock: Clock | None = None,
        seed: int = 0,
        api_version: str = API_VERSION,
        events_retention_days: int | None = 30,
    ) -> None:
        self.api_key = api_key
        self.webhook_secret = webhook_secret
        self.clock: Clock = clock or SystemClock()
        self.api_version = api_version
        # Stripe's events API only reaches back 30 days; None keeps every event listable
        self.events_retention_days = events_retention_days
        self.ids = IdFactory(seed)
        self.lock = StateLock()
        self.faults = Faults()
        # where charges settle (default: each in its own currency; ``fx.Settlement``)
        self.settlement = Settlement()
        self._fault_rng = random.Random(f"faults-{seed}")
        self._objects: dict[str, JsonDict] = {}
        # per type, for lists: ids, and the newest-first order (dropped when the type changes)
        self._by_type: dict[str, dict[str, JsonDict]] = {}
        self._sorted: dict[str, list[JsonDict]] = {}
        # per (type, id field): objects by the id they point at, newest first (dropped with
        # the type's order); lists by customer, invoice, charge... stay fast at 100,000 objects
        self._by_ref: dict[tuple[str, str], dict[str, list[JsonDict]]] = {}
        self._order: dict[str, int] = {}
        self._next_order = 0
        self._invoice_lines: dict[str, list[JsonDict]] = {}
        self._event_ids: list[str] = []
        self._pending: dict[str, set[str]] = {}
        self._endpoints: list[str] = []
        self._acked: set[tuple[str, str]] = set()
        self._idempotency: dict[str, IdempotencyRecord] = {}
        self._counts: Counter[str] = Counter()
        self._listeners: list[Callable[[JsonDict], None]] = []
        self._restricted: dict[str, RestrictedKey] = {}

    # --- keys -----------------------------------------------------------------------------------

    def add_restricted_key(
        self, key: str, *, read: Iterable[str], write: Iterable[str] = ()
    ) -> None:
        """Accept ``key`` for these resources only (object types: ``invoice``, ``product``...)."""
        with self.lock:
            self._restricted[key] = RestrictedKey(frozenset(read), frozenset(write))

    def known_key(self, key: str) -> bool:
        if secrets.compare_digest(key.encode(), self.api_key.encode()):
            return True
        return any(secrets.compare_digest(key.encode(), k.encode()) for k in self._restricted)

    def check_permission(self, key: str, kind: str, *, write: bool) -> None:
        """A restricted key calling outside its permissions: Stripe's 403."""
        restricted = self._restricted.get(key)
        if restricted is None:
            return
        resource = kind.split(".", 1)[0]
        resource = _PERMISSION_OF.get(resource, resource)
        allowed = restricted.write if write else restricted.read | restricted.write
        if resource in allowed:
            return
        access = "write" if write else "read"
        redacted = key[:8] + "*" * 8 + key[-4:]
        raise StripeApiError(
            403,
            f"The provided key '{redacted}' does not have the required permissions for this "
            f"endpoint on account 'acct_fake'. Having the 'rak_{resource}_{access}' permission "
            "would allow this request to continue.",
        )

    # --- time -----------------------------------------------------------------------------------

    def now(self) -> int:
        return int(self.clock.now().timestamp())

    # --- objects --------------------------------------------------------------------------------

    def seed_object(self, obj: JsonDict) -> JsonDict:
        """Store or replace any Stripe object by id; an invoice may embed its ``lines``.

        Objects must be in the served API version: a field that version removed is refused.
        """
        if not obj.get("id") or not obj.get("object"):
            raise ValueError("a seeded object needs 'id' and 'object'")
        stale = list(removed_fields(obj))
        if stale:
            raise ValueError(
                f"{obj['id']}: fields removed before API version {self.api_version}: "
                + ", ".join(stale[:5])
            )
        stored = copy.deepcopy(obj)
        stored.setdefault("created", self.now())
        stored.setdefault("livemode", False)
        with self.lock:
            if stored["object"] == "invoice":
                lines = stored.get("lines")
                if isinstance(lines, dict):
                    lines = lines.get("data", [])
                self._invoice_lines[stored["id"]] = [
                    {"id": self.ids.new("il"), **copy.deepcopy(x)} for x in lines or []
                ]
                self.put(stored)
                self.refresh_invoice_lines(stored["id"])
            else:
                self.put(stored)
            if stored["object"] == "event":
                self._register_event(stored)
            return copy.deepcopy(stored)

    def put(self, obj: JsonDict) -> None:
        with self.lock:
            object_id = obj["id"]
            if object_id not in self._order:
                self._order[object_id] = self._next_order
                self._next_order += 1
            previous = self._objects.get(object_id)
            if previous is not None and previous.get("object") != obj.get("object"):
                self._by_type.get(str(previous.get("object")), {}).pop(object_id, None)
                self._forget_order(str(previous.get("object")))
            self._objects[object_id] = obj
            object_type = str(obj.get("object"))
            self._by_type.setdefault(object_type, {})[object_id] = obj
            self._forget_order(object_type)

    def _forget_order(self, object_type: str) -> None:
        self._sorted.pop(object_type, None)
        for key in [k for k in self._by_ref if k[0] == object_type]:
            del self._by_ref[key]

    def get(self, object_id: str) -> JsonDict | None:
        """The live stored object (callers hold the lock and copy before returning it)."""
        return self._objects.get(object_id)

    def get_object(self, object_id: str) -> JsonDict | None:
        """A copy of the object as stored, or None."""
        with self.lock:
            found = self._objects.get(object_id)
            return copy.deepcopy(found) if found is not None else None

    def objects_of(self, object_type: str) -> list[JsonDict]:
        """Live objects of a type, newest first (``created``, then insertion order)."""
        with self.lock:
            ordered = self._sorted.get(object_type)
            if ordered is None:
                found = self._by_type.get(object_type, {}).values()
                ordered = sorted(found, key=self.sort_key, reverse=True)
                self._sorted[object_type] = ordered
            return list(ordered)

    def objects_pointing_at(self, object_type: str, field: str, target_id: str) -> list[JsonDict]:
        """Live objects of a type whose ``field`` names ``target_id`` (an id, or an expanded
        object with that id), newest first; the same as filtering ``objects_of``."""
        with self.lock:
            index = self._by_ref.get((object_type, field))
            if index is None:
                index = {}
                for obj in self.objects_of(object_type):
                    value = obj.get(field)
                    ref = value.get("id") if isinstance(value, dict) else value
                    if isinstance(ref, str):
                        index.setdefault(ref, []).append(obj)
                self._by_ref[(object_type, field)] = index
            return list(index.get(target_id, ()))

    def sort_key(self, obj: JsonDict) -> tuple[int, int]:
        return (int(obj.get("created") or obj.get("date") or 0), self._order.get(obj["id"], 0))

    # --- invoice lines --------------------------------------------------------------------------

    def invoice_lines(self, invoice_id: str) -> list[JsonDict]:
        return self._invoice_lines.setdefault(invoice_id, [])

    def refresh_invoice_lines(self, invoice_id: str) -> None:
        """Embed the first ten lines in the invoice, as Stripe does."""
        invoice = self._objects[invoice_id]
        lines = self.invoice_lines(invoice_id)
        invoice["lines"] = {
            "object": "list",
            "data": copy.deepcopy(lines[:10]),
            "has_more": len(lines) > 10,
            "url": f"/v1/invoices/{invoice_id}/lines",
        }

    # --- events ---------------------------------------------------------------------------------

    def emit_event(
        self,
        event_type: str,
        obj: JsonDict,
        *,
        previous_attributes: JsonDict | None = None,
        ctx: RequestContext | None = None,
    ) -> JsonDict:
        """Record an event whose ``data.object`` is a snapshot of ``obj`` now."""
        ctx = ctx or RequestContext()
        with self.lock:
            data: JsonDict = {"object": copy.deepcopy(obj)}
            if previous_attributes is not None:
                data["previous_attributes"] = copy.deepcopy(previous_attributes)
            event: JsonDict = {
                "id": self.ids.new("evt"),
                "object": "event",
                "api_version": self.api_version,
                "created": self.now(),
                "data": data,
                "livemode": False,
                "pending_webhooks": len(self._endpoints),
                "request": {"id": ctx.request_id, "idempotency_key": ctx.idempotency_key},
                "type": event_type,
            }
            self.put(event)
            self._register_event(event)
            for listener in self._listeners:
                snapshot = copy.deepcopy(event)
                self.lock.after_release(functools.partial(listener, snapshot))
            return copy.deepcopy(event)

    def _register_event(self, event: JsonDict) -> None:
        if event["id"] not in self._pending:
            self._event_ids.append(event["id"])
        self._pending[event["id"]] = set(self._endpoints)
        event["pending_webhooks"] = len(self._endpoints)

    def event_in_window(self, event: JsonDict) -> bool:
        """Whether the events API still serves this event (Stripe: the last 30 days)."""
        if self.events_retention_days is None:
            return True
        return int(event.get("created") or 0) >= self.now() - self.events_retention_days * 86_400

    def events(self) -> list[JsonDict]:
        """Every event, oldest first, as copies."""
        with self.lock:
            return [copy.deepcopy(self._objects[i]) for i in self._event_ids]

    def on_event(self, listener: Callable[[JsonDict], None]) -> None:
        """Call ``listener`` with each new event, once the change that made it is complete."""
        with self.lock:
            self._listeners.append(listener)

    # --- webhook endpoints ----------------------------------------------------------------------

    def register_webhook_endpoint(self, url: str) -> None:
        """Events created from now on are pending for this endpoint until delivered."""
        with self.lock:
            if url not in self._endpoints:
                self._endpoints.append(url)

    def record_delivery(self, event_id: str, endpoint: str, ok: bool) -> None:
        with self.lock:
            pending = self._pending.setdefault(event_id, set())
            if ok:
                self._acked.add((event_id, endpoint))
                pending.discard(endpoint)
            elif endpoint in self._endpoints and (event_id, endpoint) not in self._acked:
                pending.add(endpoint)
            event = self._objects.get(event_id)
            if event is not None:
                event["pending_webhooks"] = len(pending)

    def pending_for(self, endpoint: str) -> list[JsonDict]:
        """Events not yet delivered to ``endpoint``, oldest first."""
        with self.lock:
            return [
                copy.deepcopy(self._objects[i])
                for i in self._event_ids
                if endpoint in self._pending.get(i, set())
            ]

    def delivery_succeeded(self, event_id: str) -> bool:
        with self.lock:
            return not self._pending.get(event_id)

    # --- idempotency ----------------------------------------------------------------------------

    def idempotency_record(self, key: str) -> IdempotencyRecord | None:
        return self._idempotency.get(key)

    def save_idempotency(self, key: str, record: IdempotencyRecord) -> None:
        self._idempotency[key] = record

    # --- faults and counters --------------------------------------------------------------------

    def set_faults(
        self,
        *,
        stripe_429: float | None = None,
        stripe_5xx: float | None = None,
        outage: bool | None = None,
    ) -> None:
        """Probabilities (0..1) of a 429 or a 500 per request; ``outage``: 503 until cleared."""
        with self.lock:
            if stripe_429 is not None:
                self.faults.stripe_429 = stripe_429
            if stripe_5xx is not None:
                self.faults.stripe_5xx = stripe_5xx
            if outage is not None:
                self.faults.outage = outage

    def fail_next(self, kind: Literal["stripe_429", "stripe_5xx"], count: int = 1) -> None:
        """Force the next ``count`` requests to fail with ``kind``."""
        with self.lock:
            self.faults.forced[kind] += count

    def clear_faults(self) -> None:
        with self.lock:
            self.faults = Faults()
        # where charges settle (default: each in its own currency; ``fx.Settlement``)
        self.settlement = Settlement()

    def draw_fault(self) -> FaultKind | None:
        """The fault to inject into the current request, if any."""
        with self.lock:
            if self.faults.outage:
                return "outage"
            for kind in ("stripe_429", "stripe_5xx"):
                if self.faults.forced[kind] > 0:
                    self.faults.forced[kind] -= 1
                    return kind
            if self.faults.stripe_429 and self._fault_rng.random() < self.faults.stripe_429:
                return "stripe_429"
            if self.faults.stripe_5xx and self._fault_rng.random() < self.faults.stripe_5xx:
                return "stripe_5xx"
            return None

    def count(self, kind: str) -> None:
        with self.lock:
            self._counts[kind] += 1

    def request_counts(self) -> dict[str, int]:
        """Requests seen by kind: ``invoice.retrieve``, ``event.list``, ``fault.stripe_429``..."""
        with self.lock:
            return dict(self._counts)
