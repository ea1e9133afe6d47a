"""``stripe-qbo-sync statement --settlement ID --out FILE.pdf``: render a settlement statement.

The settlement is read from the warehouse (as invoiced, when the poll has invoiced it; otherwise
as a draft preview). `stripe-qbo-sync demo` leaves a warehouse with the sample settlements.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from shared.cli import output
from shared.cli.command import EXIT_OK, Command, UsageError
from shared.cli.warehouse import add_warehouse_option


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--settlement", required=True, help="the ledger settlement id")
    parser.add_argument(
        "--out", required=True, type=Path, metavar="FILE.pdf", help="the PDF file to write"
    )
    add_warehouse_option(parser)


def _render(warehouse_file: Path | None, settlement_id: str) -> bytes | None:
    from shared.cli.warehouse import open_warehouse
    from shared.config import get_settings
    from shared.errors import NotFoundError
    from shared.statements.store import StatementStore

    warehouse = open_warehouse(warehouse_file)
    store = StatementStore(warehouse, tax_rates=get_settings().tax_rates)
    try:
        return store.pdf_for_settlement(settlement_id).content
    except NotFoundError:
        return None


def run(args: argparse.Namespace) -> int:
    content = _render(args.warehouse, args.settlement)
    if content is None:
        raise UsageError(f"no settlement {args.settlement!r} in the warehouse")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(content)
    output.note(f"wrote {args.out} ({len(content):,} bytes)")
    return EXIT_OK


COMMAND = Command(
    name="statement",
    summary="render a settlement's statement PDF",
    description=__doc__ or "",
    configure=configure,
    run=run,
    tenant_scoped=True,
)
