"""Fakes at the ports for use-case tests: a recording warehouse and an in-memory task queue."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

from shared.errors import UpstreamUnavailableError
from shared.ports import Row, Task


class RecordingWarehouse:
    """Keeps appended rows by table; queries are not expected of it."""

    def __init__(self, *, fail_appends: bool = False) -> None:
        self.rows: dict[str, list[dict[str, Any]]] = {}
        self.fail_appends = fail_appends
        self._lock = threading.Lock()

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        raise AssertionError(f"unexpected query: {sql[:60]}")

    def append(self, table: str, rows: Sequence[Row], row_ids: Sequence[str] | None = None) -> None:
        if self.fail_appends:
            raise UpstreamUnavailableError("warehouse unreachable (injected)")
        with self._lock:
            self.rows.setdefault(table, []).extend(dict(r) for r in rows)


class InMemoryTaskQueue:
    """Cloud Tasks' naming rule without dispatch: a name is refused once it exists."""

    def __init__(self, *, fail: bool = False) -> None:
        self.tasks: dict[str, Task] = {}
        self.fail = fail

    def enqueue(self, task: Task) -> bool:
        if self.fail:
            raise UpstreamUnavailableError("queue unreachable (injected)")
        if task.name in self.tasks:
            return False
        self.tasks[task.name] = task
        return True
