"""Property: crashes anywhere, concurrent polls and forgotten idempotency keys never yield two
invoices for one settlement, nor a credit used beyond its amount."""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from datetime import timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.adapters.clock import ManualClock
from shared.adapters.duckdb_warehouse import DuckDbWarehouse
from shared.services.settlement_poll import SettlementPoll
from tests.functional.settlement_fakes import (
    T0,
    TAX_RATES,
    CrashingWarehouse,
    CrashSchedule,
    InMemoryStripe,
    SimulatedCrash,
    credit_row,
    settlement_row,
)

crash_points = st.lists(
    st.tuples(st.integers(1, 80), st.sampled_from(["before", "after"])),
    max_size=6,
    unique_by=lambda point: point[0],
)


def poll_once(warehouse: CrashingWarehouse, stripe: InMemoryStripe, clock: ManualClock) -> None:
    with contextlib.suppress(SimulatedCrash):
        SettlementPoll(warehouse, stripe, clock, TAX_RATES).run()


@settings(max_examples=60, deadline=None)
@given(
    crashes=crash_points,
    rounds=st.lists(st.tuples(st.integers(1, 3), st.booleans()), min_size=1, max_size=5),
    settlements=st.integers(1, 4),
    credit_amounts=st.lists(st.integers(1, 300_000), max_size=3),
)
def test_exactly_one_invoice_per_settlement(
    crashes: list[tuple[int, str]],
    rounds: list[tuple[int, bool]],
    settlements: int,
    credit_amounts: list[int],
) -> None:
    inner = DuckDbWarehouse(":memory:")
    schedule = CrashSchedule(crashes)
    stripe = InMemoryStripe(schedule)
    warehouse = CrashingWarehouse(inner, schedule)
    clock = ManualClock(T0)
    inner.append(
        "ledger_settlements",
        [
            settlement_row(f"s{i}", customer_id=f"cus_{i % 2}", completed_at=T0 + timedelta(i))
            for i in range(settlements)
        ],
    )
    credits = {
        f"c{i}": Decimal(cents).scaleb(-2) for i, cents in enumerate(credit_amounts)
    }  # customer cus_0 and cus_1 alternate
    inner.append(
        "settlement_credits",
        [
            credit_row(cid, str(amount), customer_id=f"cus_{i % 2}")
            for i, (cid, amount) in enumerate(credits.items())
        ],
    )

    for parallel, expire_keys in rounds:
        threads = [
            threading.Thread(target=poll_once, args=(warehouse, stripe, clock))
            for _ in range(parallel)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        clock.advance(300)
        if expire_keys:  # the next poll runs more than 24 h later
            stripe.expire_keys()
    schedule.crash_at.clear()
    poll_once(warehouse, stripe, clock)

    per_settlement = Counter(inv["metadata"]["settlement_id"] for inv in stripe.invoices.values())
    assert per_settlement == {f"s{i}": 1 for i in range(settlements)}
    for invoice in stripe.invoices.values():
        lines = invoice["lines"]["data"]
        assert sum(line["amount"] for line in lines) == invoice["total"]
        assert invoice["total"] == int(invoice["metadata"]["settlement_total"])
        assert len({line["metadata"]["settlement_line"] for line in lines}) == len(lines)
        assert invoice["status"] in ("open", "paid")
        if invoice["status"] == "open":
            assert stripe.sent.get(invoice["id"], 0) >= 1
    current = inner.query("SELECT status FROM settlement_invoice_links_current")
    assert [row["status"] for row in current] == ["SENT"] * settlements
    used = inner.query(
        "SELECT credit_id, SUM(applied_amount) AS used FROM settlement_credit_applications_current"
        " GROUP BY credit_id"
    )
    for row in used:
        assert row["used"] <= credits[row["credit_id"]]
    inner.close()
