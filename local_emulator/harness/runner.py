"""``stripe-qbo-sync run``: deliver a scenario through the local stack and report."""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from local_emulator.checks.books import StripeBooks, Violation
from local_emulator.checks.invariants import check_books
from local_emulator.harness.scenario import FaultSpec, Scenario
from local_emulator.harness.stack import LocalStack
from shared.domain.money import decimal_from_minor

JsonDict = dict[str, Any]
Mode = Literal["webhooks", "backfill", "daily"]
DAY = 86_400
# Violations that mean a Stripe object is not in QBO exactly once.
ONCE_RULES = ("duplicate", "missing", "unexpected", "unattributed")
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


def to_jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def invoice_summary(
    stripe: StripeBooks, qbo_state: JsonDict, violations: list[Violation]
) -> JsonDict:
    """Invoices on both sides, from the checker's view: a voided invoice counts 0 on both."""
    stripe_totals: Counter[str] = Counter()
    qbo_totals: Counter[str] = Counter()
    for invoice in stripe.invoices():
        currency = str(invoice["currency"]).lower()
        if invoice["status"] != "void":
            stripe_totals[currency] += decimal_from_minor(int(invoice["total"]), currency)  # type: ignore[assignment]
        for doc in qbo_found_invoices(qbo_state, str(invoice["id"])):
            qbo_totals[currency] += Decimal(str(doc.get("TotalAmt", "0")))  # type: ignore[assignment]
    rules = Counter(v.rule for v in violations)
    return {
        "stripe_invoices": len(stripe.invoices()),
        "qbo_invoices": len(qbo_state.get("Invoice", [])),
        "exactly_one_each": not any(rules[r] for r in ONCE_RULES),
        "duplicates": rules["duplicate"],
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
        **counts.columns(),
    }


def qbo_found_invoices(qbo_state: JsonDict, invoice_id: str) -> list[JsonDict]:
    return [
        doc
        for doc in qbo_state.get("Invoice", [])
        if f"Stripe invoice {invoice_id}" in str(doc.get("PrivateNote") or "")
    ]


def check_summary(violations: list[Violation]) -> JsonDict:
    """What ``stripe-qbo-sync check`` says of the same books, by rule."""
    return {
        "violations": len(violations),
        "by_rule": dict(sorted(Counter(v.rule for v in violations).items())),
        "first": [f"{v.rule} {v.stripe_id}: {v.detail}" for v in violations[:20]],
    }


def deliver_daily(
    stack: LocalStack, scenario: Scenario, progress: Progress
) -> tuple[list[tuple[str, int]], Any]:
    """Day by day: the fake Stripe holds what the file says of that day's end, that day's events
    are delivered and their tasks run, so a sync sees an object as Stripe had it then (a payout
    paid but not yet reconciled). At the end it holds the file's final state, as Stripe now."""
    days = sorted({int(e.get("created") or 0) // DAY for e in scenario.events})
    attempts: list[tuple[str, int]] = []
    drained: Any = {}
    deliverer = stack.deliverer()
    from shared.adapters.stripe_reads import MAX_AGE_SECONDS

    for day in days:
        # the events are old, so a read cached on an earlier day would count as fresh for
        # them; past the cache's age limit none serves (the stack's clock only skips waits)
        stack.clock.advance(MAX_AGE_SECONDS + 1)
        for obj in scenario.seed_state(until=(day + 1) * DAY):
            stack.fake_stripe.seed_object(obj)
        todays = [e for e in scenario.events if int(e.get("created") or 0) // DAY == day]
        attempts += deliverer.deliver(todays).attempts
        drained = stack.queue.drain()
    for obj in scenario.seed_state():  # Stripe as it is now: what the checker reads
        stack.fake_stripe.seed_object(obj)
    progress(f"delivered {len(attempts)} requests over {len(days)} days; tasks done")
    return attempts, drained


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
    company: str = "us",
    books: Path | None = None,
) -> RunResult:
    """Seed, deliver, drain; ``after_drain`` runs inside the stack before it stops (e.g. a
    reconcile, which needs the fakes); ``prepare`` before anything is delivered (e.g. fill the
    fake QBO with existing books). ``mode="backfill"``: seed, deliver no webhook, and backfill
    the whole range from the fake Stripe's lists instead; ``mode="daily"``: deliver day by day
    with the fake Stripe's state as of each day (``deliver_daily``). ``company``: the fake
    QBO's profile; ``books``: the books file (default: the profile's own, if it has one)."""
    started = time.monotonic()
    out_dir.mkdir(parents=True, exist_ok=True)
    seeded = scenario.seed_state()
    backfill: JsonDict | None = None
    stack_at = LocalStack(
        out_dir / ".state", seed=seed, faults=faults, qbo_profile=company, books_file=books
    )
    with stack_at as stack:
        for obj in seeded if mode != "daily" else ():  # daily: each day's state, day by day
            stack.fake_stripe.seed_object(obj)
        if prepare is not None:
            prepare(stack)  # e.g. books that exist before the sync
        if mode == "backfill":
            attempts: list[tuple[str, int]] = []
            backfill = backfill_everything(seeded, progress)
            drained: Any = {}
        elif mode == "daily":
            attempts, drained = deliver_daily(stack, scenario, progress)
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
    stripe = StripeBooks(o for o in seeded if o.get("object") != "event")
    violations = check_books(stripe, to_jsonable(qbo_state))
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
        "tasks": to_jsonable(drained.__dict__ if hasattr(drained, "__dict__") else drained),
        "tasks_exhausted": exhausted,
        "objects": {
            "synced": dict(sorted(synced.items())),
            "skipped": [to_jsonable(row) for row in skipped],
            "by_outcome": [to_jsonable(row) for row in outcomes],
            "failed": [to_jsonable(row) for row in failures],
        },
        "qbo_requests": dict(sorted(qbo_requests.items())),
        # Bodies the fake QBO's request-schema check refused, by rule: 0 for a correct sync.
        "schema_refused": {
            key.removeprefix("schema_refused."): n
            for key, n in sorted(qbo_requests.items())
            if key.startswith("schema_refused.")
        },
        "invoices": invoice_summary(stripe, qbo_state, violations),
        "check": check_summary(violations),
        "faults": {**faults.qbo, **faults.delivery, **faults.stripe},
        "company": company,
        "seed": seed,
        "seconds": round(time.monotonic() - started, 2),
    }
    summary["all_processed"] = summary["events"]["rejected"] == 0 and not exhausted
    if backfill is not None:
        summary["backfill"] = backfill
        summary["all_processed"] = backfill["status"] == "COMPLETED"
    links_out = [to_jsonable(link) for link in links]
    (out_dir / "qbo.json").write_text(json.dumps(to_jsonable(qbo_state), indent=2))
    (out_dir / "links.json").write_text(json.dumps(links_out, indent=2))
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2))
    return RunResult(summary, qbo_state, links_out)
