"""``python -m local_emulator campaign --events 10000 --seed 1``: the fault campaign's figures."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import fields
from pathlib import Path
from typing import TextIO

from local_emulator.harness.campaign import CampaignFaults, run_campaign


def main(argv: list[str], *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """0 when the campaign found no duplicate, no lost record and no invariant violation."""
    out, err = out or sys.stdout, err or sys.stderr
    defaults = CampaignFaults()
    parser = argparse.ArgumentParser(prog="python -m local_emulator campaign", description=__doc__)
    parser.add_argument("--events", type=int, default=10_000, help="at least this many events")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", help="keep the run's state here (default: a temporary dir)")
    parser.add_argument("--concurrency", type=int, default=8, help="queue workers")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    for f in fields(CampaignFaults):
        parser.add_argument(f"--{f.name.replace('_', '-')}", type=float, default=f.default,
                            help=f"default {getattr(defaults, f.name)}")  # fmt: skip
    args = parser.parse_args(argv)
    faults = CampaignFaults(**{f.name: getattr(args, f.name) for f in fields(CampaignFaults)})

    def progress(message: str) -> None:
        print(message, file=err, flush=True)

    with tempfile.TemporaryDirectory(prefix="campaign-") as scratch:
        report = run_campaign(
            args.events, args.seed, faults, out_dir=Path(args.out or scratch),
            concurrency=args.concurrency, progress=progress,
        )  # fmt: skip
    print("\n".join(report.lines()), file=out)
    if args.json:
        figures = {
            "events": report.events,
            "faults": dict(report.faults),
            "retries": report.retries,
            "duplicates": report.duplicates,
            "lost": report.lost,
            "violations": sum(report.violations.values()),
            "seconds": round(report.seconds, 1),
        }
        print(json.dumps(figures), file=out)
    print("OK" if report.ok else "FAILED", file=out)
    return 0 if report.ok else 1
