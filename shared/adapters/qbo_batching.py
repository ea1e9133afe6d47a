"""A QboGateway whose creates travel in QBO batches: the backfill's write path.

The posting code calls ``create`` one document at a time and waits for the entity, exactly as
in the steady flow; here each create joins the next batch instead of being a request of its
own. A dispatcher takes a batch slot first (40 per window per realm and app), then up to 30
waiting creates, so batches fill while the limit makes them wait. Everything else (reads,
queries, updates, voids) goes to the wrapped gateway as single requests.

A batch carries one requestid for all its items, so a create's own requestid does not protect it
across batches: a create whose answer was lost must be healed by lookup (the caller syncs such
objects with ``heal_first``). Within one batch the writer retries the same items under the same
requestid, which QBO replays.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from shared.adapters.qbo_batch import BatchItem, BatchResult, QboBatchWriter
from shared.adapters.qbo_gateway import QuickBooksGateway, check_request_id
from shared.errors import SyncError, ThrottledError, TransientError, UpstreamUnavailableError
from shared.ports import JsonDict

LINGER_SECONDS = 0.02  # how long a batch that could go waits for more items to fill it
RETRIES = 4
T = TypeVar("T")


class RetryingQboGateway:
    """Single requests, each retried in place on a transient failure: a long backfill rides out
    a 429 or a 5xx without failing the object. Safe because every write carries its requestid
    (QBO answers a repeat from memory) and reads change nothing. After a 429, a window (Intuit:
    60 seconds) passes first."""

    def __init__(
        self,
        inner: QuickBooksGateway,
        *,
        retries: int = RETRIES,
        sleep: Callable[[float], object] = time.sleep,
    ) -> None:
        self.inner = inner
        self._retries = retries
        self._sleep = sleep

    def _retry(self, call: Callable[[], T]) -> T:
        window = float(self.inner.limiter.window_seconds)
        for attempt in range(self._retries + 1):
            try:
                return call()
            except TransientError as error:
                if attempt == self._retries:
                    raise
                delay = window if isinstance(error, ThrottledError) else 0.2 * 2.0**attempt
                self._sleep(min(window, delay))
        raise AssertionError("unreachable")

    def create(self, entity: str, document: JsonDict, request_id: str) -> JsonDict:
        return self._retry(lambda: self.inner.create(entity, document, request_id))

    def read(self, entity: str, entity_id: str) -> JsonDict:
        return self._retry(lambda: self.inner.read(entity, entity_id))

    def update(self, entity: str, document: JsonDict, request_id: str) -> JsonDict:
        return self._retry(lambda: self.inner.update(entity, document, request_id))

    def query(self, statement: str) -> list[JsonDict]:
        return self._retry(lambda: self.inner.query(statement))

    def void(self, entity: str, entity_id: str, sync_token: str, request_id: str) -> JsonDict:
        return self._retry(lambda: self.inner.void(entity, entity_id, sync_token, request_id))

    def exchange_rate(self, currency: str, as_of: date) -> Decimal:
        return self._retry(lambda: self.inner.exchange_rate(currency, as_of))

    def changes_since(self, entities: list[str], since: datetime) -> dict[str, list[JsonDict]]:
        return self._retry(lambda: self.inner.changes_since(entities, since))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class BatchingQboGateway:
    """QboGateway: ``create`` through batches, the rest through ``inner``. Close when done."""

    def __init__(
        self, inner: QuickBooksGateway, writer: QboBatchWriter, *, linger: float = LINGER_SECONDS
    ) -> None:
        self.inner = inner
        # reads, updates, voids and the creates only their requestid protects: one by one
        self.unbatched = RetryingQboGateway(inner)
        self.writer = writer
        self._linger = linger
        self._waiting: deque[tuple[BatchItem, Future[BatchResult]]] = deque()
        self._cond = threading.Condition()
        self._closed = False
        self._senders = ThreadPoolExecutor(writer.parallel, thread_name_prefix="qbo-batch")
        self._free = threading.Semaphore(writer.parallel)
        self._dispatcher = threading.Thread(target=self._dispatch, daemon=True, name="qbo-batcher")
        self._dispatcher.start()

    # --- the port -----------------------------------------------------------------------------

    def create(self, entity: str, document: JsonDict, request_id: str) -> JsonDict:
        check_request_id(request_id)
        done: Future[BatchResult] = Future()
        with self._cond:
            if self._closed:
                raise UpstreamUnavailableError("QBO batch writer is closed", code="closed")
            self._waiting.append((BatchItem(entity, document, request_id), done))
            self._cond.notify_all()
        result = done.result()
        if isinstance(result, SyncError):
            raise result
        return result

    def read(self, entity: str, entity_id: str) -> JsonDict:
        return self.unbatched.read(entity, entity_id)

    def update(self, entity: str, document: JsonDict, request_id: str) -> JsonDict:
        return self.unbatched.update(entity, document, request_id)

    def query(self, statement: str) -> list[JsonDict]:
        return self.unbatched.query(statement)

    def void(self, entity: str, entity_id: str, sync_token: str, request_id: str) -> JsonDict:
        return self.unbatched.void(entity, entity_id, sync_token, request_id)

    def exchange_rate(self, currency: str, as_of: date) -> Decimal:
        return self.unbatched.exchange_rate(currency, as_of)

    def changes_since(self, entities: list[str], since: datetime) -> dict[str, list[JsonDict]]:
        return self.unbatched.changes_since(entities, since)

    def __getattr__(self, name: str) -> Any:
        # delete, attach and whatever else the concrete gateway offers: single requests
        return getattr(self.unbatched, name)

    # --- batching -----------------------------------------------------------------------------

    def close(self) -> None:
        """Send what is waiting, then stop; creates after this fail."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._dispatcher.join()
        self._senders.shutdown(wait=True)

    def _take(self) -> list[tuple[BatchItem, Future[BatchResult]]] | None:
        """Wait for work and a free sender; then up to one batch of it (None: closed, empty)."""
        size = self.writer.batch_size
        with self._cond:
            while not self._waiting and not self._closed:
                self._cond.wait()
            if not self._waiting:
                return None
        self._free.acquire()
        self.writer.limiter.acquire()  # a batch slot: creates keep arriving meanwhile
        deadline = time.monotonic() + self._linger
        with self._cond:
            while len(self._waiting) < size and not self._closed:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            taken = [self._waiting.popleft() for _ in range(min(size, len(self._waiting)))]
        if not taken:
            self.writer.limiter.release()
            self._free.release()
            return None
        return taken

    def _dispatch(self) -> None:
        while True:
            taken = self._take()
            if taken is None:
                with self._cond:
                    if self._closed and not self._waiting:
                        return
                continue
            self._senders.submit(self._send, taken)

    def _send(self, taken: list[tuple[BatchItem, Future[BatchResult]]]) -> None:
        try:
            results = self.writer.send([item for item, _ in taken], slot_taken=True)
        except Exception as error:  # a bug must not leave callers waiting forever
            failure = UpstreamUnavailableError(f"QBO batch failed: {type(error).__name__}")
            results = [failure] * len(taken)
        finally:
            self._free.release()
        for (_, done), result in zip(taken, results, strict=True):
            done.set_result(result)
