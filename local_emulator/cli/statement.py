"""``python -m local_emulator statement --settlement ID --out FILE.pdf``: render a statement.

The settlement is read from the local DuckDB warehouse (as invoiced, when the poll has invoiced
it; otherwise as a draft preview), or, for the built-in samples, from the sample fixtures.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from local_emulator.generator.settlements import SAMPLE_SETTLEMENT_IDS, seed_sample_settlements
from shared.adapters.duckdb_warehouse import DuckDbWarehouse
from shared.config import get_settings
from shared.errors import NotFoundError, SyncError
from shared.statements.store import StatementFile, StatementStore


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m local_emulator statement", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--settlement", required=True, help="settlement id")
    parser.add_argument("--out", required=True, type=Path, help="the PDF file to write")
    parser.add_argument("--duckdb", default=None, help="warehouse file (default: from settings)")
    return parser


def _from_warehouse(path: str, settlement_id: str) -> StatementFile | None:
    if path != ":memory:" and not Path(path).exists():
        return None
    warehouse = DuckDbWarehouse(path)
    try:
        return StatementStore(warehouse, tax_rates=get_settings().tax_rates).pdf_for_settlement(
            settlement_id
        )
    except NotFoundError:
        return None
    finally:
        warehouse.close()


def _from_samples(settlement_id: str) -> StatementFile | None:
    if settlement_id not in SAMPLE_SETTLEMENT_IDS:
        return None
    warehouse = DuckDbWarehouse(":memory:")
    try:
        seed_sample_settlements(warehouse)
        store = StatementStore(warehouse, tax_rates=get_settings().tax_rates)
        return store.pdf_for_settlement(settlement_id)
    finally:
        warehouse.close()


def main(argv: list[str]) -> int:
    if argv[:1] == ["statement"]:
        argv = argv[1:]
    args = _parser().parse_args(argv)
    path = args.duckdb or get_settings().resolved_duckdb_path
    try:
        try:
            statement = _from_warehouse(path, args.settlement)
        except SyncError as error:  # e.g. the file is locked by a running local stack
            if args.settlement not in SAMPLE_SETTLEMENT_IDS:
                raise
            print(f"warehouse unavailable ({error.code}); using the sample", file=sys.stderr)
            statement = None
        statement = statement or _from_samples(args.settlement)
    except SyncError as error:
        print(f"cannot render {args.settlement}: {error.code}: {error.message}", file=sys.stderr)
        return 1
    if statement is None:
        samples = ", ".join(SAMPLE_SETTLEMENT_IDS)
        print(f"no settlement {args.settlement} (samples: {samples})", file=sys.stderr)
        return 2
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(statement.content)
    print(f"wrote {args.out} ({len(statement.content)} bytes, {statement.filename})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
