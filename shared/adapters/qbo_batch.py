"""Backfill through QBO's batch endpoint: up to 30 creates per request, paced per realm."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from quickbooks import QuickBooks
from quickbooks.exceptions import QuickbooksException

from shared.adapters.qbo_errors import translate_quickbooks
from shared.adapters.qbo_gateway import QuickBooksGateway
from shared.adapters.qbo_json import dumps
from shared.adapters.rate_limiter import RateLimiter
from shared.errors import SyncError, UpstreamUnavailableError
from shared.ports import JsonDict

BATCH_MAX_ITEMS = 30  # Intuit's recommended maximum payloads per batch request
BATCH_REQUESTS_PER_MINUTE = 40  # per realm and app
BATCH_REQUEST_ID_MAX = 36  # a batch's requestid is shorter than a single request's 50

BatchResult = JsonDict | SyncError


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
    """Creates many entities of one type through ``POST /batch``, composed on the gateway.

    Each batch passes the batch limiter (40 per minute per realm) and then the gateway's own
    call path: its per-realm limiter (10 at once, 500 per minute), token refresh on 401 and
    error translation. Results come back in input order, one per item: the created entity, or
    the SyncError of that item (a 6240/6140 duplicate is the caller's to heal by lookup). When
    a whole batch fails (throttled, network), every item of it carries that error.
    """

    def __init__(
        self,
        gateway: QuickBooksGateway,
        limiter: RateLimiter | None = None,
        *,
        parallel: int = 4,
        batch_size: int = BATCH_MAX_ITEMS,
    ) -> None:
        if not 1 <= batch_size <= BATCH_MAX_ITEMS or parallel < 1:
            raise ValueError(f"batch_size must be 1..{BATCH_MAX_ITEMS}, parallel at least 1")
        self._gateway = gateway
        self.limiter = limiter or RateLimiter(
            BATCH_REQUESTS_PER_MINUTE,
            gateway.limiter.max_concurrent,
            window_seconds=gateway.limiter.window_seconds,
        )
        self._parallel = parallel
        self._batch_size = batch_size
        self.batches_sent = 0
        self._count_lock = threading.Lock()

    def create_many(self, entity: str, items: Sequence[tuple[str, JsonDict]]) -> list[BatchResult]:
        """``items`` are (key, document); the key is the item's stable id (as for a requestid)."""
        if entity not in QuickBooks._BUSINESS_OBJECTS:
            raise ValueError(f"{entity!r} is not a QBO entity name")
        size = self._batch_size
        chunks = [items[i : i + size] for i in range(0, len(items), size)]
        if self._parallel == 1 or len(chunks) == 1:
            done = [self._send(entity, chunk) for chunk in chunks]
        else:
            with ThreadPoolExecutor(min(self._parallel, len(chunks))) as pool:
                done = list(pool.map(lambda chunk: self._send(entity, chunk), chunks))
        return [result for chunk_results in done for result in chunk_results]

    def _send(self, entity: str, chunk: Sequence[tuple[str, JsonDict]]) -> list[BatchResult]:
        what = f"batch create {entity}"
        request_id = batch_request_id([key for key, _ in chunk])
        body = dumps(
            {
                "BatchItemRequest": [
                    {"bId": str(index), "operation": "create", entity: document}
                    for index, (_, document) in enumerate(chunk)
                ]
            }
        )

        def send(qb: QuickBooks) -> Any:
            url = f"{qb.api_url}/company/{qb.company_id}/batch"
            return qb.post(url, body, request_id=request_id)

        try:
            with self.limiter.slot():
                with self._count_lock:
                    self.batches_sent += 1
                response = self._gateway._call(what, send)
        except SyncError as error:
            return [error] * len(chunk)
        return self._results(response, entity, len(chunk), what)

    @staticmethod
    def _results(response: Any, entity: str, count: int, what: str) -> list[BatchResult]:
        answers = response.get("BatchItemResponse") if isinstance(response, dict) else None
        by_bid: dict[str, JsonDict] = {}
        for answer in answers if isinstance(answers, list) else []:
            if isinstance(answer, dict):
                by_bid[str(answer.get("bId"))] = answer
        results: list[BatchResult] = []
        for index in range(count):
            answer = by_bid.get(str(index))
            if answer is None:
                results.append(
                    UpstreamUnavailableError(f"QBO {what}: no answer for an item", code="shape")
                )
            elif "Fault" in answer:
                results.append(_item_error(answer["Fault"], what))
            elif isinstance(answer.get(entity), dict):
                results.append(answer[entity])
            else:
                results.append(
                    UpstreamUnavailableError(
                        f"QBO {what} answered without a {entity}", code="shape"
                    )
                )
        return results
