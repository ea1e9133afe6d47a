"""``python -m local_emulator report --out DIR``: the reconciliation report as a PDF.

By default it reads the configured warehouse (DuckDB locally; BigQuery with
``SYNC_WAREHOUSE=bigquery``: the deployed data). ``--generate SEED`` first runs a generated
month with payouts through the local stack (faults on), lets a person edit one synced invoice in
the fake QBO, and runs reconcile, so the report has something to show.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from shared import bootstrap
from shared.adapters.duckdb_warehouse import DuckDbWarehouse
from shared.ports import Warehouse
from shared.reports.data import load_report_data
from shared.reports.pdf import render_report

FAULTS = "qbo_429=0.1,qbo_5xx=0.05,qbo_drop_response=0.05,duplicate=0.2"
REPORT_NAME = "reconciliation_report.pdf"


def write_report(warehouse: Warehouse, out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    data = load_report_data(warehouse, datetime.now(UTC))
    path = out_dir / REPORT_NAME
    path.write_bytes(render_report(data))
    return path


def generate(seed: int, out_dir: Path) -> Path:
    """Run a month with payouts through the local stack and reconcile; the warehouse path."""
    from local_emulator.generator import generate_month
    from local_emulator.generator.payouts import add_payouts
    from local_emulator.harness.scenario import Scenario, parse_faults
    from local_emulator.harness.stack import LocalStack

    lines = add_payouts(generate_month(seed, customers=10, invoices=40), seed)
    scenario = Scenario(
        events=[x for x in lines if x.get("object") == "event"],
        objects=[x for x in lines if x.get("object") != "event"],
    )
    state = out_dir / ".state"
    with LocalStack(state, seed=seed, faults=parse_faults(FAULTS)) as stack:
        for obj in scenario.seed_state():
            stack.fake_stripe.seed_object(obj)
        stack.deliverer().deliver(scenario.events)
        stack.queue.drain()
        for knob in ("qbo_429", "qbo_5xx", "qbo_drop_response"):
            stack.fake_qbo.faults.set(knob, 0.0)  # a calm QBO for reconcile
        invoices = [d for d in stack.fake_qbo.state_json().get("Invoice", []) if d["Balance"]]
        if invoices:  # a person edits a synced invoice in the QBO UI
            doc = invoices[0]
            edit = {"Id": doc["Id"], "SyncToken": doc["SyncToken"], "sparse": True}
            stack.fake_qbo.update("Invoice", {**edit, "CustomerMemo": {"value": "Edited"}})
        since = datetime(2025, 12, 1, tzinfo=UTC)
        bootstrap.reconcile().run(since)
    return state / "warehouse.duckdb"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local_emulator report")
    parser.add_argument("--out", type=Path, required=True, help="directory for the PDF")
    parser.add_argument("--warehouse", type=Path, help="a DuckDB file (default: the configured)")
    parser.add_argument("--generate", type=int, metavar="SEED", help="run a month first")
    args = parser.parse_args(argv)
    warehouse: Warehouse
    if args.generate is not None:
        warehouse = DuckDbWarehouse(str(generate(args.generate, args.out)))
    elif args.warehouse is not None:
        warehouse = DuckDbWarehouse(str(args.warehouse))
    else:
        warehouse = bootstrap.warehouse()
    path = write_report(warehouse, args.out)
    print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
