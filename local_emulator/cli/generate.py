"""``stripe-qbo-sync generate --kind month --seed 7 --out month.jsonl``: synthetic Stripe data.

Kinds: ``month`` is a realistic, internally consistent month of business (customers, products,
invoices with discounts and tax, partial and out-of-band payments, charges, refunds, credit
notes, disputes, several currencies), with ``--payouts`` also the payouts and balance
transactions; ``invoices`` is a plain month of invoice events. The same seed gives the same file.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from local_emulator.cli.run import COMPANIES
from shared.cli import output
from shared.cli.args import count, existing_file, positive, probability
from shared.cli.command import EXIT_OK, Command, UsageError

KINDS = ("month", "invoices")


def currency_list(text: str) -> tuple[str, ...]:
    from shared.domain.money import UnknownCurrencyError, normalize_currency

    try:
        codes = tuple(normalize_currency(c) for c in text.split(",") if c.strip())
    except UnknownCurrencyError as bad:
        raise argparse.ArgumentTypeError(str(bad)) from None
    if not codes:
        raise argparse.ArgumentTypeError("give at least one currency, e.g. usd,eur")
    return codes


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--kind",
        choices=KINDS,
        default="invoices",
        help="month: a whole month of business; invoices: invoice events only",
    )
    parser.add_argument("--invoices", type=count, default=200, help="invoices in the month")
    parser.add_argument("--customers", type=positive, default=30, help="customers (--kind month)")
    parser.add_argument(
        "--currencies",
        type=currency_list,
        default=None,
        metavar="usd,eur,...",
        help="ISO codes, comma-separated (--kind month; default usd,eur,jpy,kwd, or with "
        "--company the company's home currency)",
    )
    parser.add_argument(
        "--company",
        choices=COMPANIES,
        default=None,
        help="tax the month as a business in that QBO company's region sells (exclusive, "
        'inclusive, zero-rated, exempt, reverse charge, taxed shipping; README "Sales tax per '
        'company"); run it with the same --company (--kind month)',
    )
    parser.add_argument(
        "--payouts",
        action="store_true",
        help="add payouts and their balance transactions (--kind month)",
    )
    parser.add_argument(
        "--late-reconciliation",
        type=probability,
        default=0.0,
        metavar="SHARE",
        help="with --payouts: the share of automatic payouts Stripe reconciles days after paid",
    )
    parser.add_argument(
        "--manual-payouts",
        action="store_true",
        help="with --payouts: manual payouts (amounts of the holder's choosing, some canceled)",
    )
    parser.add_argument(
        "--connect",
        action="store_true",
        help="with --payouts: a Connect platform (destination charges, application fees, "
        "fee refunds, transfer reversals)",
    )
    parser.add_argument(
        "--settle",
        type=currency_list,
        default=None,
        metavar="usd[,eur,...]",
        help="with --payouts: the account's default currency (money charged in another settles "
        "there, converted at the fake Stripe's rate), then the currencies it has bank accounts in",
    )
    parser.add_argument("--seed", type=count, default=1, help="the same seed, the same file")
    parser.add_argument(
        "--account",
        metavar="acct_...",
        help="a connected account's data: every line carries account (run --tenants)",
    )
    parser.add_argument(
        "--merge",
        type=existing_file,
        action="append",
        default=[],
        metavar="FILE.jsonl",
        help="interleave these scenario files' lines with the generated ones, by creation time",
    )
    parser.add_argument(
        "--out", required=True, type=Path, metavar="FILE.jsonl", help="the scenario file to write"
    )


def run(args: argparse.Namespace) -> int:
    from local_emulator.harness.scenario import write_scenario

    extras = args.manual_payouts or args.late_reconciliation or args.connect or args.settle
    if not args.payouts and extras:
        raise UsageError(
            "--manual-payouts, --late-reconciliation, --connect and --settle need --payouts"
        )
    if args.kind == "month":
        from local_emulator.generator import generate_month
        from local_emulator.generator.taxes import HOME_CURRENCY

        currencies = args.currencies or (
            (HOME_CURRENCY[args.company],) if args.company else ("usd", "eur", "jpy", "kwd")
        )
        lines = generate_month(
            args.seed,
            customers=args.customers,
            invoices=args.invoices,
            currencies=currencies,
            company=args.company,
        )
        if args.payouts:
            from local_emulator.generator.payouts import add_payouts

            lines = add_payouts(
                lines,
                args.seed,
                late_rate=args.late_reconciliation,
                manual=args.manual_payouts,
                cancel_rate=0.2 if args.manual_payouts else 0.0,
                connect=args.connect,
                settle=args.settle[0] if args.settle else None,
                bank_currencies=tuple(args.settle[1:]) if args.settle else (),
            )
    else:
        if args.payouts or args.currencies is not None or args.company is not None:
            raise UsageError("--payouts, --currencies and --company apply to --kind month only")
        from local_emulator.generator.stripe_objects import invoice_month

        lines = invoice_month(args.invoices, seed=args.seed)
    if args.account:
        from local_emulator.harness.scenario import with_account

        lines = with_account(lines, args.account)
    if args.merge:
        from local_emulator.harness.scenario import interleave, read_lines

        lines = interleave(lines, *(read_lines(path) for path in args.merge))
    write_scenario(args.out, lines)
    events = sum(1 for line in lines if line.get("object") == "event")
    output.note(f"wrote {events} events and {len(lines) - events} objects to {args.out}")
    return EXIT_OK


COMMAND = Command(
    name="generate",
    summary="write a month of synthetic Stripe events to a scenario file",
    description=__doc__ or "",
    configure=configure,
    run=run,
    scope="local",
)
