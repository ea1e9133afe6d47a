"""Finding QBO entities by a field we control: the heal step before any second create."""

from __future__ import annotations

from typing import Any

from shared.ports import JsonDict, QboGateway


def quote(value: str) -> str:
    """A QBO query string literal: backslash escapes quotes and backslashes."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def find_one(qbo: QboGateway, entity: str, field: str, value: str) -> JsonDict | None:
    # entity and field are constants of ours; the value is quoted.
    rows = qbo.query(f"select * from {entity} where {field} = {quote(value)}")  # noqa: S608
    return rows[0] if rows else None


def entity_id(document: JsonDict) -> str:
    found: Any = document.get("Id")
    if not isinstance(found, str) or not found:
        raise ValueError("QBO answered without an entity Id")
    return found
