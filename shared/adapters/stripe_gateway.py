"""StripeGateway over the stripe library's StripeClient: fresh objects as plain dicts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import stripe

from shared.errors import MappingGapError
from shared.ports import JsonDict, StripePage

from .stripe_common import StripeAdapter, stripe_errors, to_dict

# Stripe object type (the ``object`` field) -> StripeClient v1 service name
SERVICES = {
    "customer": "customers",
    "invoice": "invoices",
    "invoiceitem": "invoice_items",
    "invoice_payment": "invoice_payments",
    "charge": "charges",
    "payment_intent": "payment_intents",
    "refund": "refunds",
    "credit_note": "credit_notes",
    "dispute": "disputes",
    "payout": "payouts",
    "balance_transaction": "balance_transactions",
    "product": "products",
    "price": "prices",
    "payment_record": "payment_records",
    "tax_rate": "tax_rates",
    "event": "events",
}
# Listed under their parent: (parent filter, parent service, nested service)
NESTED = {"customer_balance_transaction": ("customer", "customers", "balance_transactions")}
PAGE_SIZE = 100
MAX_TYPES_PER_QUERY = 20  # Stripe's limit for ``types``


class StripeApiGateway(StripeAdapter):
    """Reads from Stripe; every stripe error leaves as a shared.errors error."""

    def retrieve(self, object_type: str, object_id: str, expand: Sequence[str] = ()) -> JsonDict:
        service = _service(object_type)
        params = {"expand": list(expand)} if expand else None
        with stripe_errors(f"retrieve {object_type} {object_id}"):
            return to_dict(getattr(self._v1, service).retrieve(object_id, params))

    def list_invoice_lines(self, invoice_id: str) -> list[JsonDict]:
        with stripe_errors(f"list lines of {invoice_id}"):
            page = self._v1.invoices.line_items.list(invoice_id, {"limit": PAGE_SIZE})
            return _all(page)

    def list_balance_transactions(self, payout_id: str) -> list[JsonDict]:
        """Every balance transaction paid out in an automatic payout, its own included."""
        with stripe_errors(f"list balance transactions of {payout_id}"):
            page = self._v1.balance_transactions.list({"payout": payout_id, "limit": PAGE_SIZE})
            return _all(page)

    def list_invoice_payments(self, invoice_id: str) -> list[JsonDict]:
        """The payments of an invoice (where its charge or payment intent is named)."""
        with stripe_errors(f"list payments of {invoice_id}"):
            page = self._v1.invoice_payments.list({"invoice": invoice_id, "limit": PAGE_SIZE})
            return _all(page)

    def list_objects(self, object_type: str, filters: Mapping[str, Any]) -> list[JsonDict]:
        """Every object of a type that matches Stripe's list filters, all pages. Nested ones
        (a customer's balance transactions) need their parent as a filter (``customer``)."""
        if object_type in NESTED:
            return self._list_nested(object_type, filters)
        service = _service(object_type)
        with stripe_errors(f"list {object_type}"):
            page = getattr(self._v1, service).list({**filters, "limit": PAGE_SIZE})
            return _all(page)

    def list_page(
        self,
        object_type: str,
        filters: Mapping[str, Any],
        *,
        starting_after: str | None = None,
        limit: int = PAGE_SIZE,
    ) -> StripePage:
        """One page, newest first, after the cursor (a backfill keeps the cursor to resume)."""
        service = _service(object_type)
        params: dict[str, Any] = {**filters, "limit": limit}
        if starting_after:
            params["starting_after"] = starting_after
        with stripe_errors(f"list {object_type}"):
            page = getattr(self._v1, service).list(params)
            return StripePage([to_dict(item) for item in page.data], bool(page.has_more))

    def _list_nested(self, object_type: str, filters: Mapping[str, Any]) -> list[JsonDict]:
        parent_filter, parent, nested = NESTED[object_type]
        rest = {k: v for k, v in filters.items() if k != parent_filter}
        parent_id = filters.get(parent_filter)
        if not isinstance(parent_id, str) or not parent_id:
            raise MappingGapError(f"listing {object_type} needs a {parent_filter} filter")
        with stripe_errors(f"list {object_type} of {parent_id}"):
            service = getattr(getattr(self._v1, parent), nested)
            return _all(service.list(parent_id, {**rest, "limit": PAGE_SIZE}))

    def list_events(
        self,
        *,
        created_gte: int | None = None,
        created_lte: int | None = None,
        types: Sequence[str] | None = None,
        delivery_success: bool | None = None,
    ) -> list[JsonDict]:
        base: dict[str, Any] = {"limit": PAGE_SIZE}
        created = {k: v for k, v in (("gte", created_gte), ("lte", created_lte)) if v is not None}
        if created:
            base["created"] = created
        if delivery_success is not None:
            base["delivery_success"] = delivery_success
        found: dict[str, JsonDict] = {}
        with stripe_errors("list events"):
            for extra in _type_queries(types):
                for event in reversed(_all(self._v1.events.list({**base, **extra}))):
                    found.setdefault(event["id"], event)
        # oldest first; the stable sort keeps Stripe's order within one second
        return sorted(found.values(), key=lambda e: int(e.get("created") or 0))


def _service(object_type: str) -> str:
    service = SERVICES.get(object_type)
    if service is None:
        raise MappingGapError(f"no Stripe resource for object type {object_type!r}")
    return service


def _type_queries(types: Sequence[str] | None) -> Iterable[dict[str, Any]]:
    """One query per wildcard pattern; exact names in groups of at most 20."""
    if not types:
        yield {}
        return
    exact = [t for t in dict.fromkeys(types) if "*" not in t]
    for pattern in dict.fromkeys(t for t in types if "*" in t):
        yield {"type": pattern}
    for i in range(0, len(exact), MAX_TYPES_PER_QUERY):
        yield {"types": exact[i : i + MAX_TYPES_PER_QUERY]}


def _all(page: stripe.ListObject[Any]) -> list[JsonDict]:
    return [to_dict(item) for item in page.auto_paging_iter()]
