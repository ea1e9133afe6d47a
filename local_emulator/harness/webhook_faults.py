"""Fault injection on the webhook's side: the archive (BigQuery) and the queue (Cloud Tasks) fail
under the webhook, transiently (a 5xx: Stripe delivers again) or for good until a person fixes
them (permission denied on the archive, the queue deleted), as the production adapters report
them. The webhook answers 5xx either way and logs the second kind at ERROR, which alerts; Stripe's
redelivery and the catch-up recover every event once the fault is gone.

Wrappers at the ports (``IngestDeps.warehouse`` and ``IngestDeps.queue``), as crashes.py does
for the worker: production code has no fault hooks.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from shared.errors import AuthenticationError, NotFoundError, UpstreamUnavailableError
from shared.ports import Task

Refusal = Literal["archive", "enqueue"]


class WebhookFaults:
    """What fails now: random transient failures per call, and a refusal a person must fix."""

    def __init__(self, *, archive_5xx: float, enqueue_5xx: float, seed: int) -> None:
        self.archive_5xx = archive_5xx
        self.enqueue_5xx = enqueue_5xx
        self.refusing: Refusal | None = None
        self.injected: Counter[str] = Counter()
        self._rng = random.Random(f"webhook-faults-{seed}")
        self._lock = threading.Lock()

    def draw(self, probability: float) -> bool:
        with self._lock:
            return bool(probability) and self._rng.random() < probability

    def count(self, kind: str) -> None:
        with self._lock:
            self.injected[kind] += 1

    def off(self) -> None:
        self.archive_5xx = self.enqueue_5xx = 0.0
        self.refusing = None


class FaultyArchive:
    """The webhook's warehouse: appends to the archive may fail (before or after the write)."""

    def __init__(self, inner: Any, faults: WebhookFaults) -> None:
        self._inner = inner
        self._faults = faults

    def append(
        self, table: str, rows: Sequence[Mapping[str, Any]], row_ids: Sequence[str] | None = None
    ) -> None:
        faults = self._faults
        if faults.refusing == "archive":
            faults.count("webhook_archive_denied")
            raise AuthenticationError(
                "BigQuery insert into stripe_events refused: permission denied (injected)",
                code="bq_auth",
            )
        if faults.draw(faults.archive_5xx):
            faults.count("webhook_archive_5xx")
            if faults.draw(0.5):  # stored, but the answer was lost
                self._inner.append(table, rows, row_ids)
            raise UpstreamUnavailableError("BigQuery unavailable (injected)", code="bq_unavailable")
        self._inner.append(table, rows, row_ids)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class FaultyQueue:
    """The webhook's queue: creating a task may fail, transiently or because it is gone."""

    def __init__(self, inner: Any, faults: WebhookFaults) -> None:
        self._inner = inner
        self._faults = faults

    def enqueue(self, task: Task) -> bool:
        faults = self._faults
        if faults.refusing == "enqueue":
            faults.count("webhook_queue_missing")
            raise NotFoundError(
                "Cloud Tasks queue does not exist (injected)", code="tasks_queue_not_found"
            )
        if faults.draw(faults.enqueue_5xx):
            faults.count("webhook_enqueue_5xx")
            raise UpstreamUnavailableError(
                "Cloud Tasks unavailable (injected)", code="tasks_unavailable"
            )
        created: bool = self._inner.enqueue(task)
        return created

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)
