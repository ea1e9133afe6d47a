"""A backfill as a Cloud Function: work one slice (a function call has a deadline), then hand
the run on to the next call through a Cloud Task to the same function, until it is done."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from shared.ports import JsonDict, Task, TaskQueue
from shared.services.backfill.engine import Backfill
from shared.services.backfill.request import BackfillRequest
from shared.services.runs import Run


@dataclass(frozen=True)
class SliceResult:
    run: Run
    continued_by: str | None  # the task that continues the run, if it is not finished

    def as_dict(self) -> JsonDict:
        counts = self.run.counts
        return {
            "run_id": self.run.run_id,
            "status": self.run.status,
            "checkpoint": self.run.checkpoint,
            **counts.columns(),
            "duration_seconds": round(self.run.duration_seconds, 1),
            "continued_by": self.continued_by,
        }


def run_slice(
    backfill: Backfill,
    request: BackfillRequest,
    queue: TaskQueue,
    *,
    slice_seconds: float,
    url: str,
    monotonic: Callable[[], float] = time.monotonic,
) -> SliceResult:
    """Run until done or ``slice_seconds`` have passed; then enqueue the continuation (named by
    the run and its checkpoint, so a retried call does not continue it twice)."""
    deadline = monotonic() + slice_seconds
    run = backfill.run(request, stop=lambda: monotonic() >= deadline)
    if run.finished:
        return SliceResult(run, None)
    checkpoint = run.checkpoint or {}
    name = f"backfill-{run.run_id}-{checkpoint.get('type')}-{checkpoint.get('after') or 'start'}"
    task = Task(name=name[:480], payload={"run_id": run.run_id}, url=url)
    queue.enqueue(task)
    return SliceResult(run, task.name)
