"""``stripe-qbo-sync query "SQL"``: run BigQuery-dialect SQL on the warehouse and print a table.

The settings' warehouse (BigQuery with SYNC_WAREHOUSE=bigquery) or the DuckDB file given with
--warehouse; on DuckDB the SQL is translated from BigQuery's dialect as the views are. Tables
and views are named without a dataset (e.g. analyst_failed_syncs). Several statements separated
by ";" run in order; the rows of the last one are printed.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

from shared.cli import output
from shared.cli.command import EXIT_OK, Command, UsageError
from shared.cli.warehouse import add_warehouse_option

FORMATS = ("table", "csv", "json")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("sql", nargs="?", help="the SQL (BigQuery dialect); or use --file")
    parser.add_argument("--file", type=Path, metavar="FILE.sql", help="read the SQL from a file")
    parser.add_argument("--format", choices=FORMATS, default="table", help="how to print rows")
    add_warehouse_option(parser)
    parser.add_argument("--tenant", metavar="TENANT", help="only this tenant's rows")


def _cell(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")  # NUMERIC's 9 places without trailing zeros
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, default=str)
    return value


def _numeric(values: Any) -> bool:
    """A column of numbers (and NULLs): right-aligned."""
    seen = [v for v in values if v is not None]
    return bool(seen) and all(
        isinstance(v, int | float | Decimal) and not isinstance(v, bool) for v in seen
    )


def _sql(args: argparse.Namespace) -> str:
    if args.file is not None and args.sql:
        raise UsageError("give the SQL or --file, not both")
    if args.file is not None:
        try:
            return str(args.file.read_text(encoding="utf-8"))
        except OSError as error:
            raise UsageError(f"cannot read {args.file}: {error.strerror}") from None
    if not args.sql or not args.sql.strip():
        raise UsageError('give the SQL to run, e.g. stripe-qbo-sync query "SELECT 1"')
    return str(args.sql)


def run(args: argparse.Namespace) -> int:
    from shared.cli.warehouse import open_warehouse
    from shared.errors import PermanentError

    sql = _sql(args)
    from shared.tenancy.scope import TenantWarehouse

    warehouse = open_warehouse(args.warehouse, every_tenant=True)
    if args.tenant:  # one tenant's rows (without: every tenant's, a tenant_id column tells)
        warehouse = TenantWarehouse(warehouse, args.tenant)
    try:
        rows = warehouse.query(sql)
    except PermanentError as error:  # a syntax error, an unknown table or column
        raise UsageError(f"the warehouse refused the query: {error.message}") from None
    columns = list(rows[0]) if rows else []
    values = [[_cell(row[c]) for c in columns] for row in rows]
    if args.format == "json":
        print(json.dumps([dict(zip(columns, v, strict=True)) for v in values], default=str))
    elif args.format == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        writer.writerows(values)
    else:
        numeric = [_numeric(row[c] for row in rows) for c in columns]
        heads = [f">{c}" if n else c for c, n in zip(columns, numeric, strict=True)]
        output.show(output.table(None, heads, values) if columns else "(no rows)")
        output.note(f"{len(rows)} row{'s' if len(rows) != 1 else ''}")
    return EXIT_OK


COMMAND = Command(
    name="query",
    summary="run BigQuery-dialect SQL on the warehouse and print the rows",
    description=__doc__ or "",
    configure=configure,
    run=run,
)
