"""Deterministic names: Cloud Tasks task names, QBO requestids, DocNumbers, payload hashes."""

from __future__ import annotations

import hashlib
import json
from typing import Any

QBO_REQUEST_ID_MAX = 50
DOC_NUMBER_MAX = 21


def _digest(text: str, length: int) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


def task_name_from_event(event_id: str, purpose: str = "evt") -> str:
    """``evt-<event id>``; replays pass another purpose so Cloud Tasks does not refuse them."""
    return f"{purpose}-{event_id}"


def task_name_from_object(object_type: str, object_id: str, window: int) -> str:
    """``obj-<type>-<id>-<window>``: one task for every event of one object in one window."""
    return f"obj-{object_type}-{object_id}-{window}"


def qbo_request_id_from(operation: str, stripe_id: str) -> str:
    """A requestid unique per (operation, Stripe id) and at most 50 characters.

    A retried or concurrent create with the same id gets QBO's original response back.
    """
    candidate = f"{operation}:{stripe_id}"
    if len(candidate) <= QBO_REQUEST_ID_MAX:
        return candidate
    return f"{operation[:8]}:{_digest(candidate, QBO_REQUEST_ID_MAX - 9)}"


def doc_number_from_stripe_number(number: str) -> str:
    """Stripe's invoice number as QBO's DocNumber, which holds at most 21 characters.

    Longer numbers keep their most specific tail (Stripe numbers end in a sequence) and gain a
    short hash of the whole, so two long numbers with the same tail never collide.
    """
    if len(number) <= DOC_NUMBER_MAX:
        return number
    digest = _digest(number, 6)
    return f"{number[-(DOC_NUMBER_MAX - 7) :]}~{digest}"


def doc_number_for(role: str, stripe_id: str) -> str:
    """A DocNumber or PaymentRefNum (at most 21 characters) for a document we create without a
    Stripe number of its own (an out-of-band payment, a write-off, a credit application), so a
    lost answer can be healed by looking the document up on a field we control.

    ``<role>-<Stripe id>`` when it fits; else the role, the id's tail and a hash of both.
    """
    candidate = f"{role}-{stripe_id}"
    if len(candidate) <= DOC_NUMBER_MAX:
        return candidate
    room = DOC_NUMBER_MAX - len(role) - 8  # "-", "~" and six hex digits
    if room < 4:
        raise ValueError(f"role {role!r} leaves no room for the Stripe id")
    return f"{role}-{stripe_id[-room:]}~{_digest(candidate, 6)}"


def payload_hash(document: dict[str, Any]) -> str:
    """A stable hash of a QBO document: the same Stripe state maps to the same hash."""
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), default=str)
    return _digest(canonical, 32)
