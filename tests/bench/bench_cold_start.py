"""2. Cold start: import time and peak memory of each function module, in fresh interpreters."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.bench.report import REPORT, ROOT

SECTION = "2. Cold start"
REPEATS = 3
HEAVY = (
    "pydantic_settings", "stripe", "quickbooks", "intuitlib.client", "reportlab.pdfgen", "duckdb",
    "sqlglot", "google.cloud.bigquery", "google.cloud.tasks_v2", "google.cloud.secretmanager",
)  # fmt: skip
# Each child: import the module, then build what its first request builds (no network), with
# markers on stderr between the phases so that -X importtime's lines can be told apart.
CHILD = """
import json, resource, sys
sys.stderr.write("@@import\\n")
import {module}
sys.stderr.write("@@deps\\n")
from shared import bootstrap
{build}
sys.stderr.write("@@end\\n")
print(json.dumps({{"maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                   "heavy": [m for m in {heavy!r} if m in sys.modules]}}))
"""
TARGETS = {
    "framework only": ("functions_framework", "pass"),
    "stripe_webhook": ("functions.stripe_webhook", "bootstrap.ingest_deps()"),
    "sync_worker": ("functions.sync_worker", "bootstrap.sync_deps()"),
}


def _phases(stderr: str) -> dict[str, float]:
    """Seconds of imports per phase (the cumulative time of each top-level import in it), and
    the cumulative time of each heavy package wherever it was first imported."""
    totals = {"import": 0.0, "deps": 0.0}
    phase = None
    for line in stderr.splitlines():
        if line.startswith("@@"):
            phase = line[2:].strip()
            continue
        if phase not in totals or not line.startswith("import time:"):
            continue
        _, cumulative, name = (part for part in line.split("|"))
        if not name.startswith("  ") and name.strip():  # top level: one space after the bar
            totals[phase] += int(cumulative) / 1e6
        if name.strip() in HEAVY:
            totals["pkg:" + name.strip()] = int(cumulative) / 1e6
    return totals


def _run(module: str, build: str, state_dir: Path) -> dict[str, Any]:
    env = {**os.environ, "SYNC_STATE_DIR": str(state_dir), "PYTHONDONTWRITEBYTECODE": "1"}
    code = CHILD.format(module=module, build=build, heavy=HEAVY)
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result.update(_phases(done.stderr))
    return result


def test_cold_start(tmp_path: Path) -> None:
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in TARGETS}
    for _ in range(REPEATS):  # interleaved, so load changes hit every target alike
        for name, (module, build) in TARGETS.items():
            runs[name].append(_run(module, build, tmp_path / name))

    def med(name: str, key: str) -> float:
        return statistics.median(float(r.get(key, 0.0)) for r in runs[name])

    base = med("framework only", "import")
    rows = {}
    for name in ("stripe_webhook", "sync_worker"):
        module_s, deps_s = med(name, "import"), med(name, "deps")
        rows[name] = (module_s, deps_s)
        REPORT.figure(
            SECTION,
            f"{name}: module import / + first-request adapters / peak RSS",
            f"{module_s * 1000:.0f} ms / {(module_s + deps_s) * 1000:.0f} ms / "
            f"{med(name, 'maxrss_kb') / 1024:.0f} MiB",
        )
        loaded = [str(p) for p in runs[name][0]["heavy"]]
        costs = [f"{p} {med(name, 'pkg:' + p) * 1000:.0f} ms" for p in loaded]
        REPORT.figure(SECTION, f"{name}: heavy packages it loads", ", ".join(costs) or "none")
    REPORT.figure(SECTION, "functions_framework alone (both pay it)", f"{base * 1000:.0f} ms")
    hook, work = rows["stripe_webhook"], rows["sync_worker"]
    own = (hook[0] + hook[1] - base) / (work[0] + work[1] - base)
    REPORT.figure(
        SECTION,
        "webhook / worker, own imports (module + adapters, beyond the framework)",
        f"{own:.2f}", "< 0.33", own < 1 / 3,
    )  # fmt: skip
    whole = (hook[0] + hook[1]) / (work[0] + work[1])
    REPORT.figure(SECTION, "webhook / worker, everything imported", f"{whole:.2f}")
    module_only = hook[0] / work[0]
    REPORT.figure(SECTION, "webhook / worker, module import only", f"{module_only:.2f}")
    if own >= 1 / 3:
        REPORT.note(
            SECTION,
            "**Gap: both functions share what dominates.** The webhook imports nothing of the "
            "worker's (no QBO client, no reportlab, no posting code, and no `stripe`: it checks "
            "signatures with hmac): its own imports are settings (pydantic-settings) and, on the "
            "embedded backends, DuckDB plus sqlglot (which translates the BigQuery DDL when the "
            "embedded warehouse opens); the per-package figures above are from this run. The "
            "worker pays all of these too and adds only the Stripe and QBO clients, which import "
            "in a fraction of that, so the ratio stays near one. The lever left is in the "
            "warehouse adapters: an embedded warehouse that opens without sqlglot (DDL translated "
            "ahead of time), and in production a BigQuery insert path that does not load the "
            "query machinery.",
        )
    REPORT.note(
        SECTION,
        f"Median of {REPEATS} fresh interpreters each, interleaved. Times are the cumulative "
        "`-X importtime` figures of the top-level imports: the module itself, then what "
        "`bootstrap.ingest_deps()` / `bootstrap.sync_deps()` import when the first request builds "
        "the adapters (embedded backends, no network). Peak RSS is `ru_maxrss` after both. "
        "Cloud Functions loads `functions_framework` (Flask) before the module in either case, "
        "so the target is judged on each function's own imports beyond it.",
    )
