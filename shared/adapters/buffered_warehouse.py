"""A Warehouse whose appends wait for ``flush``: a backfill writes its links and log rows a page
at a time (one streaming insert per table per page) instead of two inserts per object.

Reads go to the wrapped warehouse and see only what was flushed; the link store answers for
links written since from its own memory. A crash loses the rows not yet flushed, never QBO's
documents: a resumed backfill heals the objects of its unfinished pages by lookup.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

from shared.ports import Row, Warehouse


class BufferedWarehouse:
    def __init__(self, inner: Warehouse) -> None:
        self.inner = inner
        self._rows: dict[str, list[Row]] = {}
        self._ids: dict[str, list[str] | None] = {}
        self._lock = threading.Lock()

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        return self.inner.query(sql, params)

    def append(self, table: str, rows: Sequence[Row], row_ids: Sequence[str] | None = None) -> None:
        if row_ids is not None and len(row_ids) != len(rows):
            raise ValueError("one row id per row")
        with self._lock:
            buffered = self._rows.setdefault(table, [])
            ids = self._ids.get(table, [] if not buffered else None)
            if row_ids is None or ids is None:
                self._ids[table] = None  # a table appended without ids goes without them
            else:
                ids.extend(row_ids)
                self._ids[table] = ids
            buffered.extend(rows)

    def pending(self) -> int:
        with self._lock:
            return sum(len(rows) for rows in self._rows.values())

    def flush(self) -> None:
        """Append what waits, one call per table. On failure the rows stay for the next try."""
        with self._lock:
            batches = [(t, rows, self._ids.get(t)) for t, rows in self._rows.items() if rows]
            self._rows, self._ids = {}, {}
        for index, (table, rows, ids) in enumerate(batches):
            try:
                self.inner.append(table, rows, ids)
            except BaseException:
                with self._lock:
                    for later, later_rows, later_ids in batches[index:]:
                        newer = self._rows.get(later, [])
                        newer_ids = self._ids.get(later, [] if not newer else None)
                        self._rows[later] = [*later_rows, *newer]
                        if later_ids is None or newer_ids is None:
                            self._ids[later] = None
                        else:
                            self._ids[later] = [*later_ids, *newer_ids]
                raise
