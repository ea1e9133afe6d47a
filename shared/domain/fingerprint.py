"""What a person's edit would change in a QBO transaction, as a short comparable fingerprint.

QBO changes documents by itself: applying a payment or a credit moves an invoice's and a credit
memo's SyncToken, LastUpdatedTime, Balance and LinkedTxn; it numbers documents and fills in
defaults (DueDate from terms, the deposit account of a zero payment, sub-total lines). None of
that is an edit. What is: the customer, the date, the lines (kind, amount, item or account,
posting side, what a payment line applies to), tax, where the money went, the exchange rate
and the void state.

The fingerprint reads only fields the sync sends and QBO keeps as sent, so the same function
gives the same answer on the body we wrote and on the document QBO holds; each aspect has its
own part, so a finding can say what changed. Links store it (``payload_hash``, prefixed
``c1:``); reconcile compares it with the document change data capture returns.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal, InvalidOperation
from typing import Any

VERSION = "c1"
# What the sync writes and nobody else should change (customers it updates itself).
TRANSACTIONS = frozenset(
    {"Invoice", "Payment", "CreditMemo", "SalesReceipt", "RefundReceipt", "JournalEntry", "Deposit"}
)
ASPECTS = ("customer", "date", "lines", "tax", "account", "rate", "void")
_PART = 6  # hex characters per aspect


def _number(value: Any) -> str:
    try:
        number = Decimal(str(value if value is not None else 0))
    except InvalidOperation:
        return str(value)
    return format(number.normalize(), "f") if number else "0"


def _ref(value: Any) -> str:
    return str(value.get("value") or "") if isinstance(value, dict) else ""


def _line(line: dict[str, Any]) -> list[str] | None:
    kind = str(line.get("DetailType") or "")
    if kind == "SubTotalLineDetail":
        return None  # QBO adds it
    parts = [kind, _number(line.get("Amount"))]
    found = line.get(kind)
    detail: dict[str, Any] = found if isinstance(found, dict) else {}
    for field in ("ItemRef", "AccountRef", "DiscountAccountRef"):
        if field in detail:
            parts.append(_ref(detail[field]))
    if "PostingType" in detail:
        parts.append(str(detail["PostingType"]))
    entity = detail.get("Entity")
    if isinstance(entity, dict):
        parts.append(_ref(entity.get("EntityRef")))
    for link in line.get("LinkedTxn") or []:
        parts.append(f"{link.get('TxnType')}:{link.get('TxnId')}")
    return parts


def _aspects(document: dict[str, Any]) -> dict[str, Any]:
    lines = [x for x in (_line(line) for line in document.get("Line") or []) if x is not None]
    total = document.get("TotalAmt")
    # A zero payment applies a credit; where QBO says its money went does not matter.
    moves_money = total is None or _number(total) != "0"
    return {
        "customer": _ref(document.get("CustomerRef")),
        "date": str(document.get("TxnDate") or ""),
        "lines": lines,
        "tax": _number((document.get("TxnTaxDetail") or {}).get("TotalTax")),
        "account": _ref(document.get("DepositToAccountRef")) if moves_money else "",
        # the home value of every amount; QBO shows 1 for a home-currency document
        "rate": _number(document.get("ExchangeRate") or 1),
        "void": str(document.get("PrivateNote") or "").startswith("Voided"),
    }


def _digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:_PART]


def fingerprint(document: dict[str, Any]) -> str:
    """``c1:<customer>.<date>.<lines>.<tax>.<account>.<rate>.<void>``, each a short hash."""
    aspects = _aspects(document)
    return f"{VERSION}:" + ".".join(_digest(aspects[name]) for name in ASPECTS)


def changed_aspects(stored: str, document: dict[str, Any]) -> list[str] | None:
    """The aspects in which ``document`` differs from the fingerprint ``stored``; None when
    ``stored`` is not a fingerprint of this version (a link written before it existed)."""
    prefix, _, parts = stored.partition(":")
    expected = parts.split(".")
    if prefix != VERSION or len(expected) != len(ASPECTS):
        return None
    actual = fingerprint(document).partition(":")[2].split(".")
    return [name for name, a, b in zip(ASPECTS, expected, actual, strict=True) if a != b]
