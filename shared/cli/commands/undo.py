"""``stripe-qbo-sync undo --run RUN_ID`` (or ``--since/--until``): take back what one backfill or
replay run (or every run in a time range) wrote to QBO.

First it lists what it would do, newest first: transactions deleted (or voided where QBO refuses
the delete), customers and items made inactive (QBO never deletes a name), entries adopted from
the existing books only unlinked. Nothing changes without ``--yes``. Undone links are appended
as UNDONE, so a later backfill or replay posts those objects again. The undo is itself a run
(runs table). Uses your settings, as every production command does.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from shared.cli import output
from shared.cli.args import moment
from shared.cli.command import EXIT_FAILED, EXIT_OK, Command, UsageError


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--run", dest="run_id", metavar="RUN_ID", help="a backfill or replay run")
    parser.add_argument("--since", type=moment, help="or: what any run linked at or after")
    parser.add_argument("--until", type=moment, help="... and at or before (default: now)")
    parser.add_argument("--yes", action="store_true", help="do it (without: list only)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def run(args: argparse.Namespace) -> int:
    from shared import bootstrap
    from shared.cli.warehouse import open_warehouse
    from shared.services.undo import UndoRequest

    if args.run_id is None and args.since is None:
        raise UsageError("say --run RUN_ID, or --since DATE [--until DATE]")
    request = UndoRequest(
        run_id=args.run_id, since=args.since, until=args.until, dry_run=not args.yes
    )
    request.check()
    open_warehouse(None)  # refuses a local warehouse that does not exist
    use_case = bootstrap.undo()
    plan = use_case.run(UndoRequest(request.run_id, request.since, request.until, dry_run=True))
    rows = [item.as_row() for item in plan.items]
    result: dict[str, Any] = {"dry_run": request.dry_run, "items": rows}
    if not request.dry_run and plan.items:
        with output.progress("undo") as progress:
            report = use_case.run(request, progress=progress)
        rows = [item.as_row() for item in report.items]
        assert report.run is not None
        counts = report.run.counts
        result = {
            "run_id": report.run.run_id,
            "status": report.run.status,
            "undone": counts.created,
            "kept": counts.skipped,
            "failed": counts.failed,
            "items": rows,
        }
    if args.json:
        output.out().print_json(json.dumps(result))
    else:
        title = "Would undo (newest first)" if request.dry_run else "Undone (newest first)"
        columns = ["entity", ">qbo id", "stripe", "action", "outcome", "reason"]
        table_rows = [[r[c.removeprefix(">").replace(" ", "_")] for c in columns] for r in rows]
        output.show(output.table(title, columns, table_rows))
        if request.dry_run and rows:
            output.note("nothing changed; add --yes to do it")
        elif not rows:
            output.note("nothing to undo")
    return EXIT_FAILED if result.get("status") in ("FAILED", "PARTIAL") else EXIT_OK


COMMAND = Command(
    name="undo",
    summary="take back what a backfill or replay run wrote to QBO (lists first; --yes does it)",
    description=__doc__ or "",
    configure=configure,
    run=run,
    tenant_scoped=True,
)
