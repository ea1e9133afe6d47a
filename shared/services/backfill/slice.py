"""One slice of a backfill run: the pages it lists, the objects it syncs, its counts."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from shared.errors import SyncError, TransientError
from shared.ports import JsonDict, StripePage
from shared.services.backfill.request import sync_target
from shared.services.records import Outcome
from shared.services.runs import Run, RunCounts
from shared.services.sync_object import SyncRequest, sync_object

if TYPE_CHECKING:
    from shared.services.backfill.engine import BackfillDeps


@dataclass(frozen=True)
class BackfillProgress:
    run_id: str
    object_type: str
    done: int  # objects finished in this slice
    total: int | None  # objects this slice will see, once counted
    counts: RunCounts
    seconds: float  # of this slice


@dataclass
class _Page:
    cursor: str | None
    futures: list[Future[Outcome]] = field(default_factory=list)


@dataclass
class _Listed:
    """One listed object and how to sync it."""

    object_type: str
    obj: JsonDict
    listed_at: float
    heal: bool


class Slice:
    def __init__(
        self,
        deps: BackfillDeps,
        run: Run,
        *,
        resumed: bool,
        progress: Callable[[BackfillProgress], None] | None,
    ) -> None:
        self.deps = deps
        self.run = run
        self.resumed = resumed
        self._progress = progress
        self._lock = threading.Lock()
        self._targets: set[tuple[str, str]] = set()
        self._done = 0
        self._total: int | None = None
        self._started = time.monotonic()
        self._base = replace(run.counts)
        self._base_seconds = run.duration_seconds
        self._calls_before = deps.calls()

    # --- counts -------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Bring the run's call counts and duration up to now."""
        qbo, stripe = self.deps.calls()
        with self._lock:
            counts = self.run.counts
            counts.qbo_calls = self._base.qbo_calls + qbo - self._calls_before[0]
            counts.stripe_calls = self._base.stripe_calls + stripe - self._calls_before[1]
            self.run.duration_seconds = self._base_seconds + time.monotonic() - self._started

    def _report(self, object_type: str) -> None:
        if self._progress is None:
            return
        self.refresh()
        with self._lock:
            snapshot = replace(self.run.counts)
            done, total = self._done, self._total
            seconds = time.monotonic() - self._started
        self._progress(
            BackfillProgress(self.run.run_id, object_type, done, total, snapshot, seconds)
        )

    def _tally(self, outcome: Outcome) -> None:
        with self._lock:
            counts = self.run.counts
            if outcome == "COMPLETED":
                counts.created += 1
            elif outcome == "SKIPPED":
                counts.skipped += 1
            else:
                counts.failed += 1

    # --- listing ------------------------------------------------------------------------------

    def _filters(self) -> JsonDict:
        params = self.run.params
        return {"created": {"gte": params["since"], "lte": params["until"]}}

    def _list(self, object_type: str, cursor: str | None) -> StripePage:
        for attempt in range(self.deps.retries + 1):
            try:
                return self.deps.stripe.list_page(
                    object_type, self._filters(), starting_after=cursor, limit=self.deps.page_size
                )
            except TransientError:
                if attempt == self.deps.retries:
                    raise
                self.deps.sleep(2.0**attempt)
        raise AssertionError("unreachable")

    def start_counting(self) -> None:
        """In the background: how many objects this slice will list (for the time left)."""
        threading.Thread(target=self._count, daemon=True, name="backfill-count").start()

    def _count(self) -> None:
        types: list[str] = list(self.run.params["types"])
        checkpoint = self.run.checkpoint or {"type": types[0], "after": None}
        total = 0
        try:
            for object_type in types[types.index(checkpoint["type"]) :]:
                cursor = checkpoint["after"] if object_type == checkpoint["type"] else None
                while True:
                    page = self._list(object_type, cursor)
                    total += len(page.objects)
                    if not page.has_more or not page.objects:
                        break
                    cursor = str(page.objects[-1]["id"])
        except SyncError:
            return  # no estimate; the run itself reports listing failures
        with self._lock:
            self._total = total

    # --- the pages ----------------------------------------------------------------------------

    def all_types(self, pool: ThreadPoolExecutor, stop: Callable[[], bool]) -> bool:
        """Every type from the checkpoint on; False if ``stop`` ended it early."""
        run = self.run
        self.opening()
        types: list[str] = list(run.params["types"])
        checkpoint = run.checkpoint or {"type": types[0], "after": None, "clean": True}
        first = types.index(checkpoint["type"])
        clean = checkpoint.get("clean", True) or not self.resumed
        uncertain = 0 if clean else self.deps.window_pages
        for index in range(first, len(types)):
            object_type = types[index]
            cursor = checkpoint["after"] if index == first else None
            if not self._one_type(object_type, cursor, uncertain, pool, stop):
                return False
            uncertain = 0
            if index + 1 < len(types):
                # the next type's pages start right away: not clean until the slice stops
                run.checkpoint = {"type": types[index + 1], "after": None, "clean": False}
                self.deps.runs.record(run)
        return True

    def _one_type(
        self,
        object_type: str,
        cursor: str | None,
        uncertain: int,
        pool: ThreadPoolExecutor,
        stop: Callable[[], bool],
    ) -> bool:
        """One type from ``cursor`` on; True when its list is done, False when stopped."""
        in_flight: deque[_Page] = deque()
        listing_done = stopping = False
        while True:
            while not (listing_done or stopping) and len(in_flight) < self.deps.window_pages:
                listed_at = self.deps.clock.now().timestamp()
                page = self._list(object_type, cursor)
                heal, uncertain = uncertain > 0, max(0, uncertain - 1)
                cursor = str(page.objects[-1]["id"]) if page.objects else cursor
                targets = [sync_target(object_type, obj) for obj in page.objects]
                self.deps.sync.links.prime([t[1] for t in targets if t is not None])
                work = _Page(cursor)
                for obj in page.objects:
                    listed = _Listed(object_type, obj, listed_at, heal)
                    work.futures.append(pool.submit(self._sync, listed))
                with self._lock:
                    self.run.counts.listed += len(page.objects)
                in_flight.append(work)
                listing_done = not page.has_more
                stopping = stop()
            if not in_flight:
                return listing_done
            oldest = in_flight.popleft()
            for future in oldest.futures:
                self._tally(future.result())
            self.deps.buffer.flush()
            self.refresh()
            stopping = stopping or stop()
            with self._lock:
                # clean: nothing was started past this page, nor will be by this slice
                self.run.checkpoint = {
                    "type": object_type,
                    "after": oldest.cursor,
                    "clean": stopping and not in_flight,
                }
            self.deps.runs.record(self.run)

    # --- one object ---------------------------------------------------------------------------

    def _sync(self, listed: _Listed) -> Outcome:
        try:
            return self._sync_target(listed)
        finally:
            with self._lock:
                self._done += 1
            self._report(listed.object_type)

    def _sync_target(self, listed: _Listed) -> Outcome:
        target = sync_target(listed.object_type, listed.obj)
        if target is None:
            return "SKIPPED"
        with self._lock:
            if target in self._targets:
                return "SKIPPED"  # synced already in this slice (an invoice of its payment)
            self._targets.add(target)
        prime: Any = getattr(self.deps.stripe, "prime", None)
        if callable(prime) and target[0] == listed.object_type:
            prime(listed.object_type, listed.obj, listed.listed_at)
        return self._run(target, listed.listed_at, heal=listed.heal)

    def opening(self) -> None:
        """With a cutover date: what clearing held at the cutover, in every currency, first
        (posted once; a later run finds it done). Customers' opening balances follow with
        their invoices and credit notes."""
        if self.deps.sync.books.cutover_date is None:
            return
        self._tally(self._run(("cutover", "all"), self.deps.clock.now().timestamp(), heal=True))

    def _run(self, target: tuple[str, str], listed_at: float, *, heal: bool) -> Outcome:
        run_id = self.run.run_id
        request = SyncRequest(
            object_type=target[0],
            object_id=target[1],
            task_name=f"backfill-{run_id}-{target[0]}-{target[1]}",
            correlation_id=run_id,
            attempt=2 if heal else 1,
            fresh_after=listed_at,
        )
        for attempt in range(self.deps.retries + 1):
            try:
                return sync_object(request, self.deps.sync).outcome
            except TransientError:
                if attempt == self.deps.retries:
                    return "RETRY"  # counted failed; a later run of the range retries it
                self.deps.sleep(min(30.0, 2.0**attempt))
                request = replace(request, attempt=request.attempt + 1)
        raise AssertionError("unreachable")
