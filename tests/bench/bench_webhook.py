"""1. Webhook ingest: the stripe_webhook handler in-process against construct_event alone."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, cast

import stripe
from flask import Request, Response
from werkzeug.test import EnvironBuilder

from functions.stripe_webhook import stripe_webhook as _stripe_webhook
from local_emulator.generator.stripe_objects import invoice_month
from shared import bootstrap
from shared.services.ingest_event import archive_row_from_event, event_from_body
from tests.bench.report import REPORT
from tests.bench.support import WEBHOOK_SECRET, embedded_environment, median, percentile, sign

# The handler as written; functions_framework's decorator widens its declared return type.
stripe_webhook = cast(Callable[[Request], Response], _stripe_webhook)
SECTION = "1. Webhook ingest"
EVENTS = 2000
ROUNDS = 3  # handler and floor alternate in rounds, so drift in machine load hits both


class NullWarehouse:
    """Takes appends and forgets them: the handler's cost without the archive write."""

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        return []

    def append(
        self, table: str, rows: Sequence[Mapping[str, Any]], row_ids: Sequence[str] | None = None
    ) -> None:
        return None


def _request(body: bytes, header: str) -> Request:
    builder = EnvironBuilder(
        method="POST",
        data=body,
        headers=[("Stripe-Signature", header), ("Content-Type", "application/json")],
    )
    return Request(builder.get_environ())


def test_webhook_ingest_against_construct_event(tmp_path: Path) -> None:
    events = invoice_month(EVENTS * 2 // 5, seed=11)[:EVENTS]
    bodies = [json.dumps(event).encode() for event in events]
    with embedded_environment(tmp_path / "state"):
        warm = _request(bodies[0], sign(bodies[0]))
        assert stripe_webhook(warm).status_code == 200  # builds deps, opens DuckDB
        stripe.Webhook.construct_event(bodies[0], sign(bodies[0]), WEBHOOK_SECRET)
        handler: list[float] = []
        floor: list[float] = []
        append: list[float] = []
        no_archive: list[float] = []
        warehouse = bootstrap.warehouse()
        real_deps = bootstrap.ingest_deps()
        null_deps = dataclasses.replace(real_deps, warehouse=NullWarehouse())
        now = bootstrap.clock().now()
        handler_cpu = 0.0
        per_round = len(bodies) // ROUNDS
        for r in range(ROUNDS):
            chunk = bodies[r * per_round : (r + 1) * per_round]
            headers = [sign(body) for body in chunk]
            for body, header in zip(chunk, headers, strict=True):
                started = time.perf_counter()
                stripe.Webhook.construct_event(body, header, WEBHOOK_SECRET)
                floor.append(time.perf_counter() - started)
            # The archive write alone, on the same adapter, with rows like the handler's.
            for body in chunk:
                row = archive_row_from_event(event_from_body(body), body, now, "bench")
                row_id = f"{row['event_id']}_bench"
                started = time.perf_counter()
                warehouse.append("stripe_events", [{**row, "event_id": row_id}], row_ids=[row_id])
                append.append(time.perf_counter() - started)
            requests = [_request(body, header) for body, header in zip(chunk, headers, strict=True)]
            bootstrap.override(ingest_deps=null_deps)
            for body, header in zip(chunk, headers, strict=True):
                request = _request(body, header)
                started = time.perf_counter()
                stripe_webhook(request)
                no_archive.append(time.perf_counter() - started)
            bootstrap.override(ingest_deps=real_deps)
            cpu = time.process_time()
            for request in requests:
                started = time.perf_counter()
                response = stripe_webhook(request)
                handler.append(time.perf_counter() - started)
                assert response.status_code == 200
            handler_cpu += time.process_time() - cpu
    p50, p99 = percentile(handler, 0.5), percentile(handler, 0.99)
    f50, f99 = percentile(floor, 0.5), percentile(floor, 0.99)
    ratio = median(handler) / median(floor)
    a50 = percentile(append, 0.5)
    per_second = len(handler) / sum(handler)
    per_cpu_second = len(handler) / handler_cpu
    us = 1e6
    REPORT.figure(SECTION, "handler p50 / p99", f"{p50 * us:.0f} us / {p99 * us:.0f} us")
    REPORT.figure(
        SECTION, "floor (construct_event) p50 / p99", f"{f50 * us:.0f} us / {f99 * us:.0f} us"
    )
    REPORT.figure(SECTION, "handler / floor (p50)", f"{ratio:.2f}x", "<= 3x", ratio <= 3)
    REPORT.figure(SECTION, "events per second, one thread", f"{per_second:.0f}", "> 1000",
                  per_second > 1000)  # fmt: skip
    REPORT.figure(SECTION, "events per CPU-second", f"{per_cpu_second:.0f}")
    REPORT.figure(
        SECTION,
        "archive append alone (DuckDB, one row) p50 / p99",
        f"{a50 * us:.0f} us / {percentile(append, 0.99) * us:.0f} us",
    )
    REPORT.figure(
        SECTION,
        "handler / (floor + archive append) (p50)",
        f"{median(handler) / (median(floor) + median(append)):.2f}x",
    )
    n50 = percentile(no_archive, 0.5)
    REPORT.figure(
        SECTION,
        "handler with the archive write stubbed out: p50, / floor, events/s",
        f"{n50 * us:.0f} us, {median(no_archive) / median(floor):.2f}x, "
        f"{len(no_archive) / sum(no_archive):.0f}/s",
    )
    REPORT.values["webhook_ratio"] = ratio
    REPORT.note(
        SECTION,
        "Fixed on the way: the webhook secret is read once and kept for 5 minutes (re-read "
        "early after a signature mismatch, at most once a second) instead of once per delivery; "
        "with the local secrets file that read cost about 0.1 ms per event (profiled).",
    )
    if ratio > 3 or per_second <= 1000:
        REPORT.note(
            SECTION,
            f"**Gap: the archive write.** With the archive write stubbed out, the same handler "
            f"takes {n50 * us:.0f} us p50, {median(no_archive) / median(floor):.2f}x the floor "
            f"and {len(no_archive) / sum(no_archive):.0f} events/s on one thread: verify, parse, "
            "enqueue, the log line and the response together cost less than `construct_event` "
            "alone (which builds StripeObjects). With it, the handler takes "
            f"{p50 * us:.0f} us; the DuckDB append alone (one INSERT and its commit) measures "
            f"{a50 * us:.0f} us p50 in this run. The row must be durable before the 2xx, since "
            "Stripe's retry is the only other copy, so writes cannot be batched across "
            "deliveries; what is left is DuckDB's fixed cost per statement and commit, in an "
            "adapter outside this suite. In production the same write is a BigQuery streaming "
            "insert (a network round trip), and throughput comes from many deliveries in flight "
            "per instance, not from one thread.",
        )
    REPORT.note(
        SECTION,
        f"{len(handler)} signed `invoice_month` events through `functions.stripe_webhook` "
        "called in-process with a Flask request (verify, parse, archive to DuckDB, enqueue on "
        "the in-process queue, one JSON log line), against `stripe.Webhook.construct_event` on "
        f"the same bodies, alternating in {ROUNDS} rounds.",
    )
