"""``stripe-qbo-sync backfill --since DATE [--until DATE] [--types ...]``: import Stripe history
into QBO. Every customer, product, invoice, invoice payment, charge, refund, credit note, dispute
and payout created in the range is listed from Stripe (every page) and synced by the worker's
own code, in that order; creates go to QBO in batches under Intuit's batch limits.

The run is a row in the runs table (sync_runs_current), checkpointed after every page: after a
crash, or Ctrl-C (which stops cleanly once the pages in flight are done), ``--run RUN_ID``
resumes where it stopped. Running a range again is harmless: what is linked is skipped.

In-process with your settings (production: SYNC_WAREHOUSE=bigquery, Secret Manager...; locally
the defaults, which need the fake Stripe and QBO answering), or ``--url`` to start the deployed
backfill function, which continues itself until the run is done.
"""

from __future__ import annotations

import argparse
import json
import signal
import threading
from typing import Any

from shared.cli import output
from shared.cli.args import moment
from shared.cli.command import EXIT_FAILED, EXIT_OK, Command, CommandError, UsageError

TYPES_HELP = (
    "comma-separated, some of: customer, product, invoice, invoice_payment, charge, refund, "
    "credit_note, dispute, payout (default: all)"
)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--since", type=moment, help="objects created at or after (ISO 8601)")
    parser.add_argument("--until", type=moment, help="objects created at or before (default: now)")
    parser.add_argument("--types", default="", metavar="TYPE,TYPE", help=TYPES_HELP)
    parser.add_argument("--run", dest="run_id", metavar="RUN_ID", help="resume this run")
    parser.add_argument("--dry-run", action="store_true", help="count what the range holds")
    parser.add_argument("--url", help="the deployed backfill function's URL (else in-process)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def request_body(args: argparse.Namespace) -> dict[str, Any]:
    if args.since is None and args.run_id is None:
        raise UsageError("say --since DATE, or --run RUN_ID to resume a run")
    types = [t.strip() for t in args.types.split(",") if t.strip()]
    return {
        "since": args.since.isoformat() if args.since else None,
        "until": args.until.isoformat() if args.until else None,
        "types": types or None,
        "run_id": args.run_id,
        "dry_run": args.dry_run,
        **({"tenant_id": args.tenant} if getattr(args, "tenant", None) else {}),
    }


def _over_http(url: str, body: dict[str, Any]) -> dict[str, Any]:
    from shared.cli.commands.replay import _over_http as post

    return post(url, body)


class _Display:
    """A progress bar with the run's counts and the time left, on stderr."""

    def __init__(self) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[counts]}"),
            TimeElapsedColumn(),
            TextColumn("left"),
            TimeRemainingColumn(),
            console=output.err(),
        )
        self.task = self.bar.add_task("backfill", total=None, counts="")

    def update(self, progress: Any) -> None:
        counts = progress.counts
        self.bar.update(
            self.task,
            description=f"backfill {progress.run_id} {progress.object_type}",
            completed=progress.done,
            total=progress.total,
            counts=f"created {counts.created} skipped {counts.skipped} failed {counts.failed}",
        )


def _in_process(body: dict[str, Any]) -> dict[str, Any]:
    from shared import bootstrap
    from shared.cli.local_drain import ensure_services, is_local_queue
    from shared.services.backfill import backfill_request_from_json

    request = backfill_request_from_json(body)
    request.check()
    if is_local_queue():
        ensure_services()
    stopping = threading.Event()

    def interrupt(signum: int, frame: Any) -> None:
        if stopping.is_set():
            raise KeyboardInterrupt
        stopping.set()
        output.note("stopping after the pages in flight (Ctrl-C again to abort)")

    with bootstrap.backfill() as use_case:
        if request.dry_run:
            return {"dry_run": True, "objects": use_case.plan(request)}
        display = _Display()
        previous = signal.signal(signal.SIGINT, interrupt)
        try:
            with display.bar:
                run = use_case.run(request, progress=display.update, stop=stopping.is_set)
        finally:
            signal.signal(signal.SIGINT, previous)
    counts = run.counts
    return {
        "run_id": run.run_id,
        "status": run.status,
        **counts.columns(),
        "duration_seconds": round(run.duration_seconds, 1),
        "detail": run.detail,
    }


def run(args: argparse.Namespace) -> int:
    body = request_body(args)
    result = _over_http(args.url, body) if args.url else _in_process(body)
    if args.json:
        output.out().print_json(json.dumps(result))
    elif result.get("dry_run"):
        objects = result.get("objects") or {k: v for k, v in result.items() if k != "dry_run"}
        rows = [(kind, n) for kind, n in objects.items()]
        output.show(output.table("Objects in the range", ["type", ">objects"], rows))
    else:
        facts = [(k, "" if v is None else str(v)) for k, v in result.items()]
        output.show(output.table(f"Backfill {result['run_id']}", ["", ">value"], facts))
        if result.get("status") == "RUNNING":
            output.note(f"resume with: stripe-qbo-sync backfill --run {result['run_id']}")
    if result.get("status") in ("FAILED", "PARTIAL"):
        return EXIT_FAILED
    return EXIT_OK


COMMAND = Command(
    name="backfill",
    summary="import Stripe history (list APIs, a created range) into QBO, resumable",
    description=__doc__ or "",
    configure=configure,
    run=run,
    tenant_scoped=True,
)

__all__ = ["COMMAND", "CommandError"]
