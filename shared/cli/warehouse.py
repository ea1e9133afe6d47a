"""The warehouse a command reads: ``--warehouse FILE.duckdb``, or the one the settings name.

A DuckDB file that does not exist is refused rather than opened: opening creates an empty one,
and an empty warehouse answers every question with nothing, which reads like good news.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from shared.cli.command import UsageError
from shared.ports import Warehouse

WAREHOUSE_HELP = (
    "a local DuckDB warehouse file (default: the settings' warehouse: SYNC_WAREHOUSE=duckdb "
    "reads SYNC_DUCKDB_PATH or <SYNC_STATE_DIR>/warehouse.duckdb, bigquery reads "
    "SYNC_GCP_PROJECT.SYNC_BQ_DATASET)"
)


def add_warehouse_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--warehouse", type=Path, metavar="FILE", help=WAREHOUSE_HELP)


def describe(path: Path | None) -> str:
    """Where the command reads, in words: the file, or the BigQuery dataset."""
    from shared.config import get_settings

    settings = get_settings()
    if path is None and settings.warehouse == "bigquery":
        return f"BigQuery dataset {settings.gcp_project}.{settings.bq_dataset}"
    return str(path if path is not None else settings.resolved_duckdb_path)


def open_warehouse(
    path: Path | None, *, option: bool = True, every_tenant: bool = False
) -> Warehouse:
    """The warehouse to read, as the current tenant sees it (``every_tenant``: all rows); a
    DuckDB file must exist (UsageError otherwise). ``option``: the command has ``--warehouse``
    (the error says so)."""
    from shared import bootstrap
    from shared.config import get_settings

    settings = get_settings()
    if path is None and settings.warehouse == "bigquery":
        return bootstrap.raw_warehouse() if every_tenant else bootstrap.warehouse()
    file = path if path is not None else Path(settings.resolved_duckdb_path)
    if str(file) != ":memory:" and not file.is_file():
        where = (
            "name one with --warehouse"
            if option
            else "point SYNC_DUCKDB_PATH (or SYNC_STATE_DIR) at one, or use the production "
            "settings (SYNC_WAREHOUSE=bigquery)"
        )
        raise UsageError(
            f"no warehouse at {file}: {where}; `stripe-qbo-sync demo` and `run` make local ones"
        )
    if path is None:
        return bootstrap.raw_warehouse() if every_tenant else bootstrap.warehouse()
    from shared.adapters.duckdb_warehouse import DuckDbWarehouse
    from shared.tenancy.scope import TenantWarehouse

    chosen = DuckDbWarehouse(str(file))
    return chosen if every_tenant else TenantWarehouse(chosen, bootstrap.current_tenant_id())
