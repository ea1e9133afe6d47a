"""``stripe-qbo-sync run``: deliver a scenario through the local stack and report."""

from __future__ import annotations

import json
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from local_emulator.harness.scenario import FaultSpec, Scenario
from local_emulator.harness.stack import LocalStack
from shared.domain.money import decimal_from_minor

JsonDict = dict[str, Any]
Mode = Literal["webhooks", "backfill"]
STRIPE_ID_IN_NOTE = re.compile(r"Stripe invoice (in_[A-Za-z0-9_]+)")
Progress = Callable[[str], None]


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass
class RunResult:
    summary: JsonDict
    qbo_state: JsonDict
    links: list[JsonDict]

    @property
    def all_processed(self) -> bool:
        return bool(self.summary["all_processed"])


def _to_jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_to_jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def invoice_check(seeded: list[JsonDict], qbo_state: JsonDict) -> JsonDict:
    """Stripe's accounting invoices against QBO's, matched by the Stripe id in PrivateNote.

    Independent of the link table on purpose: it finds duplicates the links would hide.
    """
    stripe_invoices = {
        o["id"]: o for o in seeded if o.get("object") == "invoice" and o.get("status") != "draft"
    }
    by_stripe_id: dict[str, list[JsonDict]] = {}
    for doc in qbo_state.get("Invoice", []):
        match = STRIPE_ID_IN_NOTE.search(str(doc.get("PrivateNote") or ""))
        by_stripe_id.setdefault(match.group(1) if match else "?", []).append(doc)
    stripe_totals: Counter[str] = Counter()
    qbo_totals: Counter[str] = Counter()
    mismatched = []
    for invoice_id, invoice in stripe_invoices.items():
        currency = str(invoice["currency"]).lower()
        expected = decimal_from_minor(int(invoice["total"]), currency)
        stripe_totals[currency] += expected  # type: ignore[assignment]
        docs = by_stripe_id.get(invoice_id, [])
        for doc in docs:
            qbo_totals[currency] += Decimal(str(doc.get("TotalAmt", "0")))  # type: ignore[assignment]
        if len(docs) == 1 and Decimal(str(docs[0].get("TotalAmt", "0"))) != expected:
            mismatched.append(invoice_id)
    duplicates = sum(len(d) - 1 for d in by_stripe_id.values() if len(d) > 1)
    missing = sorted(i for i in stripe_invoices if i not in by_stripe_id)
    strays = sorted(k for k in by_stripe_id if k not in stripe_invoices)
    return {
        "stripe_invoices": len(stripe_invoices),
        "qbo_invoices": len(qbo_state.get("Invoice", [])),
        "exactly_one_each": not duplicates and not missing and not strays,
        "duplicates": duplicates,
        "missing_in_qbo": missing,
        "not_in_stripe": strays,
        "total_mismatches": mismatched,
        "stripe_totals": {c: str(v) for c, v in sorted(stripe_totals.items())},
        "qbo_totals": {c: str(v) for c, v in sorted(qbo_totals.items())},
        "totals_equal": stripe_totals == qbo_totals,
    }


def backfill_everything(seeded: list[JsonDict], progress: Progress) -> JsonDict:
    """Backfill every type over the whole range of the seeded objects (the stack is running)."""
    from shared import bootstrap
    from shared.services.backfill import BackfillRequest

    created = [int(o.get("created") or 0) for o in seeded if o.get("object") != "event"]
    since = datetime.fromtimestamp(min(created, default=0), UTC)
    progress(f"seeded {len(seeded)} objects; backfilling from {since.date()} (no webhooks)")
    with bootstrap.backfill() as use_case:
        run = use_case.run(BackfillRequest(since=since))
    counts = run.counts
    progress(f"backfill {run.run_id}: {run.status}, {counts.listed} objects listed")
    return {
        "run_id": run.run_id,
        "status": run.status,
        "objects_listed": counts.listed,
        "objects_created": counts.created,
        "objects_skipped": counts.skipped,
        "objects_failed": counts.failed,
        "qbo_calls": counts.qbo_calls,
        "stripe_calls": counts.stripe_calls,
    }


