"""Fresh-enough Stripe reads: one fetch serves every sync that needs a state at least as new.

A sync must act on Stripe's state as of (at least) the event that triggered it. A read that
*started* after that moment, plus a margin for clock skew, shows such a state, so it can serve
any number of syncs of the same object: the tasks one invoice payment triggers (invoice.paid,
invoice_payment.paid, charge.succeeded...) then cost one fetch instead of one each. A sync that
knows no event time asks for reads started after it began. Reads in flight are shared too.

The threshold travels in a context variable (shared/freshness.py), set per sync; outside one,
every call goes to Stripe.
"""

from __future__ import annotations

import copy
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from shared.freshness import fresh_after
from shared.ports import Clock, JsonDict, StripeGateway, StripePage

MAX_AGE_SECONDS = 120.0
MAX_ENTRIES = 20_000


@dataclass
class _Entry:
    started: float
    result: Future[Any]


class FreshStripeReads:
    """A StripeGateway that shares fresh-enough reads (retrieve, filtered lists, lines)."""

    def __init__(
        self,
        inner: StripeGateway,
        clock: Clock,
        *,
        max_age: float = MAX_AGE_SECONDS,
        max_entries: int = MAX_ENTRIES,
    ) -> None:
        self.inner = inner
        self._clock = clock
        self._max_age = max_age
        self._max_entries = max_entries
        self._entries: OrderedDict[tuple[str, ...], _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self.served = 0  # reads answered without a request (observability)

    # --- the port -----------------------------------------------------------------------------

    def retrieve(self, object_type: str, object_id: str, expand: Sequence[str] = ()) -> JsonDict:
        key = ("retrieve", object_type, object_id, *sorted(expand))
        result: JsonDict = self._read(
            key, lambda: self.inner.retrieve(object_type, object_id, expand)
        )
        return result

    def list_invoice_lines(self, invoice_id: str) -> list[JsonDict]:
        result: list[JsonDict] = self._read(
            ("lines", invoice_id), lambda: self.inner.list_invoice_lines(invoice_id)
        )
        return result

    def list_objects(self, object_type: str, filters: Mapping[str, Any]) -> list[JsonDict]:
        key = ("list", object_type, json.dumps(filters, sort_keys=True, default=str))
        result: list[JsonDict] = self._read(
            key, lambda: self.inner.list_objects(object_type, filters)
        )
        return result

    def list_page(
        self,
        object_type: str,
        filters: Mapping[str, Any],
        *,
        starting_after: str | None = None,
        limit: int = 100,
    ) -> StripePage:
        return self.inner.list_page(
            object_type, filters, starting_after=starting_after, limit=limit
        )

    def list_events(
        self,
        *,
        created_gte: int | None = None,
        created_lte: int | None = None,
        types: Sequence[str] | None = None,
        delivery_success: bool | None = None,
    ) -> list[JsonDict]:
        return self.inner.list_events(
            created_gte=created_gte,
            created_lte=created_lte,
            types=types,
            delivery_success=delivery_success,
        )

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    # --- sharing ------------------------------------------------------------------------------

    def prime(self, object_type: str, obj: JsonDict, fetched_at: float) -> None:
        """Offer an object read by other means (a list page started at ``fetched_at``)."""
        done: Future[Any] = Future()
        done.set_result(copy.deepcopy(obj))
        with self._lock:
            self._store(("retrieve", object_type, str(obj["id"])), _Entry(fetched_at, done))

    def _now(self) -> float:
        return self._clock.now().timestamp()

    def _store(self, key: tuple[str, ...], entry: _Entry) -> None:
        self._entries[key] = entry
        self._entries.move_to_end(key)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    def _read(self, key: tuple[str, ...], fetch: Callable[[], Any]) -> Any:
        threshold = fresh_after()
        if threshold is None:
            return fetch()
        now = self._now()
        with self._lock:
            entry = self._entries.get(key)
            usable = (
                entry is not None
                and entry.started >= threshold
                and now - entry.started <= self._max_age
                and not (entry.result.done() and entry.result.exception() is not None)
            )
            if usable and entry is not None:
                self.served += 1
                shared: Future[Any] | None = entry.result
            else:
                shared = None
                mine: Future[Any] = Future()
                self._store(key, _Entry(now, mine))
        if shared is not None:
            return copy.deepcopy(shared.result())
        try:
            value = fetch()
        except BaseException as error:
            mine.set_exception(error)
            with self._lock:
                if self._entries.get(key) is not None and self._entries[key].result is mine:
                    del self._entries[key]
            raise
        mine.set_result(value)
        return copy.deepcopy(value)
