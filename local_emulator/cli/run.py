"""``stripe-qbo-sync run --events FILE --out DIR``: deliver a scenario file through the local
stack (fake Stripe and QBO, signed webhooks, queue, worker) and write DIR/qbo.json, links.json
and summary.json. Exit 0 when every event was processed (permanent sync failures are listed in
the summary, not fatal); 2 on bad input.

With ``--tenants FILE`` (JSON: connected account -> QBO realm), every line of the events file
carries ``account``; each account is a fake Stripe account, each realm a fake QBO company, each
pair a tenant. Output: DIR/<realm>/qbo.json and links.json per realm, DIR/summary.json for all;
exit 0 only when every event was processed and each realm agrees with its own account.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from local_emulator.harness.scenario import (
    FaultSpec,
    Scenario,
    ScenarioError,
    load_scenario,
    parse_faults,
)
from shared.cli import output
from shared.cli.args import count, existing_file
from shared.cli.command import EXIT_FAILED, EXIT_OK, Command, UsageError

FAULTS_HELP = (
    "comma-separated name=probability (0..1); fake QBO: qbo_429, qbo_5xx, qbo_drop_response, "
    "qbo_timeout; delivery: duplicate, out_of_order; fake Stripe: stripe_429, stripe_5xx; and "
    "the switch qbo_requestid=on|off (off: the fake QBO ignores requestid). "
    "E.g. qbo_429=0.1,qbo_5xx=0.05,duplicate=0.2"
)


def add_run_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--events",
        required=True,
        type=existing_file,
        metavar="FILE.jsonl",
        help="JSON lines of Stripe events (and bare objects), in delivery order",
    )
    parser.add_argument(
        "--out",
        required=True,
        type=Path,
        metavar="DIR",
        help="directory for qbo.json, links.json, summary.json and .state/",
    )
    parser.add_argument("--faults", default="", metavar="SPEC", help=FAULTS_HELP)
    parser.add_argument("--seed", type=count, default=0, help="seed of the faults' dice")
    add_company_options(parser)


# The fake QBO's company profiles (local_emulator/fakes/qbo/company; a test keeps them in step)
COMPANIES = ("us", "us-ast", "ca", "uk", "au")


def add_company_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--company",
        choices=COMPANIES,
        default="us",
        help="the fake QBO company: us (manual sales tax), us-ast (automated sales tax), ca "
        "(GST/HST/PST/QST), uk (VAT), au (GST); its home currency is its own",
    )
    parser.add_argument(
        "--books",
        type=existing_file,
        default=None,
        metavar="FILE.toml",
        help='the books file (accounts, items, tax and product mapping; README "The books '
        'file"); default: local_emulator/profiles/<company>.books.toml when there is one',
    )


def configure(parser: argparse.ArgumentParser) -> None:
    add_run_options(parser)
    parser.add_argument(
        "--mode",
        choices=("webhooks", "backfill", "daily"),
        default="webhooks",
        help="webhooks: deliver the events; backfill: seed every object, deliver nothing, and "
        "backfill the whole range from the fake Stripe's lists; daily: deliver day by day, the "
        "fake Stripe holding each day's state (payouts paid before Stripe reconciles them)",
    )
    parser.add_argument(
        "--tenants",
        type=existing_file,
        metavar="FILE.json",
        help='several companies: {"acct_...": "<QBO realm id>", ...}; every events line '
        "carries account",
    )


def load(args: argparse.Namespace) -> tuple[Scenario, FaultSpec]:
    """The scenario and the fault spec, or a UsageError naming the bad line or knob."""
    try:
        return load_scenario(args.events), parse_faults(args.faults)
    except ScenarioError as error:
        raise UsageError(str(error)) from None


def show_summary(summary: dict[str, object], out_dir: Path) -> None:
    from local_emulator.harness.summary import summary_table

    output.show(summary_table(summary))
    output.note(
        f"wrote {out_dir}/qbo.json, links.json, summary.json; warehouse "
        f"{out_dir}/.state/warehouse.duckdb"
    )


def run(args: argparse.Namespace) -> int:
    from local_emulator.harness.runner import run_scenario

    scenario, faults = load(args)
    if args.tenants is not None:
        return _run_tenants(args, scenario, faults)
    result = run_scenario(
        scenario,
        args.out,
        faults=faults,
        seed=args.seed,
        progress=output.note,
        mode=args.mode,
        company=args.company,
        books=args.books,
    )
    show_summary(result.summary, args.out)
    return EXIT_OK if result.all_processed else EXIT_FAILED


def _run_tenants(args: argparse.Namespace, scenario: Scenario, faults: FaultSpec) -> int:
    from local_emulator.harness.summary import tenants_table
    from local_emulator.harness.tenants_run import load_tenants, run_tenants

    if args.mode != "webhooks":
        raise UsageError("--tenants runs deliver webhooks (--mode webhooks)")
    try:
        tenants = load_tenants(args.tenants)
        result = run_tenants(
            scenario, tenants, args.out, faults=faults, seed=args.seed, progress=output.note
        )
    except ScenarioError as error:
        raise UsageError(str(error)) from None
    output.show(tenants_table(result.summary))
    output.note(f"wrote {args.out}/<realm>/qbo.json and links.json per realm, summary.json")
    agree = result.all_processed and bool(result.summary["books_agree"])
    return EXIT_OK if agree else EXIT_FAILED


COMMAND = Command(
    name="run",
    summary="deliver a scenario file through the local stack",
    description=__doc__ or "",
    configure=configure,
    run=run,
    scope="local",
)
