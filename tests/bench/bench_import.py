"""6. Import: a 100,000-object backfill (Stripe's list APIs, the worker's code, QBO batches)
against the fake QBO's limits on a scaled clock, reported against the ceiling that binds and
as the time it would take at real scale.

The fake Stripe (holding the history) and the fake QBO each run in a process of their own; the
backfill runs here, with the embedded warehouse. ``SYNC_BENCH_IMPORT_OBJECTS`` makes the import
smaller for a quick look (the figures then say so).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from shared import bootstrap
from shared.services.backfill import BackfillRequest
from shared.services.runs import Run
from tests.bench.qbo_server_process import CLIENT_ID, CLIENT_SECRET
from tests.bench.report import REPORT, ROOT
from tests.bench.support import embedded_environment

SECTION = "6. Import (backfill)"
OBJECTS = int(os.environ.get("SYNC_BENCH_IMPORT_OBJECTS", "100000"))
REQUEST_MODE_OBJECTS = max(1, OBJECTS // 5)
PROBE = 3_000
# The scaled ceiling sits at this share of what client + fakes do unthrottled. The client shares
# this machine's two cores with both fakes: at 0.75 (17x on 2026-12-04) the client set the pace,
# not QBO's limits (batches of 8.7 creates where 12.5 fill both limits; 0.894 of the 40 a minute).
HEADROOM = 0.5
MAX_SCALE = 60.0
PER_MINUTE = 500  # requests per minute per realm
BATCHES_PER_MINUTE = 40  # batch requests per minute per realm and app
BATCH_ITEMS = 30
SINGLE_CALLS = ("query", "read", "update", "void", "delete")


@dataclass
class Measured:
    run: Run
    seconds: float
    scale: float
    counts: dict[str, int]
    round_trip: float  # mean real seconds a batch held its slot, from sending to its answer

    @property
    def minutes(self) -> float:
        """Scaled minutes the import took (one is one real minute of QBO's limits)."""
        return self.seconds * self.scale / 60

    @property
    def batches(self) -> int:
        return self.counts.get("batch", 0)

    @property
    def singles(self) -> int:
        return sum(self.counts.get(k, 0) for k in SINGLE_CALLS)

    @property
    def per_batch(self) -> float:
        return self.payloads / max(self.batches, 1)

    @property
    def payloads(self) -> int:
        """Creates inside batches (the fake counts a batch's creates as creates)."""
        return self.counts.get("create", 0)


def _process(module: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", module, *args],
        cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip


def _ask(process: subprocess.Popen[str]) -> dict[str, Any]:
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write("counts\n")
    process.stdin.flush()
    answer: dict[str, Any] = json.loads(process.stdout.readline())
    return answer


@contextmanager
def fakes(objects: int, scale: float, counting: str) -> Iterator[tuple[Any, Any, Any, Any]]:
    stripe = _process("tests.bench.stripe_server_process", str(objects), "1")
    qbo = _process("tests.bench.qbo_server_process", str(scale), counting)
    try:
        assert stripe.stdout is not None and qbo.stdout is not None
        yield stripe, json.loads(stripe.stdout.readline()), qbo, json.loads(qbo.stdout.readline())
    finally:
        for process in (stripe, qbo):
            if process.stdin is not None:
                process.stdin.close()
            process.wait(timeout=60)


def run_import(tmp: Path, objects: int, scale: float, counting: str = "items") -> Measured:
    with fakes(objects, scale, counting) as (_, stripe, qbo_process, qbo):
        state = tmp / f"import-{objects}-{scale:g}-{counting}"
        extra = {
            "SYNC_STRIPE_API_BASE": stripe["base_url"],
            "SYNC_QBO_BASE_URL": qbo["base_url"],
            "SYNC_QBO_DISCOVERY_URL": qbo["discovery_url"],
            "SYNC_QBO_REALM_ID": qbo["realm_id"],
            "SYNC_QBO_TIME_SCALE": str(scale),
            "SYNC_QBO_BATCH_COUNTING": counting,
        }
        with embedded_environment(state, **extra):
            secrets = {
                "stripe-secret-key": stripe["api_key"],
                "qbo-client-id": CLIENT_ID,
                "qbo-client-secret": CLIENT_SECRET,
                "qbo-refresh-token": qbo["refresh_token"],
            }
            (state / "secrets.json").write_text(json.dumps(secrets), encoding="utf-8")
            started = time.perf_counter()
            with bootstrap.backfill() as use_case:
                run = use_case.run(BackfillRequest(since=datetime(2020, 1, 1, tzinfo=UTC)))
                writer = use_case.deps.sync.qbo.writer  # type: ignore[attr-defined]
            seconds = time.perf_counter() - started
        counts = _ask(qbo_process)
    round_trip = writer.seconds_in_flight / max(writer.batches_sent, 1)
    return Measured(run, seconds, scale, counts, round_trip)


def _scale(probe: Measured, units: int, ceiling: float) -> float:
    """The clock scale that puts ``ceiling`` (units per minute) at HEADROOM of the ``units``
    per second the machine did unthrottled in ``probe``."""
    per_second = units / probe.seconds
    return min(MAX_SCALE, max(1.0, int(HEADROOM * per_second * 60 / ceiling)))


def _units(measured: Measured) -> float:
    return (measured.payloads + measured.singles) / max(measured.minutes, 1e-9)


@pytest.mark.timeout(7200)
def test_import_at_the_ceiling_that_binds(tmp_path: Path) -> None:
    probe = run_import(tmp_path, PROBE, 1e6)
    probe_units = probe.payloads + probe.singles
    scale = _scale(probe, probe_units, PER_MINUTE)
    measured = run_import(tmp_path, OBJECTS, scale)
    run = measured.run
    units_per_minute = _units(measured)
    batches_per_minute = measured.batches / measured.minutes
    ratios = {
        f"{PER_MINUTE} requests/min (each batch payload counts)": units_per_minute / PER_MINUTE,
        f"{BATCHES_PER_MINUTE} batches/min": batches_per_minute / BATCHES_PER_MINUTE,
    }
    binding = max(ratios, key=lambda k: ratios[k])
    throttled = measured.counts.get("throttled", 0)
    REPORT.figure(
        SECTION, f"import of {OBJECTS} objects: run",
        f"{run.status}: {run.counts.listed} listed, {run.counts.created} posted, "
        f"{run.counts.skipped} skipped, {run.counts.failed} failed; {measured.payloads} QBO "
        f"creates in {measured.batches} batches ({measured.per_batch:.1f} per batch), "
        f"{measured.singles} single requests, {run.counts.stripe_calls} Stripe calls",
    )  # fmt: skip
    REPORT.figure(
        SECTION, "import: unthrottled capacity (sets the clock scale)",
        f"{PROBE / probe.seconds:.0f} objects/s, {probe_units / probe.seconds:.0f} QBO request "
        f"units/s; scale {scale:g}x",
    )  # fmt: skip
    REPORT.figure(
        SECTION, f"import: achieved / the ceiling that binds ({binding})",
        f"{ratios[binding]:.3f} ({units_per_minute:.0f} units and {batches_per_minute:.1f} "
        f"batches per scaled minute; {measured.seconds:.0f} s at {scale:g}x)",
        ">= 0.9", ratios[binding] >= 0.9,
    )  # fmt: skip
    held = measured.round_trip * scale  # scaled seconds a batch holds its slot before the window
    allowed = 60 / (60 + held)
    REPORT.figure(
        SECTION, "import: what safe pacing allows at this scale",
        f"{allowed:.3f} of the ceiling: a batch's slot is free a window after its answer (QBO "
        f"may count it any time before), and its round trip took {measured.round_trip * 1000:.0f}"
        f" ms, {held:.1f} s of a 60 s window at {scale:g}x (at real scale the same round trip "
        f"would cost {measured.round_trip / 60:.1%}); achieved / allowed: "
        f"{ratios[binding] / allowed:.3f}",
    )  # fmt: skip
    REPORT.figure(
        SECTION, "import: throttled (429s from QBO) / objects failed",
        f"{throttled} / {run.counts.failed}", "0", throttled == 0 and run.counts.failed == 0,
    )  # fmt: skip
    real_hours = measured.minutes / 60
    other = max(measured.batches / BATCHES_PER_MINUTE, measured.singles / PER_MINUTE) / 60
    REPORT.figure(
        SECTION, f"import of {OBJECTS} objects at real scale",
        f"{real_hours:.1f} h ({OBJECTS / real_hours:.0f} objects/h) as Intuit's limits are read "
        f"here (each payload counts); {other:.1f} h if a batch counted once",
    )  # fmt: skip
    REPORT.note(
        SECTION,
        f"A synthetic year (tests/bench/import_data.py: customers, products, invoices of which "
        f"60 % paid with their invoice payments and charges, and charges without an invoice) "
        f"in a fake Stripe, backfilled by `bootstrap.backfill()` into a fake QBO that enforces "
        f"Intuit's limits on a clock scaled {scale:g}x: 500 requests per minute per realm with "
        "every batch payload counted, 40 batch requests per minute per realm and app, 120 per "
        "realm, 10 at once (sources in local_emulator/fakes/qbo/throttle.py). Each fake runs "
        "in its own process; the scale is chosen from an unthrottled import of "
        f"{PROBE} objects so that the ceiling sits at {HEADROOM:.0%} of what this machine did: "
        "the limit measured is QBO's, not the machine's. Request units are batch payloads "
        "plus single requests (lookups, exchange rates).",
    )


@pytest.mark.timeout(3600)
def test_import_when_a_batch_counts_once(tmp_path: Path) -> None:
    """The other reading of Intuit's text: 40 batches of 30 per minute bind, not the 500."""
    probe = run_import(tmp_path, PROBE, 1e6, "request")
    scale = _scale(probe, probe.payloads, BATCHES_PER_MINUTE * BATCH_ITEMS)
    measured = run_import(tmp_path, REQUEST_MODE_OBJECTS, scale, "request")
    items_per_minute = measured.payloads / measured.minutes
    ceiling = BATCHES_PER_MINUTE * BATCH_ITEMS
    throttled = measured.counts.get("throttled", 0)
    REPORT.figure(
        SECTION, f"batch counted once: import of {REQUEST_MODE_OBJECTS} objects, achieved / "
        f"{BATCHES_PER_MINUTE} x {BATCH_ITEMS} = {ceiling} payloads/min",
        f"{items_per_minute / ceiling:.3f} ({measured.per_batch:.1f} per batch; {throttled} "
        f"throttled, {measured.run.counts.failed} failed; SYNC_QBO_BATCH_COUNTING=request)",
    )  # fmt: skip
