"""``python -m local_emulator replay``: enqueue replays and backfills from the archive or Stripe.

Two ways to run it:

* in-process (default): the replay use case with the settings of the environment (``SYNC_*``).
  Locally that is the DuckDB archive and the in-process queue, drained right away against the
  worker at ``SYNC_WORKER_URL``; with the production settings (``SYNC_WAREHOUSE=bigquery``,
  ``SYNC_TASK_QUEUE=cloud_tasks``, project, queue, worker URL, tasks service account) it reads
  BigQuery and creates Cloud Tasks with the caller's Google credentials.
* ``--url``: POST the same request to the deployed ``replay`` function, with an OIDC ID token for
  that URL from the caller's Google credentials (impersonating the allowed service account), or
  the bearer token in ``SYNC_REPLAY_TOKEN``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import UTC, datetime
from typing import Any, TextIO

from shared.errors import SyncError

BAR_WIDTH = 30


class ProgressBar:
    """A plain-text bar on stderr, redrawn at most every 0.2 s (and at the end)."""

    def __init__(self, stream: TextIO, label: str = "enqueue") -> None:
        self._stream = stream
        self._label = label
        self._drawn_at = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self._drawn_at < 0.2:
            return
        self._drawn_at = now
        filled = BAR_WIDTH * done // max(total, 1)
        percent = 100 * done // max(total, 1)
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        end = "\n" if done >= total else ""
        self._stream.write(f"\r{self._label} [{bar}] {done}/{total} ({percent}%){end}")
        self._stream.flush()


def _moment(text: str) -> datetime:
    try:
        if text.isdigit():
            return datetime.fromtimestamp(int(text), UTC)
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a time: {text!r} (ISO 8601 or unix seconds)"
        ) from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m local_emulator replay",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--events", default="", help="comma-separated event ids")
    parser.add_argument("--since", type=_moment, help="events created at or after (ISO 8601)")
    parser.add_argument("--until", type=_moment, help="events created at or before (ISO 8601)")
    parser.add_argument("--type", dest="object_type", help="only objects of this type (invoice)")
    parser.add_argument("--failed", action="store_true", help="every object with a FAILED link")
    parser.add_argument(
        "--source",
        choices=("archive", "stripe"),
        default="archive",
        help="the event archive (any age) or Stripe's events API (30 days)",
    )
    parser.add_argument("--dry-run", action="store_true", help="list what would be enqueued")
    parser.add_argument("--run-id", help="repeat a run's id to retry it without duplicates")
    parser.add_argument("--url", help="the deployed replay function's URL (else in-process)")
    parser.add_argument(
        "--no-drain",
        action="store_true",
        help="local queue: enqueue only, do not run the tasks now",
    )
    return parser


def _request_body(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "event_ids": [e.strip() for e in args.events.split(",") if e.strip()],
        "since": args.since.isoformat() if args.since else None,
        "until": args.until.isoformat() if args.until else None,
        "object_type": args.object_type,
        "failed": args.failed,
        "source": args.source,
        "dry_run": args.dry_run,
        "run_id": args.run_id,
    }


def _over_http(url: str, body: dict[str, Any]) -> dict[str, Any]:
    import requests

    token = os.environ.get("SYNC_REPLAY_TOKEN")
    if not token:
        import google.auth.transport.requests
        from google.oauth2 import id_token

        token = id_token.fetch_id_token(google.auth.transport.requests.Request(), url)  # type: ignore[no-untyped-call]
    response = requests.post(
        url, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=600
    )
    if response.status_code != 200:
        raise SystemExit(f"error: the replay function answered {response.status_code}")
    result: dict[str, Any] = response.json()
    return result


def _in_process(body: dict[str, Any], err: TextIO, drain: bool) -> dict[str, Any]:
    from shared import bootstrap
    from shared.services.replay import Replay, replay_request_from_json

    use_case = Replay(
        bootstrap.warehouse(), bootstrap.stripe_gateway(), bootstrap.task_queue(), bootstrap.clock()
    )
    report = use_case.run(replay_request_from_json(body), progress=ProgressBar(err))
    result = report.as_dict(item_limit=len(report.items))
    queue_drain = getattr(bootstrap.task_queue(), "drain", None)
    if drain and not report.dry_run and report.enqueued and callable(queue_drain):
        stats = queue_drain()
        result["tasks"] = {
            "dispatched": stats.dispatched,
            "succeeded": stats.succeeded,
            "retried": stats.retried,
            "exhausted": stats.exhausted,
        }
    return result


def main(argv: list[str], *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """0: done (or listed); 2: a bad request; 1: the replay failed (retry with --run-id)."""
    out, err = out or sys.stdout, err or sys.stderr
    args = build_parser().parse_args(argv)
    body = _request_body(args)
    try:
        result = (
            _over_http(args.url, body) if args.url else _in_process(body, err, not args.no_drain)
        )
    except SyncError as error:
        print(f"error: {error.message}", file=err)
        return 2 if error.code.startswith("bad") else 1
    if args.dry_run:
        for item in result["items"]:
            print(
                f"{item['object_type']}\t{item['object_id']}\t{item['event_id'] or '-'}", file=out
            )
    summary = {k: v for k, v in result.items() if k not in ("items", "items_truncated")}
    print(json.dumps(summary, indent=2), file=out)
    return 0
