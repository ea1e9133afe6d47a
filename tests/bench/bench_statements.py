"""Benchmark: statements per second, bytes per statement, poll time per settlement (printed)."""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from decimal import Decimal

from local_emulator.generator.settlements import sample_credit_rows, sample_settlement_rows
from shared.adapters.clock import ManualClock
from shared.adapters.duckdb_warehouse import DuckDbWarehouse
from shared.adapters.stripe_billing import StripeApiBilling
from shared.config import Settings
from shared.domain.settlement import OpenCredit, invoice_plan_from_settlement, settlement_from_row
from shared.services.settlement_poll import SettlementPoll
from shared.statements.model import InvoiceRef, draft_invoice_ref
from shared.statements.pdf import statement_from_settlement, statement_pdf
from tests.functional.settlement_fakes import T0, TAX_RATES, InMemoryStripe, settlement_row
from tests.functional.stripe_fixtures import client_for, running_fake, secrets_for, settings_for

STATEMENTS = 200
SETTLEMENTS = 200
SETTLEMENTS_OVER_HTTP = 40


def test_statements_per_second() -> None:
    rows = sample_settlement_rows()[:3]
    statements = []
    for i in range(STATEMENTS):
        row = dict(rows[i % len(rows)], settlement_id=f"bench_{i:04d}")
        settlement = settlement_from_row(row)
        credit = OpenCredit(f"cred_{i}", "ROLLBACK", settlement.currency, Decimal(i + 1))
        plan = invoice_plan_from_settlement(settlement, [credit], Settings().tax_rates)
        assert plan is not None
        draft = draft_invoice_ref(settlement)
        invoice = InvoiceRef(
            f"SETL-{i:04d}", draft.issued_on, draft.due_on, f"https://pay.test/i/{i}", f"in_{i}"
        )
        statements.append(statement_from_settlement(settlement, plan, invoice))
    statement_pdf(statements[0])  # warm-up: fonts and imports
    started = time.perf_counter()
    sizes = [len(statement_pdf(statement)) for statement in statements]
    elapsed = time.perf_counter() - started
    print(
        f"\nstatements: {STATEMENTS / elapsed:.1f} per second "
        f"({elapsed / STATEMENTS * 1000:.2f} ms each), "
        f"{sum(sizes) / len(sizes):.0f} bytes per statement (min {min(sizes)}, max {max(sizes)})"
    )


def _seed(warehouse: DuckDbWarehouse, count: int, customers: list[str]) -> None:
    warehouse.append(
        "ledger_settlements",
        [
            settlement_row(
                f"bench_{i:04d}",
                customer_id=customers[i % len(customers)],
                completed_at=T0 + timedelta(minutes=i),
            )
            for i in range(count)
        ],
    )
    credits = sample_credit_rows()
    for i, credit in enumerate(credits):
        credit.update(customer_id=customers[i % len(customers)], currency="usd")
    warehouse.append("settlement_credits", credits)


def test_poll_time_per_settlement_in_memory_stripe() -> None:
    logging.getLogger("sync").setLevel(logging.WARNING)
    warehouse = DuckDbWarehouse(":memory:")
    _seed(warehouse, SETTLEMENTS, [f"cus_{i}" for i in range(20)])
    poll = SettlementPoll(
        warehouse, InMemoryStripe(), ManualClock(T0), TAX_RATES, batch_size=SETTLEMENTS
    )
    started = time.perf_counter()
    report = poll.run()
    elapsed = time.perf_counter() - started
    assert report.count("SENT") == SETTLEMENTS
    print(
        f"\npoll (DuckDB + in-memory Stripe): {elapsed / SETTLEMENTS * 1000:.2f} ms per settlement "
        f"({SETTLEMENTS} settlements in {elapsed:.2f} s)"
    )
    warehouse.close()


def test_poll_time_per_settlement_through_the_fake_stripe_server() -> None:
    logging.getLogger("sync").setLevel(logging.WARNING)
    warehouse = DuckDbWarehouse(":memory:")
    with running_fake() as (fake, server, _clock):
        client = client_for(server)
        customers = [client.v1.customers.create({"name": f"Bench {i}"}).id for i in range(8)]
        _seed(warehouse, SETTLEMENTS_OVER_HTTP, customers)
        billing = StripeApiBilling(settings_for(server), secrets_for(fake))
        poll = SettlementPoll(warehouse, billing, ManualClock(T0), TAX_RATES)
        started = time.perf_counter()
        report = poll.run()
        elapsed = time.perf_counter() - started
    assert report.count("SENT") == SETTLEMENTS_OVER_HTTP
    print(
        f"\npoll (DuckDB + stripe library -> fake Stripe over HTTP): "
        f"{elapsed / SETTLEMENTS_OVER_HTTP * 1000:.1f} ms per settlement "
        f"({SETTLEMENTS_OVER_HTTP} settlements in {elapsed:.2f} s)"
    )
    warehouse.close()
