"""Fairness: a realm that QBO throttles without end does not stall another tenant. The throttled
tenant's tasks are answered 2xx and scheduled again (Intuit asks for 60 s), so they hold no
worker while they wait; the other tenant's books complete meanwhile, and the throttled one's
complete once its realm answers again, each against its own account."""

from __future__ import annotations

from pathlib import Path

from local_emulator.checks.books import StripeBooks
from local_emulator.checks.invariants import check_books
from local_emulator.generator import generate_month
from local_emulator.harness.runner import to_jsonable
from local_emulator.harness.scenario import (
    interleave,
    scenario_of_lines,
    split_by_account,
    with_account,
)
from local_emulator.harness.stack import LocalStack

THROTTLED, CALM = "acct_1Throttled", "acct_1Calm"
TENANTS = {THROTTLED: "9130350000000002", CALM: "9130350000000003"}


def books_agree(stack: LocalStack, account: str, seeded: list[dict[str, object]]) -> list[str]:
    stripe = StripeBooks(o for o in seeded if o.get("object") != "event")
    state = to_jsonable(stack.qbo_for(TENANTS[account]).state_json())
    return [f"{v.rule} {v.stripe_id}" for v in check_books(stripe, state)]


def test_a_throttled_realm_does_not_stall_another_tenant(tmp_path: Path) -> None:
    lines = interleave(
        with_account(generate_month(11, customers=3, invoices=6, currencies=("usd",)), THROTTLED),
        with_account(generate_month(12, customers=3, invoices=6, currencies=("usd",)), CALM),
    )
    scenario = scenario_of_lines(lines)
    parts = split_by_account(scenario)
    seeded = {account: part.seed_state() for account, part in parts.items() if account}
    with LocalStack(tmp_path / "state", tenants=TENANTS) as stack:
        for account, objects in seeded.items():
            for obj in objects:
                stack.stripe_for(account).seed_object(obj)
        stack.qbo_for(TENANTS[THROTTLED]).faults.set("qbo_429", 1.0)  # every request: 429
        assert not stack.deliverer().deliver(scenario.events).failed
        stack.queue.drain(max_seconds=20)
        assert books_agree(stack, CALM, seeded[CALM]) == []
        throttled = stack.qbo_for(TENANTS[THROTTLED])
        assert "Invoice" not in throttled.state_json()
        assert stack.queue.pending_count() > 0 and not stack.queue.exhausted_tasks()
        throttled.faults.set("qbo_429", 0.0)  # the realm answers again
        stack.queue.drain()
        assert books_agree(stack, THROTTLED, seeded[THROTTLED]) == []
        assert books_agree(stack, CALM, seeded[CALM]) == []
