"""Change data capture (``GET /cdc?entities=Invoice,Payment&changedSince=<ISO time>``): every
entity of the named types changed since a time, in QBO's CDCResponse shape."""

from __future__ import annotations

import copy
from datetime import datetime

from local_emulator.fakes.qbo import errors
from local_emulator.fakes.qbo.books import JsonDict, id_order
from local_emulator.fakes.qbo.engine import FakeQbo
from local_emulator.fakes.qbo.registry import canonical

MAX_ENTITIES = 1000  # QBO answers at most 1000 objects per entity type


def _when(text: str, field: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise errors.invalid_value(field, text) from None
    if parsed.tzinfo is None:
        raise errors.invalid_value(field, text)
    return parsed


def changes_since(fake: FakeQbo, entities: str | None, changed_since: str | None) -> JsonDict:
    if not entities:
        raise errors.required_missing("entities")
    if not changed_since:
        raise errors.required_missing("changedSince")
    since = _when(changed_since, "changedSince")
    responses: list[JsonDict] = []
    with fake._lock:  # the engine lock: this module is part of the fake
        fake.count("query")
        for raw in entities.split(","):
            name = canonical(raw.strip())
            if name is None:
                raise errors.invalid_query(f"Entity {raw.strip()} is not supported for CDC")
            changed = [
                copy.deepcopy(doc)
                for doc in fake.books.all(name)
                if _when(str(doc["MetaData"]["LastUpdatedTime"]), "LastUpdatedTime") >= since
            ]
            changed.sort(key=lambda d: id_order(d["Id"]))
            page = changed[:MAX_ENTITIES]
            responses.append(
                {name: page, "startPosition": 1, "maxResults": len(page), "totalCount": len(page)}
            )
    return {"CDCResponse": [{"QueryResponse": responses}]}
