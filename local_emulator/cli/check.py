"""``stripe-qbo-sync check --events FILE --out DIR``: judge a run's books against Stripe.

Reads DIR/qbo.json (written by `run`) and the Stripe state the scenario file implies, and trusts
neither the link table nor the run's summary: exactly one QBO document per Stripe object that
should have one (and none for the rest), invoice totals and balances, receivables per customer
and currency, payouts and their deposits, and each currency's clearing account. Prints every
violation; exit 0 when there is none, 1 when there are, 2 on bad input.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from shared.cli import output
from shared.cli.args import existing_file
from shared.cli.command import EXIT_FAILED, EXIT_OK, Command, UsageError


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--events",
        required=True,
        type=existing_file,
        metavar="FILE.jsonl",
        help="the scenario file that was run",
    )
    parser.add_argument(
        "--out",
        required=True,
        type=Path,
        metavar="DIR",
        help="the run's output directory (holding qbo.json)",
    )
    parser.add_argument(
        "--home-currency",
        default=None,
        help="the QBO company's currency (default: what its Preferences in qbo.json say)",
    )
    parser.add_argument(
        "--clearing-account-name",
        default="Stripe Clearing",
        help="the clearing account's name (other currencies: NAME EUR, ...)",
    )


def read_books(out_dir: Path) -> dict[str, object]:
    path = out_dir / "qbo.json"
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"no {path}: run `stripe-qbo-sync run --out {out_dir}` first") from None
    except (OSError, json.JSONDecodeError) as error:
        raise UsageError(f"cannot read {path}: {error}") from None
    if not isinstance(state, dict):
        raise UsageError(f"{path} is not QBO state (a JSON object by entity)")
    return state


def run(args: argparse.Namespace) -> int:
    from local_emulator.checks.invariants import check_invariants
    from local_emulator.harness.scenario import ScenarioError, load_scenario

    try:
        scenario = load_scenario(args.events)
    except ScenarioError as error:
        raise UsageError(str(error)) from None
    violations = check_invariants(
        scenario,
        read_books(args.out),
        home_currency=args.home_currency,
        clearing_account_name=args.clearing_account_name,
    )
    for violation in violations:
        print(f"{violation.rule}\t{violation.stripe_id}\t{violation.detail}")
    counts = Counter(v.rule for v in violations)
    summary = ", ".join(f"{rule}={n}" for rule, n in sorted(counts.items())) or "none"
    output.out().print(f"{len(violations)} invariant violations ({summary})", markup=False)
    return EXIT_FAILED if violations else EXIT_OK


COMMAND = Command(
    name="check",
    summary="check a run's QBO books against the Stripe state of its events",
    description=__doc__ or "",
    configure=configure,
    run=run,
    scope="local",
)
