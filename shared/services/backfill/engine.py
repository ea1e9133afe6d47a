"""Use case: backfill a ``created`` range from Stripe's list APIs through the worker's own code.

Each type is listed page by page (newest first, as Stripe lists), and every object on a page is
synced by ``sync_object``, many at once; in production its creates travel in QBO batches (the
QBO port the deps carry). A page is done when all its objects are: the links and log rows so far
are flushed, then a checkpoint (the type and the last id of the page) is appended to the run's
row. Pages ahead of the checkpoint may be in flight meanwhile, at most ``window_pages``.

A crash leaves the checkpoint of the last page done. Resuming the run lists from there; the
objects of the first ``window_pages`` pages may have had creates whose answers (and links) were
lost, so they are synced with ``heal_first``: looked up before created. A run that stopped
cleanly (a slice's deadline, Ctrl-C) says so in its checkpoint and resumes without lookups. A
second run over the same range finds every link and writes nothing.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from shared.errors import BadRequestError, SyncError
from shared.ports import Clock, StripeGateway
from shared.services.backfill.request import BackfillRequest
from shared.services.backfill.slice import BackfillProgress, Slice
from shared.services.runs import Run, RunLog, new_run_id
from shared.services.sync_object import SyncDeps

WINDOW_PAGES = 2
RETRIES = 5  # per object, each after the gateway's own retries of each request


@dataclass
class BackfillDeps:
    stripe: StripeGateway  # lists pages; ``prime`` (if it has one) shares what it listed
    sync: SyncDeps  # the worker's deps; their links and log write to ``buffer``
    buffer: Any  # a BufferedWarehouse: flush() appends what the syncs wrote
    runs: RunLog
    clock: Clock
    concurrency: int = 48
    page_size: int = 100
    window_pages: int = WINDOW_PAGES
    retries: int = RETRIES
    calls: Callable[[], tuple[int, int]] = lambda: (0, 0)  # (QBO, Stripe) requests so far
    sleep: Callable[[float], object] = time.sleep


Progress = Callable[[BackfillProgress], None]


class Backfill:
    def __init__(self, deps: BackfillDeps) -> None:
        self.deps = deps

    def run(
        self,
        request: BackfillRequest,
        *,
        progress: Progress | None = None,
        stop: Callable[[], bool] | None = None,
    ) -> Run:
        """Run (or resume) to the end, or until ``stop()`` says so (then the run stays
        RUNNING, cleanly checkpointed). TransientError from Stripe's lists propagates after the
        run is recorded FAILED (resumable)."""
        request.check()
        run, resumed = self._start(request)
        if run.finished:
            return run
        work = Slice(self.deps, run, resumed=resumed, progress=progress)
        work.start_counting()
        try:
            with ThreadPoolExecutor(self.deps.concurrency, thread_name_prefix="backfill") as pool:
                finished = work.all_types(pool, stop or (lambda: False))
        except BaseException as error:
            with contextlib.suppress(SyncError):
                self.deps.buffer.flush()
            work.refresh()
            run.status = "FAILED"
            run.detail = _detail(error)
            self.deps.runs.record(run)
            raise
        work.refresh()
        if finished:
            run.status = run.outcome()
            run.detail = None
        else:
            run.detail = "stopped: resume with the run id"
        self.deps.runs.record(run)
        return run

    def plan(self, request: BackfillRequest) -> dict[str, int]:
        """A dry run: how many objects of each type the range holds (lists, writes nothing)."""
        request.check()
        now = int(self.deps.clock.now().timestamp())
        since = int(request.since.timestamp()) if request.since else now
        until = int(request.until.timestamp()) if request.until else now
        created = {"created": {"gte": since, "lte": until}}
        found: dict[str, int] = {}
        for object_type in request.ordered_types():
            cursor, total = None, 0
            while True:
                page = self.deps.stripe.list_page(
                    object_type, created, starting_after=cursor, limit=self.deps.page_size
                )
                total += len(page.objects)
                if not page.has_more or not page.objects:
                    break
                cursor = str(page.objects[-1]["id"])
            found[object_type] = total
        return found

    def _start(self, request: BackfillRequest) -> tuple[Run, bool]:
        runs, clock = self.deps.runs, self.deps.clock
        if request.run_id is not None:
            found = runs.latest(request.run_id)
            if found is None or found.kind != "backfill":
                raise BadRequestError(f"no backfill run {request.run_id}", code="unknown_run")
            if found.finished and found.status != "FAILED":
                return found, True
            found.status, found.detail = "RUNNING", "resumed"
            runs.record(found)
            return found, True
        now = clock.now()
        since = request.since or now
        until = request.until or now
        types = request.ordered_types()
        run = Run(
            run_id=new_run_id(clock),
            kind="backfill",
            started_at=now,
            params={
                "since": int(since.timestamp()),
                "until": int(until.timestamp()),
                "types": list(types),
            },
            checkpoint={"type": types[0], "after": None, "clean": False},
        )
        runs.record(run)
        return run, False


def _detail(error: BaseException) -> str:
    if isinstance(error, SyncError):
        return f"{error.error_class}: {error.code or ''} {error.message}"[:300]
    return f"stopped by {type(error).__name__}"


__all__ = ["Backfill", "BackfillDeps", "BackfillProgress", "Progress"]
