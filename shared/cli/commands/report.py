"""``stripe-qbo-sync report --out DIR``: the reconciliation report as a PDF.

Reads the settings' warehouse (BigQuery with SYNC_WAREHOUSE=bigquery: the deployed data) or the
DuckDB file given with --warehouse: payouts against deposits per currency, open findings, failed
and pending syncs, sync lag and success by day. A warehouse that does not exist, or in which no
reconcile has run yet, is refused (exit 2): there would be nothing to report, and an empty
report would read as "Stripe and QuickBooks agree".
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from shared.cli import output
from shared.cli.command import EXIT_OK, Command, UsageError
from shared.cli.warehouse import add_warehouse_option, describe, open_warehouse

if TYPE_CHECKING:
    from shared.reports.data import ReportData

REPORT_NAME = "reconciliation_report.pdf"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out", type=Path, default=Path(), metavar="DIR", help=f"directory for {REPORT_NAME}"
    )
    add_warehouse_option(parser)


def write_report(warehouse_file: Path | None, out_dir: Path) -> tuple[Path, ReportData]:
    """Render the report of a warehouse into ``out_dir``; the PDF's path and the report data."""
    from datetime import UTC, datetime

    from shared.reports.data import load_report_data, reconcile_runs
    from shared.reports.pdf import render_report

    warehouse = open_warehouse(warehouse_file)
    if reconcile_runs(warehouse) == 0:
        raise UsageError(
            f"no reconcile has run in {describe(warehouse_file)}: nothing was compared yet, so "
            "there is nothing to report (run the reconcile function, or locally "
            "`stripe-qbo-sync reconcile`)"
        )
    data = load_report_data(warehouse, datetime.now(UTC))
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / REPORT_NAME
    path.write_bytes(render_report(data))
    return path, data


def run(args: argparse.Namespace) -> int:
    path, data = write_report(args.warehouse, args.out)
    severities = Counter(f.severity for f in data.findings)
    rows = [
        ("Payouts reconciled", f"{len(data.payouts) - data.mismatched} / {len(data.payouts)}"),
        ("Open findings", ", ".join(f"{n} {s}" for s, n in sorted(severities.items())) or "0"),
        ("Failed syncs (objects)", data.failed_objects),
        ("Pending syncs (objects)", data.pending),
    ]
    output.show(output.table(None, ["Reconciliation report", ">"], rows))
    output.note(f"wrote {path}")
    return EXIT_OK


COMMAND = Command(
    name="report",
    summary="write the reconciliation report PDF from the warehouse",
    description=__doc__ or "",
    configure=configure,
    run=run,
    tenant_scoped=True,
)
