"""QBO's batch endpoint: up to 30 operations per request, paced per realm and app.

Limits: 40 batch requests per minute per realm and app, 120 per realm for every app together,
30 payloads per batch, and the 500 requests per minute per realm. Sources: Intuit's limits page,
https://developer.intuit.com/app/developer/qbo/docs/learn/limits-and-throttles, and the change of
2025 (the 120 per realm, in production since 2025-10-31) announced on Intuit's developer blog,
https://blogs.intuit.com/2025/08/13/upcoming-changes-to-the-accounting-api (all sources with
their quotes: local_emulator/fakes/qbo/throttle.py). Whether each payload counts against the 500
is not spelled out on the limits page; Intuit's own batch sample says each is "metered like a
normal call", so ``items_count=True`` (the default) paces as if it does, and the writer stays
under the limits whichever way QBO counts.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from quickbooks import QuickBooks
from quickbooks.exceptions import QuickbooksException

from shared.adapters.qbo_errors import translate_quickbooks
from shared.adapters.qbo_gateway import QuickBooksGateway
from shared.adapters.qbo_json import dumps
from shared.adapters.rate_limiter import RateLimiter
from shared.errors import SyncError, ThrottledError, TransientError, UpstreamUnavailableError
from shared.ports import JsonDict

BATCH_MAX_ITEMS = 30  # Intuit's recommended maximum payloads per batch request
BATCH_REQUESTS_PER_MINUTE = 40  # per realm and app
BATCH_REQUESTS_PER_MINUTE_REALM = 120  # per realm, every app together (since 2025-10-31)
BATCH_REQUEST_ID_MAX = 36  # a batch's requestid is shorter than a single request's 50
OPERATIONS = ("create", "update", "delete")

BatchResult = JsonDict | SyncError


@dataclass(frozen=True)
class BatchItem:
    """One operation of a batch; ``key`` is its stable id (as a requestid would be)."""

    entity: str
    document: JsonDict
    key: str
    operation: str = "create"


def batch_request_id(keys: Sequence[str]) -> str:
    """Deterministic per set of items: a retried batch of the same items replays, not repeats."""
    digest = hashlib.sha256("\n".join(keys).encode("utf-8")).hexdigest()
    return f"batch-{digest[: BATCH_REQUEST_ID_MAX - 6]}"


def _item_error(fault: Any, what: str) -> SyncError:
    errors = fault.get("Error") if isinstance(fault, dict) else None
    first = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else {}
    exc = QuickbooksException(
        str(first.get("Message") or ""), first.get("code") or 0, str(first.get("Detail") or "")
    )
    return translate_quickbooks(exc, what)


class QboBatchWriter:
    """Sends batches through ``POST /batch``, composed on the gateway.

    Each batch passes the batch limiter (40 per window) and then the gateway's own call path:
    its per-realm limiter (10 at once, 500 per window; a batch takes one place per payload when
    ``items_count``), token refresh on 401 and error translation. A batch that fails as a whole
    with a transient error (throttled, 5xx, network) is sent again, the same items under the
    same requestid, so QBO replays it if it had been applied. Results come back in input order,
    one per item: the entity, or that item's SyncError.
    """

    def __init__(
        self,
        gateway: QuickBooksGateway,
        limiter: RateLimiter | None = None,
        *,
        parallel: int = 4,
        batch_size: int = BATCH_MAX_ITEMS,
        items_count: bool = True,
        retries: int = 3,
        sleep: Callable[[float], object] = time.sleep,
    ) -> None:
        if not 1 <= batch_size <= BATCH_MAX_ITEMS or parallel < 1 or retries < 0:
            raise ValueError(f"batch_size must be 1..{BATCH_MAX_ITEMS}, parallel at least 1")
        self._gateway = gateway
        self.limiter = limiter or RateLimiter(
            BATCH_REQUESTS_PER_MINUTE,
            gateway.limiter.max_concurrent,
            window_seconds=gateway.limiter.window_seconds,
        )
        self.parallel = parallel
        self.batch_size = batch_size
        self.items_count = items_count
        self._retries = retries
        self._sleep = sleep
        self.batches_sent = 0
        self.items_sent = 0
        self.batches_retried = 0
        # Seconds batch slots were held from sending to the answer (observability: a slot is
        # free again a window after its answer, so this is what pacing safely costs).
        self.seconds_in_flight = 0.0
        self._count_lock = threading.Lock()

    def create_many(self, entity: str, items: Sequence[tuple[str, JsonDict]]) -> list[BatchResult]:
        """``items`` are (key, document) of one entity type, in batches of ``batch_size``."""
        if entity not in QuickBooks._BUSINESS_OBJECTS:
            raise ValueError(f"{entity!r} is not a QBO entity name")
        return self.send_all([BatchItem(entity, document, key) for key, document in items])

    def send_all(self, items: Sequence[BatchItem]) -> list[BatchResult]:
        size = self.batch_size
        chunks = [items[i : i + size] for i in range(0, len(items), size)]
        if self.parallel == 1 or len(chunks) <= 1:
            done = [self.send(chunk) for chunk in chunks]
        else:
            with ThreadPoolExecutor(min(self.parallel, len(chunks))) as pool:
                done = list(pool.map(self.send, chunks))
        return [result for chunk_results in done for result in chunk_results]

    def send(self, items: Sequence[BatchItem], *, slot_taken: bool = False) -> list[BatchResult]:
        """One batch of at most ``batch_size`` items; retried whole on a transient failure.

        ``slot_taken``: the caller already holds a place of ``self.limiter`` for the first try.
        """
        if not 1 <= len(items) <= self.batch_size:
            raise ValueError(f"a batch holds 1..{self.batch_size} items")
        for item in items:
            if item.entity not in QuickBooks._BUSINESS_OBJECTS:
                raise ValueError(f"{item.entity!r} is not a QBO entity name")
            if item.operation not in OPERATIONS:
                raise ValueError(f"batch operation {item.operation!r} is not supported")
        entities = sorted({item.entity for item in items})
        what = f"batch {'/'.join(entities)}"
        request_id = batch_request_id([item.key for item in items])
        body = dumps(
            {
                "BatchItemRequest": [
                    {"bId": str(index), "operation": item.operation, item.entity: item.document}
                    for index, item in enumerate(items)
                ]
            }
        )

        def post(qb: QuickBooks) -> Any:
            url = f"{qb.api_url}/company/{qb.company_id}/batch"
            return qb.post(url, body, request_id=request_id)

        weight = len(items) if self.items_count else 1
        for attempt in range(self._retries + 1):
            if attempt or not slot_taken:
                self.limiter.acquire()
            sent = time.monotonic()
            try:
                with self._count_lock:
                    self.batches_sent += 1
                    self.items_sent += len(items)
                    self.batches_retried += 1 if attempt else 0
                response = self._gateway._call(what, post, weight=weight)
            except TransientError as error:
                if attempt == self._retries:
                    return [error] * len(items)
                delay = self._backoff(error, attempt)
            except SyncError as error:
                return [error] * len(items)
            else:
                return self._results(response, items, what)
            finally:
                self.limiter.release()
                with self._count_lock:
                    self.seconds_in_flight += time.monotonic() - sent
            self._sleep(delay)
        raise AssertionError("unreachable")

    def _backoff(self, error: TransientError, attempt: int) -> float:
        """Intuit: after a 429, wait a minute (a window, on a scaled clock) before retrying."""
        window = float(self._gateway.limiter.window_seconds)
        if isinstance(error, ThrottledError):
            return window
        return min(window, 0.5 * 2.0**attempt)

    @staticmethod
    def _results(response: Any, items: Sequence[BatchItem], what: str) -> list[BatchResult]:
        answers = response.get("BatchItemResponse") if isinstance(response, dict) else None
        by_bid: dict[str, JsonDict] = {}
        for answer in answers if isinstance(answers, list) else []:
            if isinstance(answer, dict):
                by_bid[str(answer.get("bId"))] = answer
        results: list[BatchResult] = []
        for index, item in enumerate(items):
            answer = by_bid.get(str(index))
            if answer is None:
                results.append(
                    UpstreamUnavailableError(f"QBO {what}: no answer for an item", code="shape")
                )
            elif "Fault" in answer:
                results.append(_item_error(answer["Fault"], what))
            elif isinstance(answer.get(item.entity), dict):
                results.append(answer[item.entity])
            else:
                results.append(
                    UpstreamUnavailableError(
                        f"QBO {what} answered without a {item.entity}", code="shape"
                    )
                )
        return results
