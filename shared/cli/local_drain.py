"""Running enqueued work locally: check that what the worker needs answers, then drain the
in-process queue through the worker (served at SYNC_WORKER_URL, or called in this process).

Nothing here waits on a server nobody started: each address gets one short connection attempt.
"""

from __future__ import annotations

import socket
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from shared.cli.command import CommandError

CONNECT_SECONDS = 1.0


def is_local_queue() -> bool:
    from shared.config import get_settings

    return get_settings().task_queue == "local"


def answers(url: str, timeout: float = CONNECT_SECONDS) -> bool:
    """Whether something accepts a TCP connection at the URL's host and port."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", port), timeout=timeout):
            return True
    except OSError:
        return False


def ensure_services() -> None:
    """Stripe and QBO must answer before any task runs (the worker reads and writes both);
    when nothing serves the worker, it is called in this process instead."""
    from shared import bootstrap
    from shared.config import get_settings

    settings = get_settings()
    needed = {
        "Stripe (SYNC_STRIPE_API_BASE)": settings.stripe_api_base,
        "QBO (SYNC_QBO_BASE_URL)": settings.qbo_base_url,
    }
    silent = [f"{what} at {url}" for what, url in needed.items() if not answers(url)]
    if silent:
        raise CommandError(
            "nothing answers for " + "; ".join(silent) + ": the worker could not run the "
            "tasks. Start the local stack's services, point SYNC_* at them, or use --dry-run"
        )
    if not answers(settings.worker_url):
        bootstrap.override(task_queue=bootstrap.local_task_queue(in_process_worker()))


def in_process_worker() -> Any:
    """A queue dispatcher that calls ``functions/sync_worker.py`` in this process."""
    import functions_framework

    import functions

    source = Path(functions.__file__).resolve().parent / "sync_worker.py"
    app = functions_framework.create_app(target="sync_worker", source=str(source))  # type: ignore[no-untyped-call]

    def dispatch(url: str, body: bytes, headers: Mapping[str, str]) -> int:
        response = app.test_client().post("/", data=body, headers=dict(headers))
        return int(response.status_code)

    return dispatch


def drain_locally() -> dict[str, int]:
    """Run every queued task to its end; the counts."""
    from shared import bootstrap

    drain = getattr(bootstrap.task_queue(), "drain", None)
    if not callable(drain):
        return {}
    stats = drain()
    return {
        "dispatched": stats.dispatched,
        "succeeded": stats.succeeded,
        "retried": stats.retried,
        "exhausted": stats.exhausted,
    }
