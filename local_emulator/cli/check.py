"""``python -m local_emulator check --events F --out DIR``: judge DIR/qbo.json against Stripe."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from local_emulator.checks.invariants import check_invariants
from local_emulator.harness.scenario import ScenarioError, load_scenario


def main(argv: list[str]) -> int:
    """Print every invariant violation; 0 when there is none, 1 when there are, 2 on bad input."""
    parser = argparse.ArgumentParser(prog="python -m local_emulator check", description=__doc__)
    parser.add_argument("--events", required=True, help="the scenario file that was run")
    parser.add_argument("--out", required=True, help="the run's output directory (qbo.json)")
    parser.add_argument("--home-currency", default="usd")
    parser.add_argument("--clearing-account-name", default="Stripe Clearing")
    args = parser.parse_args(argv)
    try:
        scenario = load_scenario(Path(args.events))
        qbo_state = json.loads((Path(args.out) / "qbo.json").read_text(encoding="utf-8"))
    except (ScenarioError, OSError, json.JSONDecodeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    violations = check_invariants(
        scenario,
        qbo_state,
        home_currency=args.home_currency,
        clearing_account_name=args.clearing_account_name,
    )
    for violation in violations:
        print(f"{violation.rule}\t{violation.stripe_id}\t{violation.detail}")
    counts = Counter(v.rule for v in violations)
    summary = ", ".join(f"{rule}={n}" for rule, n in sorted(counts.items())) or "none"
    print(f"{len(violations)} invariant violations ({summary})")
    return 1 if violations else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
