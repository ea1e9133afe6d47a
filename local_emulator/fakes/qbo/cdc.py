"""Change data capture (``GET /cdc?entities=Invoice,Payment&changedSince=<ISO time>``): every
entity of the named types changed since a time, in QBO's CDCResponse shape, deleted ones as
``{"status": "Deleted", "Id", "MetaData"}`` after the others (Intuit's ChangeDataCapture page:
"Objects deleted within the look-back period are returned after active objects")."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta

from local_emulator.fakes.qbo import errors
from local_emulator.fakes.qbo.books import JsonDict, id_order
from local_emulator.fakes.qbo.engine import FakeQbo
from local_emulator.fakes.qbo.registry import canonical

MAX_ENTITIES = 1000  # QBO answers at most 1000 objects per entity type
# "CDC operations can track changes within the last 30 days" (Intuit's change-data-capture
# page); an older changedSince is refused (errors.cdc_too_old).
LOOKBACK = timedelta(days=30)


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
    if since < fake.clock.now() - LOOKBACK:
        raise errors.cdc_too_old(changed_since)
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
            changed.extend(
                copy.deepcopy(gone)
                for gone in fake.books.deleted(name)
                if _when(str(gone["MetaData"]["LastUpdatedTime"]), "LastUpdatedTime") >= since
            )
            page = changed[:MAX_ENTITIES]
            responses.append(
                {name: page, "startPosition": 1, "maxResults": len(page), "totalCount": len(page)}
            )
    return {"CDCResponse": [{"QueryResponse": responses}]}
