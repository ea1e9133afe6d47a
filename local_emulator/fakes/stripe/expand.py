"""``expand[]``: replace an id by the object it names, along dotted paths (``data.customer``)."""

from __future__ import annotations

import copy
from typing import Any

from .errors import invalid
from .state import FakeStripe, JsonDict

MAX_DEPTH = 4  # Stripe expands at most four levels deep
# "Includable" fields: absent unless asked for with expand[]; Stripe then embeds the first page.
# The invoice's ``payments``: "When retrieving an invoice, there is an includable payments
# property containing the first handful of those items" (stripe-python InvoicePaymentService.list).
INCLUDED_PAGE = 10


def expand(fake: FakeStripe, body: JsonDict, paths: list[str]) -> JsonDict:
    """Expand ``paths`` in ``body`` (a response copy) in place; unknown ids stay ids."""
    for path in paths:
        segments = path.split(".")
        if len(segments) > MAX_DEPTH + (1 if body.get("object") == "list" else 0):
            raise invalid(f"You cannot expand more than {MAX_DEPTH} levels: {path}", "expand")
        _expand(fake, body, segments)
    return body


def include(fake: FakeStripe, body: JsonDict, paths: list[str]) -> list[str]:
    """Fill the includable fields ``paths`` asks for; the paths left to expand as usual."""
    rest = []
    for path in paths:
        if path == "payments" and body.get("object") == "invoice":
            found = [
                copy.deepcopy(p)
                for p in fake.objects_pointing_at("invoice_payment", "invoice", body["id"])
            ]
            body["payments"] = {
                "object": "list",
                "data": found[:INCLUDED_PAGE],
                "has_more": len(found) > INCLUDED_PAGE,
                "url": "/v1/invoice_payments",
            }
        else:
            rest.append(path)
    return rest


def _expand(fake: FakeStripe, node: Any, segments: list[str]) -> None:
    if isinstance(node, list):
        for item in node:
            _expand(fake, item, segments)
        return
    if not isinstance(node, dict) or not segments:
        return
    head, rest = segments[0], segments[1:]
    value = node.get(head)
    if rest:
        _expand(fake, value, rest)
    elif isinstance(value, str):
        found = fake.get(value)
        if found is not None:
            node[head] = copy.deepcopy(found)
