"""A StripeGateway over a FakeStripe in the same process: no HTTP, no stripe library.

For fast service-level tests of posting rules (``tests/functional``): the objects and list
filters are the fake's own, so what a test seeds is what the sync reads, and a list filter the
fake refuses is refused here too. The HTTP fake (``server``) stays the contract the production
adapter is proven against.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from local_emulator.fakes.stripe import listing
from local_emulator.fakes.stripe.errors import StripeApiError
from local_emulator.fakes.stripe.expand import expand as expand_fields
from local_emulator.fakes.stripe.expand import include
from local_emulator.fakes.stripe.state import FakeStripe, JsonDict
from shared.errors import (
    NotFoundError,
    SyncError,
    ThrottledError,
    UpstreamUnavailableError,
    ValidationFailedError,
)
from shared.ports import StripePage


def _translated(error: StripeApiError, what: str) -> SyncError:
    text = f"Stripe {what} failed: {error.status} {error.code or error.type}"
    if error.status == 404:
        return NotFoundError(text, code="resource_missing")
    if error.status == 429:
        return ThrottledError(text, code="rate_limit")
    if error.status >= 500:
        return UpstreamUnavailableError(text, code=str(error.status))
    return ValidationFailedError(text, code=error.code or "invalid_request")


class InMemoryStripeGateway:
    """The StripeGateway port over ``fake``'s state; every answer is a deep copy."""

    def __init__(self, fake: FakeStripe) -> None:
        self.fake = fake
        self.calls = 0

    def retrieve(self, object_type: str, object_id: str, expand: Sequence[str] = ()) -> JsonDict:
        self.calls += 1
        with self.fake.lock:
            found = self.fake.get(object_id)
            if found is None or found.get("object") != object_type:
                raise NotFoundError(f"Stripe retrieve {object_type} failed: 404 resource_missing")
            body = copy.deepcopy(found)
            try:
                return expand_fields(self.fake, body, include(self.fake, body, list(expand)))
            except StripeApiError as error:
                raise _translated(error, f"retrieve {object_type}") from None

    def list_invoice_lines(self, invoice_id: str) -> list[JsonDict]:
        self.calls += 1
        with self.fake.lock:
            return copy.deepcopy(self.fake.invoice_lines(invoice_id))

    def list_objects(self, object_type: str, filters: Mapping[str, Any]) -> list[JsonDict]:
        self.calls += 1
        params = _as_params(filters)
        try:
            with self.fake.lock:
                return copy.deepcopy(listing.filter_objects(self.fake, object_type, params))
        except StripeApiError as error:
            raise _translated(error, f"list {object_type}") from None

    def list_page(
        self,
        object_type: str,
        filters: Mapping[str, Any],
        *,
        starting_after: str | None = None,
        limit: int = 100,
    ) -> StripePage:
        self.calls += 1
        params = {**_as_params(filters), "limit": str(limit)}
        if starting_after:
            params["starting_after"] = starting_after
        try:
            with self.fake.lock:
                items = listing.filter_objects(self.fake, object_type, _without_paging(params))
                page = listing.paginate(items, params, "")
        except StripeApiError as error:
            raise _translated(error, f"list {object_type}") from None
        return StripePage(copy.deepcopy(page["data"]), bool(page["has_more"]))

    def list_events(
        self,
        *,
        created_gte: int | None = None,
        created_lte: int | None = None,
        types: Sequence[str] | None = None,
        delivery_success: bool | None = None,
    ) -> list[JsonDict]:
        filters: dict[str, Any] = {}
        created = {k: v for k, v in (("gte", created_gte), ("lte", created_lte)) if v is not None}
        if created:
            filters["created"] = created
        if delivery_success is not None:
            filters["delivery_success"] = delivery_success
        found: dict[str, JsonDict] = {}
        patterns = [t for t in types or [] if "*" in t]
        exact = [t for t in types or [] if "*" not in t]
        queries = [{"type": p} for p in patterns] + ([{"types": exact}] if exact else [])
        for extra in queries or [{}]:
            for event in self.list_objects("event", {**filters, **extra}):
                found.setdefault(str(event["id"]), event)
        return sorted(found.values(), key=lambda e: int(e.get("created") or 0))


def _without_paging(params: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in params.items() if k not in ("limit", "starting_after")}


def _as_params(filters: Mapping[str, Any]) -> dict[str, Any]:
    """List filters as the form parser hands them to the fake: scalars as strings."""

    def text(value: Any) -> Any:
        if isinstance(value, Mapping):
            return {str(k): text(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [text(v) for v in value]
        if isinstance(value, bool):
            return str(value).lower()
        return str(value)

    return {str(k): text(v) for k, v in filters.items()}
