"""The local command line: run, demo, generate, check, campaign, replay, report, statement."""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path


def _run(args: argparse.Namespace) -> int:
    from local_emulator.harness.runner import run_scenario
    from local_emulator.harness.scenario import load_scenario, parse_faults

    result = run_scenario(
        load_scenario(Path(args.events)), Path(args.out), faults=parse_faults(args.faults),
        seed=args.seed,
    )  # fmt: skip
    summary = result.summary
    invoices = summary["invoices"]
    print(json.dumps({"events": summary["events"], "invoices": invoices,
                      "failed": len(summary["objects"]["failed"]),
                      "all_processed": summary["all_processed"]}, indent=2))  # fmt: skip
    return 0 if result.all_processed else 1


def _generate(args: argparse.Namespace) -> int:
    from local_emulator.harness.scenario import write_scenario

    if args.kind == "month":
        from local_emulator.generator import generate_month

        currencies = tuple(c.strip().lower() for c in args.currencies.split(",") if c.strip())
        month = generate_month(
            args.seed, customers=args.customers, invoices=args.invoices, currencies=currencies
        )
        count = sum(1 for line in month if line.get("object") == "event")
        write_scenario(Path(args.out), month)
        print(
            f"wrote {count} events and {len(month) - count} objects of a month "
            f"({args.customers} customers, {args.invoices} invoices) to {args.out}"
        )
        return 0
    from local_emulator.generator.stripe_objects import invoice_month

    events = invoice_month(args.invoices, seed=args.seed)
    write_scenario(Path(args.out), events)
    print(f"wrote {len(events)} events for {args.invoices} invoices to {args.out}")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from local_emulator.harness.demo import run_demo

    return run_demo(Path(args.out), seed=args.seed)


# Commands with their own option parsers: python -m local_emulator NAME --help
DELEGATED = {
    "statement": "local_emulator.cli.statement",
    "check": "local_emulator.cli.check",
    "report": "local_emulator.cli.report",
    "replay": "local_emulator.cli.replay",
    "campaign": "local_emulator.cli.campaign",
}
DELEGATED_HELP = {
    "statement": "render a settlement statement PDF",
    "check": "check a run's QBO books against the Stripe state of its events",
    "report": "write the reconciliation report PDF",
    "replay": "enqueue replays from the archive or Stripe's events API",
    "campaign": "run generated months under heavy faults and print the figures",
}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] and argv[0] in DELEGATED:
        delegate = importlib.import_module(DELEGATED[argv[0]])
        return int(delegate.main(argv[1:]))
    parser = argparse.ArgumentParser(prog="python -m local_emulator", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="deliver a scenario file through the local stack")
    run.add_argument("--events", required=True, help="JSON lines of Stripe events (and objects)")
    run.add_argument("--out", required=True, help="directory for qbo.json, links.json, summary")
    run.add_argument("--faults", default="", help="e.g. qbo_429=0.1,qbo_5xx=0.05,duplicate=0.2")
    run.add_argument("--seed", type=int, default=0)
    run.set_defaults(handler=_run)
    gen = commands.add_parser("generate", help="write a month of synthetic Stripe events")
    gen.add_argument(
        "--kind",
        choices=("invoices", "month"),
        default="invoices",
        help="invoices: invoice events only; month: a whole month of business",
    )
    gen.add_argument("--invoices", type=int, default=200)
    gen.add_argument("--customers", type=int, default=30, help="--kind month only")
    gen.add_argument("--currencies", default="usd,eur,jpy,kwd", help="--kind month only")
    gen.add_argument("--seed", type=int, default=1)
    gen.add_argument("--out", required=True)
    gen.set_defaults(handler=_generate)
    demo = commands.add_parser("demo", help="a short end-to-end demo with a summary table")
    demo.add_argument("--out", default="out/demo")
    demo.add_argument("--seed", type=int, default=7)
    demo.set_defaults(handler=_demo)
    for name, help_text in DELEGATED_HELP.items():
        commands.add_parser(name, help=f"{help_text} (see `{name} --help`)", add_help=False)
    args = parser.parse_args(argv)
    from local_emulator.harness.scenario import ScenarioError

    try:
        code: int = args.handler(args)
    except ScenarioError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    raise SystemExit(main())
