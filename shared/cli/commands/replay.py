"""``stripe-qbo-sync replay``: enqueue replays from the event archive or Stripe's events API.

Three ways to run it:

* production settings (SYNC_WAREHOUSE=bigquery, SYNC_TASK_QUEUE=cloud_tasks, project, queue,
  worker URL, tasks service account): the replay use case reads BigQuery (or Stripe) and creates
  Cloud Tasks with your Google credentials.
* --url URL: POST the same request to the deployed replay function, with an OIDC ID token for
  that URL from your Google credentials, or the bearer token in SYNC_REPLAY_TOKEN. An address
  that does not answer fails within seconds, naming the URL.
* local settings (the defaults): the local warehouse and the in-process queue, whose tasks run
  right away through the worker, in this process when nothing serves SYNC_WORKER_URL. The worker
  needs Stripe and QBO: when nothing answers at SYNC_STRIPE_API_BASE or SYNC_QBO_BASE_URL the
  command stops at once and says so (--dry-run needs neither).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from shared.cli import output
from shared.cli.args import id_list, moment
from shared.cli.command import EXIT_OK, Command, CommandError

CONNECT_SECONDS = 5.0
READ_SECONDS = 600.0


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--events",
        type=id_list,
        default=(),
        metavar="EVT,EVT",
        help="comma-separated event ids (every one must exist)",
    )
    parser.add_argument("--since", type=moment, help="events created at or after (ISO 8601)")
    parser.add_argument("--until", type=moment, help="events created at or before (ISO 8601)")
    from shared.domain.routing import synced_object_types

    parser.add_argument(
        "--type",
        dest="object_type",
        choices=synced_object_types(),
        help="only objects of this type",
    )
    parser.add_argument(
        "--failed", action="store_true", help="every object whose current link is FAILED"
    )
    parser.add_argument(
        "--source",
        choices=("archive", "stripe"),
        default="archive",
        help="archive: the event archive, any age; stripe: Stripe's events API, the last 30 days",
    )
    parser.add_argument("--dry-run", action="store_true", help="list what would be enqueued")
    parser.add_argument(
        "--run-id",
        help="repeat a run's id to retry it without duplicates "
        "(letters, digits, - and _, at most 40)",
    )
    parser.add_argument("--url", help="the deployed replay function's URL (else in-process)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def request_body(args: argparse.Namespace) -> dict[str, Any]:
    """The replay function's body (``ReplayRequestBody``), checked here before it goes anywhere."""
    from pydantic import ValidationError

    from shared.contracts.models import ReplayRequestBody, refusal

    fields = {
        "event_ids": list(args.events),
        "since": args.since,
        "until": args.until,
        "object_type": args.object_type,
        "failed": args.failed,
        "source": args.source,
        "dry_run": args.dry_run,
        "run_id": args.run_id,
        "tenant_id": getattr(args, "tenant", None),
    }
    try:
        return ReplayRequestBody.model_validate(fields).model_dump(mode="json", exclude_none=True)
    except ValidationError as error:
        raise refusal(error, "replay", "bad_replay") from None


def _over_http(url: str, body: dict[str, Any]) -> dict[str, Any]:
    import os

    import requests

    token = os.environ.get("SYNC_REPLAY_TOKEN")
    if not token:
        import google.auth.exceptions
        import google.auth.transport.requests
        from google.oauth2 import id_token

        try:
            token = id_token.fetch_id_token(google.auth.transport.requests.Request(), url)  # type: ignore[no-untyped-call]
        except google.auth.exceptions.GoogleAuthError as error:
            raise CommandError(
                f"no ID token for {url}: {error} (set SYNC_REPLAY_TOKEN, or use credentials "
                "of an allowed service account)"
            ) from None
    try:
        response = requests.post(
            url,
            json=body,
            headers={"Authorization": f"Bearer {token}"},
            timeout=(CONNECT_SECONDS, READ_SECONDS),
        )
    except requests.RequestException as error:
        raise CommandError(f"cannot reach {url}: {type(error).__name__}") from None
    if response.status_code == 400:
        from shared.errors import BadRequestError

        detail = response.json().get("error", "bad request") if response.content else ""
        raise BadRequestError(f"{url} refused the request: {detail}")
    if response.status_code != 200:
        raise CommandError(f"{url} answered {response.status_code}")
    result: dict[str, Any] = response.json()
    return result


def _in_process(body: dict[str, Any]) -> dict[str, Any]:
    from shared import bootstrap
    from shared.cli.local_drain import drain_locally, ensure_services, is_local_queue
    from shared.cli.warehouse import open_warehouse
    from shared.services.replay import Replay, replay_request_from_json

    request = replay_request_from_json(body)
    request.check()
    local = is_local_queue()
    if local:
        open_warehouse(None, option=False)  # refuses a local warehouse that does not exist
        if not request.dry_run:
            ensure_services()
    use_case = Replay(
        bootstrap.warehouse(), bootstrap.stripe_gateway(), bootstrap.task_queue(), bootstrap.clock()
    )
    with output.progress("enqueue") as progress:
        report = use_case.run(request, progress=progress)
    result = report.as_dict(item_limit=len(report.items))
    if local and report.enqueued:
        result["tasks"] = drain_locally()
    return result


def run(args: argparse.Namespace) -> int:
    body = request_body(args)
    result = _over_http(args.url, body) if args.url else _in_process(body)
    summary = {k: v for k, v in result.items() if k not in ("items", "items_truncated")}
    if args.json:
        output.out().print_json(json.dumps(result if args.dry_run else summary))
        return EXIT_OK
    if args.dry_run:
        rows = [(i["object_type"], i["object_id"], i["event_id"] or "-") for i in result["items"]]
        output.show(output.table("Would enqueue", ["type", "object", "event"], rows))
    facts = [
        (key, json.dumps(value) if isinstance(value, dict) else str(value))
        for key, value in summary.items()
    ]
    output.show(output.table(f"Replay {result['run_id']}", ["", ">value"], facts))
    return EXIT_OK


COMMAND = Command(
    name="replay",
    summary="enqueue replays from the event archive or Stripe's events API",
    description=__doc__ or "",
    configure=configure,
    run=run,
    tenant_scoped=True,
)
