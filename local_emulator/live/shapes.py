"""Shapes of Stripe objects, to compare what real Stripe returns with what the fake serves.

A shape maps every field path of every object of one type (``invoice``, ``event:invoice.paid``)
to the JSON types seen there: ``lines.data[].pricing.price_details.product: {str}``. Comparing
two shapes finds fields only the fake serves (a field Stripe no longer has, or one the fake
invented: always a fault of the fake), fields only Stripe returns (the fake may lack them; a fault
only if the sync reads them), and fields whose types disagree. Values are never kept.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

JsonDict = dict[str, Any]
Shape = dict[str, set[str]]
# Maps whose keys are data (ids, currencies, metadata), not field names
FREE_KEYS = frozenset({"metadata", "invoice_credit_balance", "previous_attributes"})


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "str"
    if isinstance(value, list):
        return "list"
    return "object"


def _walk(value: Any, path: str, out: Shape) -> None:
    out[path].add(json_type(value))
    if isinstance(value, dict):
        if path.rsplit(".", 1)[-1] in FREE_KEYS:
            return
        for key, item in value.items():
            _walk(item, f"{path}.{key}" if path else key, out)
    elif isinstance(value, list):
        for item in value:
            _walk(item, f"{path}[]", out)


def kind_of(obj: JsonDict) -> str:
    """The shape an object belongs to: its ``object``, or ``event:<type>`` for an event."""
    if obj.get("object") == "event":
        return f"event:{obj.get('type')}"
    return str(obj.get("object"))


def shapes_of(objects: Iterable[JsonDict]) -> dict[str, Shape]:
    """Every object's fields, by kind; an event's ``data.object`` is part of the event's shape."""
    shapes: dict[str, Shape] = defaultdict(lambda: defaultdict(set))
    for obj in objects:
        _walk(obj, "", shapes[kind_of(obj)])
    return {kind: {p: set(t) for p, t in shape.items() if p} for kind, shape in shapes.items()}


@dataclass
class Difference:
    kind: str
    fake_only: list[str] = field(default_factory=list)  # the fake serves what Stripe does not
    stripe_only: list[str] = field(default_factory=list)  # Stripe returns what the fake lacks
    type_mismatch: list[str] = field(default_factory=list)  # both, with disjoint types

    @property
    def faults(self) -> list[str]:
        """What makes the fake wrong: fields Stripe does not have, types it does not use."""
        return [f"fake only: {p}" for p in self.fake_only] + [
            f"types differ: {p}" for p in self.type_mismatch
        ]


def _parents(path: str) -> list[str]:
    """``a.b[].c`` -> ``a.b[]``, ``a.b``, ``a`` (nearest first)."""
    out: list[str] = []
    while True:
        if path.endswith("[]"):
            path = path[:-2]
        elif "." in path:
            path = path.rsplit(".", 1)[0]
        else:
            return out
        out.append(path)


def _opened(shape: Mapping[str, set[str]]) -> set[str]:
    """Paths whose inside the shape has seen (an object with fields, a list with elements)."""
    return {parent for path in shape for parent in _parents(path)[:1]}


def _covered(path: str, other: Mapping[str, set[str]], opened: set[str]) -> bool:
    """In the other shape, or inside something the other side never saw into (always null, or
    an empty list there): no evidence either way."""
    if path in other:
        return True
    for parent in _parents(path):
        if parent in other:
            return parent not in opened
    return False


def compare(stripe: Mapping[str, Shape], fake: Mapping[str, Shape]) -> list[Difference]:
    """For every kind both sides have, how the fake's shape departs from Stripe's."""
    out: list[Difference] = []
    for kind in sorted(set(stripe) & set(fake)):
        real, ours = stripe[kind], fake[kind]
        diff = Difference(kind)
        real_opened, ours_opened = _opened(real), _opened(ours)
        diff.fake_only = sorted(p for p in ours if not _covered(p, real, real_opened))
        diff.stripe_only = sorted(p for p in real if not _covered(p, ours, ours_opened))
        for path in sorted(set(real) & set(ours)):
            seen_real, seen_ours = real[path] - {"null"}, ours[path] - {"null"}
            if seen_real and seen_ours and not seen_real & seen_ours:
                diff.type_mismatch.append(path)
        if diff.fake_only or diff.stripe_only or diff.type_mismatch:
            out.append(diff)
    return out


def report(
    stripe: Mapping[str, Shape], fake: Mapping[str, Shape], differences: list[Difference]
) -> JsonDict:
    """A JSON-ready summary (field paths and types only, never values)."""
    return {
        "kinds_compared": sorted(set(stripe) & set(fake)),
        "only_in_stripe": sorted(set(stripe) - set(fake)),
        "only_in_fake": sorted(set(fake) - set(stripe)),
        "differences": [
            {
                "kind": d.kind,
                "fake_only": d.fake_only,
                "stripe_only": d.stripe_only,
                "type_mismatch": d.type_mismatch,
            }
            for d in differences
        ],
        "faults": sum(len(d.faults) for d in differences),
    }
