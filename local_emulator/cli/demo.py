"""``stripe-qbo-sync demo``: the product in one minute, on the embedded stack.

Stripe invoices, payments (partial and out of band), a refund, a credit note, a dispute and a
payout flow through the signed webhook, the queue and the worker into the fake QBO under faults;
a ledger settlement is billed with its statement attached; the daily reconcile runs. Prints what
is on each side, writes the reconciliation report PDF, and says where the warehouse is.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from local_emulator.cli.run import add_company_options
from shared.cli.args import count
from shared.cli.command import Command


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("out/demo"),
        metavar="DIR",
        help="where the report, the books and the warehouse go",
    )
    parser.add_argument("--seed", type=count, default=7, help="seed of the data and the faults")
    add_company_options(parser)


def run(args: argparse.Namespace) -> int:
    from local_emulator.harness.demo import run_demo

    return run_demo(args.out, seed=args.seed, company=args.company, books=args.books)


COMMAND = Command(
    name="demo",
    summary="the product end to end on the embedded stack, with a report",
    description=__doc__ or "",
    configure=configure,
    run=run,
    scope="local",
)
