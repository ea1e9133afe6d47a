"""Finding QBO entities by a field we control, and create_or_heal: the heal step before any
second create."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shared.domain.mapping import carries_marker, marker_core
from shared.errors import DuplicateNameError, ForeignDocumentError, ValidationFailedError
from shared.ports import JsonDict, QboGateway

DUPLICATE_DOC_NUMBER = "6140"
# Finds a document we may have created already: one (find_one), every match (find_all), or None.
Lookup = Callable[[], JsonDict | list[JsonDict] | None]


def quote(value: str) -> str:
    """A QBO query string literal: backslash escapes quotes and backslashes."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def find_all(qbo: QboGateway, entity: str, field: str, value: str) -> list[JsonDict]:
    """Every ``entity`` whose ``field`` equals ``value`` (ours and anyone else's)."""
    # entity and field are constants of ours; the value is quoted.
    return qbo.query(f"select * from {entity} where {field} = {quote(value)}")  # noqa: S608


def find_one(qbo: QboGateway, entity: str, field: str, value: str) -> JsonDict | None:
    rows = find_all(qbo, entity, field, value)
    return rows[0] if rows else None


def entity_id(document: JsonDict) -> str:
    found: Any = document.get("Id")
    if not isinstance(found, str) or not found:
        raise ValueError("QBO answered without an entity Id")
    return found


def create_or_heal(
    qbo: QboGateway,
    entity: str,
    body: JsonDict,
    request_id: str,
    lookup: Lookup,
    *,
    heal_first: bool,
) -> str:
    """Create once. A lookup on a field we control (DocNumber, PaymentRefNum, name) finds what a
    lost answer, a crashed worker or a concurrent one already created, so the sync never depends
    on QBO replaying a requestid.

    Only a document carrying our marker (the body's ``Stripe <kind> <id>``) is adopted; one that
    someone else wrote with the same number is a ForeignDocumentError naming both sides. A body
    without a marker (an account or item we refer to by name) adopts what has that name.
    """
    if heal_first:
        found = adoptable(entity, body, lookup(), refuse_foreign=False)
        if found is not None:
            return found
    try:
        return entity_id(qbo.create(entity, body, request_id))
    except (DuplicateNameError, ValidationFailedError) as error:
        # 6240 / 6140: the name or number is taken; ours (a lost answer) or someone else's.
        if isinstance(error, DuplicateNameError) or error.code == DUPLICATE_DOC_NUMBER:
            found = adoptable(entity, body, lookup(), refuse_foreign=True)
            if found is not None:
                return found
        raise


def adoptable(
    entity: str, body: JsonDict, found: JsonDict | list[JsonDict] | None, *, refuse_foreign: bool
) -> str | None:
    """The id of the document among ``found`` that we wrote for ``body``, if any.

    ``refuse_foreign``: documents were found but none is ours: raise rather than answer None.
    """
    candidates = found if isinstance(found, list) else [found] if found is not None else []
    core = marker_core(body)
    if core is None:
        return entity_id(candidates[0]) if candidates else None
    ours = sorted((c for c in candidates if carries_marker(c, core)), key=_numeric_id)
    if ours:
        return entity_id(ours[0])
    if candidates and refuse_foreign:
        foreign = ", ".join(str(c.get("Id")) for c in candidates)
        raise ForeignDocumentError(
            f"QBO {entity} {foreign} holds the number or name this sync would use for "
            f"{core.removeprefix('Stripe ')}, but was not written by it (no marker); not "
            "adopted: rename or remove the QBO document, then replay"
        )
    return None


def _numeric_id(document: JsonDict) -> tuple[int, str]:
    raw = str(document.get("Id") or "")
    return (int(raw), raw) if raw.isdigit() else (0, raw)
