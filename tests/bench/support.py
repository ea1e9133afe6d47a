"""Helpers the benchmarks share: percentiles, signed webhook bodies, an embedded environment."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from shared import bootstrap
from shared.config import reset_settings
from shared.logging import JsonFormatter, get_logger

WEBHOOK_SECRET = "whsec_bench_secret"


def serve_counts(hello: Mapping[str, object], counts: Callable[[], dict[str, int]]) -> None:
    """A fake in its own process: print ``hello`` as one JSON line, then answer ``counts`` on
    stdin with the fake's request counters, until ``quit`` or the end of input."""
    print(json.dumps(hello), flush=True)
    for line in sys.stdin:
        if line.strip() != "counts":
            break
        print(json.dumps(counts()), flush=True)


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def median(samples: list[float]) -> float:
    return statistics.median(samples)


def sign(body: bytes, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    stamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{stamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={digest}"


@contextmanager
def embedded_environment(state_dir: Path, **extra: str) -> Iterator[None]:
    """The local defaults (DuckDB file, in-process queue, secrets file) in ``state_dir``; the
    functions' JSON logs are formatted as in production but written to a file."""
    state_dir.mkdir(parents=True, exist_ok=True)
    (state_dir / "secrets.json").write_text(
        json.dumps({"stripe-webhook-secret": WEBHOOK_SECRET}), encoding="utf-8"
    )
    env = {
        "SYNC_STATE_DIR": str(state_dir),
        "SYNC_WAREHOUSE": "duckdb",
        "SYNC_TASK_QUEUE": "local",
        "SYNC_SECRETS": "local",
        **extra,
    }
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    reset_settings()
    bootstrap.reset()
    get_logger("bench")
    logger = logging.getLogger("sync")
    handlers = list(logger.handlers)
    log_file = (state_dir / "functions.log").open("w", encoding="utf-8")
    handler = logging.StreamHandler(log_file)
    handler.setFormatter(JsonFormatter())
    logger.handlers = [handler]
    try:
        yield
    finally:
        logger.handlers = handlers
        log_file.close()
        close = getattr(bootstrap.warehouse(), "close", None)
        bootstrap.reset()
        if callable(close):
            close()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        reset_settings()
