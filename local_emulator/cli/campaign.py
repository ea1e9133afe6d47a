"""``stripe-qbo-sync campaign --events 10000 --seed 1``: the fault campaign's figures.

Generated months through the whole stack under QBO 429/5xx/timeouts/dropped responses (QBO's
requestid replay off by default), worker crashes before and after QBO calls (their leases
expire), duplicate and reordered webhooks, the webhook's archive and queue failing (transiently,
and for good until fixed), six tasks at once per paid invoice and a Stripe outage; then nobody
replays anything: Stripe redelivers, the catch-up re-drives. Prints events, faults by kind,
retries, duplicates in QBO, records lost, invariant violations and what is left FAILED; exit 0
when there are no duplicates, nothing lost, no violation and every FAILED link has its reason and
its alert, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import fields
from pathlib import Path

from local_emulator.cli.run import add_company_options
from shared.cli import output
from shared.cli.args import count, non_negative, positive, probability
from shared.cli.command import EXIT_FAILED, EXIT_OK, Command


def on_off(text: str) -> str:
    if text not in ("on", "off"):
        raise argparse.ArgumentTypeError(f"{text!r}: on or off")
    return text


# knob -> (type, help); the defaults come from CampaignFaults itself
KNOBS = {
    "qbo_429": (probability, "fake QBO answers 429, per request (0..1)"),
    "qbo_5xx": (probability, "fake QBO answers 5xx, per request (0..1)"),
    "qbo_drop_response": (probability, "fake QBO writes, then drops the answer (0..1)"),
    "qbo_timeout": (probability, "fake QBO times out, per request (0..1)"),
    "crash": (probability, "the worker process dies at a QBO call, per call (0..1)"),
    "duplicate": (probability, "a webhook is delivered twice (0..1)"),
    "out_of_order": (probability, "a webhook is delivered late (0..1)"),
    "outage_minutes": (non_negative, "minutes of Stripe answering 503 (0: none)"),
    "qbo_requestid": (on_off, "fake QBO replays a repeated requestid (on) or not (off)"),
    "webhook_5xx": (probability, "the webhook's archive, and its queue, fail with a 5xx (0..1)"),
    "refused_deliveries": (count, "deliveries the archive refuses for good, then the queue"),
    "concurrent": (positive, "tasks at once for every paid invoice (1: no burst)"),
}


def configure(parser: argparse.ArgumentParser) -> None:
    from local_emulator.harness.campaign import CampaignFaults

    defaults = CampaignFaults()
    parser.add_argument("--events", type=positive, default=10_000, help="at least this many")
    parser.add_argument("--seed", type=int, default=1, help="seed of data and faults")
    parser.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="keep the run's state here (default: a temporary directory)",
    )
    parser.add_argument("--concurrency", type=positive, default=8, help="queue workers")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    add_company_options(parser)
    for f in fields(CampaignFaults):
        kind, text = KNOBS.get(f.name, (probability, f.name))
        parser.add_argument(
            f"--{f.name.replace('_', '-')}", type=kind, default=getattr(defaults, f.name), help=text
        )


def run(args: argparse.Namespace) -> int:
    import tempfile

    from local_emulator.harness.campaign import CampaignFaults, run_campaign

    faults = CampaignFaults(**{f.name: getattr(args, f.name) for f in fields(CampaignFaults)})
    with tempfile.TemporaryDirectory(prefix="campaign-") as scratch:
        report = run_campaign(
            args.events,
            args.seed,
            faults,
            out_dir=Path(args.out or scratch),
            concurrency=args.concurrency,
            progress=output.note,
            company=args.company,
            books=args.books,
        )
    print("\n".join(report.lines()))
    if args.json:
        figures = {
            "events": report.events,
            "faults": dict(report.faults),
            "retries": report.retries,
            "duplicates": report.duplicates,
            "lost": report.lost,
            "violations": sum(report.violations.values()),
            "schema_refused": sum(report.schema_refused.values()),
            "webhook_refused": report.webhook_refused,
            "webhook_alerts": report.webhook_alerts,
            "leases_kept": report.leases_kept,
            "redriven": report.replayed,
            "failed_links": report.failed_links,
            "failed_without_reason": report.failed_without_reason,
            "failed_without_alert": report.failed_without_alert,
            "seconds": round(report.seconds, 1),
        }
        print(json.dumps(figures))
    print("OK" if report.ok else "FAILED")
    return EXIT_OK if report.ok else EXIT_FAILED


COMMAND = Command(
    name="campaign",
    summary="run generated months under heavy faults and print the figures",
    description=__doc__ or "",
    configure=configure,
    run=run,
    scope="local",
)
