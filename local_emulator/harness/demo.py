"""``stripe-qbo-sync demo``: the product end to end on the embedded stack, in about a minute.

A scripted month (``generator.demo_story``) is seeded into the fake Stripe; the sample ledger
settlements are billed through the settlement poll (the real ``stripe`` client against the fake);
every event is delivered through the signed webhook, some twice and out of order, while the
fake QBO answers 429s, 5xxs and drops responses; the queue runs every task; the daily reconcile
runs; the one checker judges QBO's books against Stripe's. Prints both sides in one table,
writes the reconciliation report PDF, the books and the events beside it, and says where the
warehouse is and what to try next.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import stripe

from local_emulator.checks.books import StripeBooks, Violation
from local_emulator.checks.invariants import check_books
from local_emulator.generator.core import MONTH_START
from local_emulator.generator.demo_story import CUSTOMERS, demo_month
from local_emulator.generator.settlements import create_sample_customers, seed_sample_settlements
from local_emulator.generator.taxes import HOME_CURRENCY
from local_emulator.harness.demo_table import demo_table, next_steps
from local_emulator.harness.runner import to_jsonable
from local_emulator.harness.scenario import FaultSpec, Scenario, write_scenario
from local_emulator.harness.stack import STRIPE_KEY, LocalStack
from shared import bootstrap
from shared.cli import output
from shared.reports.data import load_report_data
from shared.reports.pdf import render_report

__all__ = ["CUSTOMERS", "DemoOutcome", "run_demo"]
FAULTS = FaultSpec(
    qbo={"qbo_429": 0.05, "qbo_5xx": 0.05, "qbo_drop_response": 0.05},
    delivery={"duplicate": 0.3, "out_of_order": 0.3},
    stripe={},
)
QBO_KNOBS = ("qbo_429", "qbo_5xx", "qbo_drop_response", "qbo_timeout")
REPORT_NAME = "reconciliation_report.pdf"
STATUS_SQL = "SELECT status, COUNT(*) AS n FROM payout_reconciliations_current GROUP BY status"


@dataclass
class DemoOutcome:
    """What the demo found; ``ok`` when both sides agree everywhere."""

    stripe: StripeBooks
    qbo_state: dict[str, Any]
    violations: list[Violation]
    settlements_billed: int
    payout_statuses: dict[str, int]
    findings: dict[str, int]  # reconcile's open findings by kind
    deliveries: int
    retried: int
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """The books agree: the checker finds nothing and every payout balances. Reconcile's
        findings are shown beside it; the ones only reconcile can raise (a person's edit in
        QBO, a stuck link) cannot happen in the demo unless reconcile itself is wrong."""
        return not self.violations and not self.payout_statuses.get("MISMATCH")


def _bill_settlements(stack: LocalStack, currency: str) -> int:
    """The sample ledger settlements in the company's home currency become Stripe invoices
    through the poll's own code."""
    client = stripe.StripeClient(STRIPE_KEY, base_addresses={"api": stack.stripe_server.base_url})
    customers = create_sample_customers(client)
    seed_sample_settlements(stack.warehouse, customers, currencies={currency})
    return int(bootstrap.settlement_poll().run().as_dict()["sent"])


def run_demo(
    out_dir: Path, *, seed: int = 7, company: str = "us", books: Path | None = None
) -> int:
    """Run the demo into ``out_dir``; 0 when Stripe and QBO agree everywhere, else 1.
    ``company``: the fake QBO's profile (its home currency, its tax); ``books``: a books file."""
    month = demo_month(seed, None if company == "us" else company)
    scenario = Scenario(
        events=[x for x in month if x.get("object") == "event"],
        objects=[x for x in month if x.get("object") != "event"],
    )
    state = out_dir / ".state"
    output.note(f"demo: {len(scenario.events)} Stripe events of a month, faults on, into {out_dir}")
    stack_at = LocalStack(state, seed=seed, faults=FAULTS, qbo_profile=company, books_file=books)
    with stack_at as stack:
        for obj in scenario.seed_state():
            stack.fake_stripe.seed_object(obj)
        known = {e["id"] for e in scenario.events}
        settled = _bill_settlements(stack, HOME_CURRENCY[company])
        billed = [e for e in stack.fake_stripe.events() if e["id"] not in known]
        scenario.events += billed
        delivered = stack.deliverer().deliver(scenario.events)
        stats = stack.queue.drain()
        for knob in QBO_KNOBS:
            stack.fake_qbo.faults.set(knob, 0.0)  # reconcile reads QBO calmly, as at night
        since = datetime.fromtimestamp(MONTH_START, UTC) - timedelta(days=1)
        reconciled = bootstrap.reconcile().run(since)
        statuses = {str(r["status"]): int(r["n"]) for r in stack.warehouse.query(STATUS_SQL)}
        out_dir.mkdir(parents=True, exist_ok=True)
        report = out_dir / REPORT_NAME
        report.write_bytes(render_report(load_report_data(stack.warehouse, datetime.now(UTC))))
        qbo_state = to_jsonable(stack.fake_qbo.state_json())
    write_scenario(out_dir / "events.jsonl", [*scenario.objects, *scenario.events])
    (out_dir / "qbo.json").write_text(json.dumps(qbo_state, indent=2), encoding="utf-8")
    stripe_books = StripeBooks(o for o in scenario.seed_state() if o.get("object") != "event")
    outcome = DemoOutcome(
        stripe_books, qbo_state, check_books(stripe_books, qbo_state), settled, statuses,
        dict(Counter(f.kind for f in reconciled.findings)), len(delivered.attempts), stats.retried,
    )  # fmt: skip
    output.show(demo_table(outcome))
    print(next_steps(out_dir, state / "warehouse.duckdb", report, outcome))
    return 0 if outcome.ok else 1