def run_scenario(
    scenario: Scenario,
    out_dir: Path,
    *,
    faults: FaultSpec,
    seed: int = 0,
    progress: Progress = _stderr,
    after_drain: Callable[[LocalStack], None] | None = None,
    mode: Mode = "webhooks",
    prepare: Callable[[LocalStack], None] | None = None,
) -> RunResult:
    """Seed, deliver, drain; ``after_drain`` runs inside the stack before it stops (e.g. a
    reconcile, which needs the fakes); ``prepare`` before anything is delivered (e.g. fill the
    fake QBO with existing books). ``mode="backfill"``: seed, deliver no webhook, and backfill
    the whole range from the fake Stripe's lists instead."""
    started = time.monotonic()
    out_dir.mkdir(parents=True, exist_ok=True)
    seeded = scenario.seed_state()
    backfill: JsonDict | None = None
    with LocalStack(out_dir / ".state", seed=seed, faults=faults) as stack:
        for obj in seeded:
            stack.fake_stripe.seed_object(obj)
        if prepare is not None:
            prepare(stack)  # e.g. books that exist before the sync
        if mode == "backfill":
            attempts: list[tuple[str, int]] = []
            backfill = backfill_everything(seeded, progress)
            drained: Any = {}
        else:
            progress(f"seeded {len(seeded)} objects; delivering {len(scenario.events)} events")
            attempts = list(stack.deliverer().deliver(scenario.events).attempts)
            progress(f"delivered {len(attempts)} requests; running tasks")
            drained = stack.queue.drain()
            progress(f"tasks done: {drained}")
        if after_drain is not None:
            after_drain(stack)
        warehouse = stack.warehouse
        links = warehouse.query("SELECT * FROM sync_links_current ORDER BY stripe_object_id")
        outcomes = warehouse.query(
            "SELECT object_type, outcome, COUNT(DISTINCT object_id) AS objects "
            "FROM sync_log GROUP BY object_type, outcome ORDER BY object_type, outcome"
        )
        skipped = warehouse.query(
            "SELECT object_type, object_id, MAX(detail) AS reason FROM sync_log "
            "GROUP BY object_type, object_id HAVING COUNTIF(outcome != 'SKIPPED') = 0 "
            "ORDER BY object_type, object_id"
        )
        failures = warehouse.query(
            "SELECT stripe_object_id, stripe_object_type, last_error_class, last_error_code, "
            "last_error FROM sync_links_current WHERE status = 'FAILED' "
            "ORDER BY stripe_object_id"
        )
        qbo_state = stack.fake_qbo.state_json()
        qbo_requests = stack.fake_qbo.request_counts()
        exhausted = [item.task.name for item in stack.queue.exhausted_tasks()]
    statuses = Counter(status for _, status in attempts)
    received = sum(n for s, n in statuses.items() if 200 <= s < 300)
    synced = Counter(
        str(link["stripe_object_type"]) for link in links if link["status"] == "COMPLETED"
    )
    summary: JsonDict = {
        "events": {
            "in_file": len(scenario.events),
            "unique": len({e["id"] for e in scenario.events}),
            "deliveries": len(attempts),
            "received": received,
            "rejected": len(attempts) - received,
            "by_status": {str(s): n for s, n in sorted(statuses.items())},
        },
        "tasks": _to_jsonable(drained.__dict__ if hasattr(drained, "__dict__") else drained),
        "tasks_exhausted": exhausted,
        "objects": {
            "synced": dict(sorted(synced.items())),
            "skipped": [_to_jsonable(row) for row in skipped],
            "by_outcome": [_to_jsonable(row) for row in outcomes],
            "failed": [_to_jsonable(row) for row in failures],
        },
        "qbo_requests": dict(sorted(qbo_requests.items())),
        "invoices": invoice_check(seeded, qbo_state),
        "faults": {**faults.qbo, **faults.delivery, **faults.stripe},
        "seed": seed,
        "seconds": round(time.monotonic() - started, 2),
    }
    summary["all_processed"] = summary["events"]["rejected"] == 0 and not exhausted
    if backfill is not None:
        summary["backfill"] = backfill
        summary["all_processed"] = backfill["status"] == "COMPLETED"
    links_out = [_to_jsonable(link) for link in links]
    (out_dir / "qbo.json").write_text(json.dumps(_to_jsonable(qbo_state), indent=2))
    (out_dir / "links.json").write_text(json.dumps(links_out, indent=2))
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2))
    return RunResult(summary, qbo_state, links_out)
