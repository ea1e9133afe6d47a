"""The settlement poll against the embedded warehouse and an in-memory Stripe."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from shared.adapters.clock import ManualClock
from shared.adapters.duckdb_warehouse import DuckDbWarehouse
from shared.errors import UpstreamUnavailableError, ValidationFailedError
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


@pytest.fixture
def warehouse() -> Iterator[DuckDbWarehouse]:
    wh = DuckDbWarehouse(":memory:")
    yield wh
    wh.close()


def poll(warehouse: Any, stripe: Any, clock: ManualClock | None = None) -> Any:
    return SettlementPoll(warehouse, stripe, clock or ManualClock(T0), TAX_RATES).run()


def links(warehouse: DuckDbWarehouse) -> dict[str, dict[str, Any]]:
    rows = warehouse.query("SELECT * FROM settlement_invoice_links_current")
    return {r["settlement_id"]: r for r in rows}


def test_a_settlement_becomes_one_sent_invoice(warehouse: DuckDbWarehouse) -> None:
    stripe = InMemoryStripe()
    warehouse.append("ledger_settlements", [settlement_row("set_1")])
    report = poll(warehouse, stripe)
    assert report.as_dict()["sent"] == 1
    [invoice] = stripe.invoices.values()
    assert invoice["status"] == "open"
    assert invoice["total"] == 200000 + 14500  # fee 2,000.00 + 7.25 % tax
    assert invoice["collection_method"] == "send_invoice"
    assert invoice["metadata"]["settlement_id"] == "set_1"
    assert stripe.sent == {invoice["id"]: 1}
    link = links(warehouse)["set_1"]
    assert link["status"] == "SENT"
    assert link["stripe_invoice_id"] == invoice["id"]
    assert link["stripe_invoice_number"] == invoice["number"]
    assert link["total_amount"] == Decimal("2145.00")
    statuses = [
        r["status"]
        for r in warehouse.query(
            "SELECT status FROM settlement_invoice_links ORDER BY progress, recorded_at"
        )
    ]
    assert statuses == ["PENDING", "INVOICE_CREATED", "FINALIZED", "SENT"]
    # A second poll finds nothing to do.
    assert poll(warehouse, stripe).outcomes == []
    assert len(stripe.invoices) == 1


def test_no_fee_is_recorded_and_never_invoiced(warehouse: DuckDbWarehouse) -> None:
    stripe = InMemoryStripe()
    flat = settlement_row(
        "set_flat",
        actual_revenue=Decimal("50000.00"),
        incremental_revenue=Decimal("0.00"),
    )
    warehouse.append("ledger_settlements", [flat])
    assert poll(warehouse, stripe).as_dict()["no_fee"] == 1
    assert stripe.invoices == {}
    assert links(warehouse)["set_flat"]["status"] == "NO_FEE"
    assert poll(warehouse, stripe).outcomes == []


def test_bad_rows_fail_with_a_reason_and_never_stop_the_others(
    warehouse: DuckDbWarehouse,
) -> None:
    stripe = InMemoryStripe()
    rows = [
        settlement_row("bad_rate", fee_rate=Decimal("-0.1"), completed_at=T0),
        settlement_row("bad_currency", currency="xyz", customer_id="cus_2"),
        settlement_row("no_customer", customer_id=None),
        settlement_row("bad_tax", tax_jurisdiction="MARS", customer_id="cus_3"),
        settlement_row("good", customer_id="cus_4", completed_at=T0 + timedelta(hours=1)),
    ]
    warehouse.append("ledger_settlements", rows)
    report = poll(warehouse, stripe)
    assert report.as_dict()["failed"] == 4
    assert report.as_dict()["failures"] == [
        {"settlement_id": s, "reason": report_reason(report, s)}
        for s in ("bad_currency", "bad_rate", "bad_tax", "no_customer")
    ]
    current = links(warehouse)
    assert current["bad_rate"]["reason"].startswith("negative_fee_rate")
    assert current["bad_currency"]["reason"].startswith("unknown_currency")
    assert current["no_customer"]["reason"].startswith("missing_customer")
    assert current["bad_tax"]["reason"].startswith("unknown_tax_jurisdiction")
    assert current["good"]["status"] == "SENT"
    assert len(stripe.invoices) == 1
    failures = warehouse.query("SELECT settlement_id FROM settlement_invoice_failures")
    assert len(failures) == 4
    # FAILED is final until the ledger appends a corrected revision.
    assert poll(warehouse, stripe).outcomes == []
    fixed = settlement_row("bad_rate", recorded_at=T0 + timedelta(days=1), customer_id="cus_5")
    warehouse.append("ledger_settlements", [fixed])
    assert [o.status for o in poll(warehouse, stripe).outcomes] == ["SENT"]
    assert links(warehouse)["bad_rate"]["status"] == "SENT"


def report_reason(report: Any, settlement_id: str) -> str:
    return next(o.reason for o in report.outcomes if o.settlement_id == settlement_id)


def test_credits_are_applied_once_and_the_rest_stays_open(warehouse: DuckDbWarehouse) -> None:
    stripe = InMemoryStripe()
    warehouse.append(
        "ledger_settlements",
        [
            settlement_row("s1", completed_at=T0),
            settlement_row("s2", completed_at=T0 + timedelta(days=31)),
        ],
    )
    warehouse.append(
        "settlement_credits",
        [
            credit_row("small", "150.00", created_at=T0 - timedelta(days=2)),
            credit_row("big", "2500.00", created_at=T0 - timedelta(days=1)),
            credit_row("closed", "99.00", applied_to_invoice="in_elsewhere"),
            credit_row("euro", "50.00", currency="eur"),
        ],
    )
    poll(warehouse, stripe)
    by_settlement = {inv["metadata"]["settlement_id"]: inv for inv in stripe.invoices.values()}
    # s1: fee 2,000.00 - 150.00 (small) - 1,850.00 (part of big) = 0, no tax, paid on finalize.
    assert by_settlement["s1"]["total"] == 0
    assert by_settlement["s1"]["status"] == "paid"
    # s2: fee 2,000.00 - 650.00 (rest of big) = 1,350.00 + 97.88 tax.
    assert by_settlement["s2"]["total"] == 135000 + 9788
    open_credits = {
        r["credit_id"]: r["open_amount"]
        for r in warehouse.query("SELECT * FROM settlement_credits_open")
    }
    assert open_credits == {"small": 0, "big": 0, "euro": Decimal("50.00")}
    applied = warehouse.query(
        "SELECT settlement_id, credit_id, applied_amount"
        " FROM settlement_credit_applications_current ORDER BY settlement_id, credit_id"
    )
    assert [(r["settlement_id"], r["credit_id"], r["applied_amount"]) for r in applied] == [
        ("s1", "big", Decimal("1850.00")),
        ("s1", "small", Decimal("150.00")),
        ("s2", "big", Decimal("650.00")),
    ]
    assert {r["status"] for r in links(warehouse).values()} == {"SENT"}
    assert stripe.sent == {by_settlement["s2"]["id"]: 1}  # nothing due on s1: not emailed


def test_stripe_down_defers_the_customer_and_the_next_poll_resumes(
    warehouse: DuckDbWarehouse,
) -> None:
    class Flaky(InMemoryStripe):
        down = True

        def finalize_invoice(self, invoice_id: str, idempotency_key: str) -> dict[str, Any]:
            if self.down:
                raise UpstreamUnavailableError("stripe 503")
            return super().finalize_invoice(invoice_id, idempotency_key)

    stripe = Flaky()
    warehouse.append(
        "ledger_settlements",
        [
            settlement_row("a1", completed_at=T0),
            settlement_row("a2", completed_at=T0 + timedelta(days=1)),
            settlement_row("b1", customer_id="cus_b", completed_at=T0 + timedelta(days=2)),
        ],
    )
    first = poll(warehouse, stripe)
    assert [(o.settlement_id, o.status, o.reason) for o in first.outcomes] == [
        ("a1", "RETRY", "unavailable"),
        ("a2", "RETRY", "blocked"),
        ("b1", "RETRY", "unavailable"),
    ]
    assert links(warehouse)["a1"]["status"] == "INVOICE_CREATED"
    stripe.down = False
    second = poll(warehouse, stripe)
    assert {o.status for o in second.outcomes} == {"SENT"}
    assert len(stripe.invoices) == 3


def test_a_refused_send_is_failed_with_the_invoice_for_a_person(
    warehouse: DuckDbWarehouse,
) -> None:
    class NoEmail(InMemoryStripe):
        def send_invoice(self, invoice_id: str, idempotency_key: str) -> dict[str, Any]:
            raise ValidationFailedError("customer has no email", code="customer_email_missing")

    stripe = NoEmail()
    warehouse.append("ledger_settlements", [settlement_row("s")])
    [outcome] = poll(warehouse, stripe).outcomes
    [invoice] = stripe.invoices.values()
    assert (outcome.status, outcome.stripe_invoice_id) == ("FAILED", invoice["id"])
    link = links(warehouse)["s"]
    assert (link["status"], link["stripe_invoice_id"]) == ("FAILED", invoice["id"])
    assert link["reason"].startswith("customer_email_missing")
    assert poll(warehouse, stripe).outcomes == []
    assert len(stripe.invoices) == 1


@pytest.mark.parametrize("when", ["before", "after"])
def test_a_crash_at_every_step_never_duplicates(when: str) -> None:
    crash_step = 1
    while True:
        wh = DuckDbWarehouse(":memory:")
        schedule = CrashSchedule([(crash_step, when)])
        stripe = InMemoryStripe(schedule)
        wh.append("ledger_settlements", [settlement_row("s")])
        wh.append("settlement_credits", [credit_row("c", "100.00")])
        crashing = CrashingWarehouse(wh, schedule)
        with contextlib.suppress(SimulatedCrash):
            poll(crashing, stripe)
        crashed = schedule.crashes == 1
        # Keys lost too (a resume more than 24 h later): the lookup must find the invoice.
        stripe.expire_keys()
        poll(crashing, stripe)
        assert len(stripe.invoices) == 1, f"crash {when} step {crash_step}"
        [invoice] = stripe.invoices.values()
        assert invoice["total"] == 200000 - 10000 + 13775
        assert len(invoice["lines"]["data"]) == 3
        assert invoice["status"] == "open"
        assert links(wh)["s"]["status"] == "SENT"
        wh.close()
        if not crashed:
            break
        crash_step += 1
    assert crash_step > 8  # every step of the flow was a crash point


def poll_concurrently(warehouse: Any, stripe: Any, polls: int) -> list[BaseException]:
    barrier = threading.Barrier(polls)
    errors: list[BaseException] = []

    def run() -> None:
        barrier.wait()
        try:
            poll(warehouse, stripe)
        except BaseException as exc:  # surfaced by the caller
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(polls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_two_polls_at_once_converge_on_one_invoice_per_settlement() -> None:
    for round_ in range(5):
        wh = DuckDbWarehouse(":memory:")
        stripe = InMemoryStripe()
        wh.append(
            "ledger_settlements",
            [
                settlement_row(f"s{i}", customer_id=f"cus_{i % 3}", completed_at=T0 + timedelta(i))
                for i in range(9)
            ],
        )
        wh.append(
            "settlement_credits",
            [credit_row(f"c{i}", "700.00", customer_id=f"cus_{i}") for i in range(3)],
        )
        errors = poll_concurrently(wh, stripe, 3)
        poll(wh, stripe)
        assert errors == [], round_
        by_settlement: dict[str, int] = {}
        for inv in stripe.invoices.values():
            sid = inv["metadata"]["settlement_id"]
            by_settlement[sid] = by_settlement.get(sid, 0) + 1
        assert by_settlement == {f"s{i}": 1 for i in range(9)}
        # Each customer's 700.00 credit went once, to its first settlement.
        totals = sorted(inv["total"] for inv in stripe.invoices.values())
        assert totals == [139425] * 3 + [214500] * 6
        assert {r["status"] for r in links(wh).values()} == {"SENT"}
        wh.close()


def test_through_the_stripe_adapter_against_the_fake_stripe_server(
    warehouse: DuckDbWarehouse,
) -> None:
    from shared.adapters.stripe_billing import StripeApiBilling
    from shared.statements.store import StatementStore
    from tests.functional.stripe_fixtures import (
        client_for,
        running_fake,
        secrets_for,
        settings_for,
    )

    class CrashAfterCreate(StripeApiBilling):
        crash = True

        def create_invoice(self, params: dict[str, Any], idempotency_key: str) -> dict[str, Any]:
            created = super().create_invoice(params, idempotency_key)
            if self.crash:
                self.crash = False
                raise SimulatedCrash
            return created

    with running_fake() as (fake, server, _clock):
        client = client_for(server)
        customer = client.v1.customers.create(
            {"name": "Acme Outdoor Co.", "email": "ap@acme.example"}
        )
        warehouse.append("ledger_settlements", [settlement_row("s_real", customer_id=customer.id)])
        warehouse.append(
            "settlement_credits", [credit_row("c_real", "100.00", customer_id=customer.id)]
        )
        billing = CrashAfterCreate(settings_for(server), secrets_for(fake))
        with pytest.raises(SimulatedCrash):
            poll(warehouse, billing)
        report = poll(warehouse, billing)
        assert [o.status for o in report.outcomes] == ["SENT"]
        invoices = billing.list_invoices(customer.id)
        assert len(invoices) == 1
        [invoice] = invoices
        assert invoice["status"] == "open"
        assert invoice["total"] == 200000 - 10000 + 13775
        assert invoice["collection_method"] == "send_invoice"
        assert invoice["metadata"]["settlement_id"] == "s_real"
        assert {f["name"] for f in invoice["custom_fields"]} >= {"Incremental revenue", "Uplift"}
        assert invoice["hosted_invoice_url"]
        assert links(warehouse)["s_real"]["stripe_invoice_number"] == invoice["number"]
        assert poll(warehouse, billing).outcomes == []
        statement = StatementStore(warehouse).pdf_for_invoice(invoice)
        assert statement is not None
        assert statement.filename == f"statement-{invoice['number']}.pdf"
        assert statement.content.startswith(b"%PDF-")


def test_the_http_function_polls_and_answers_with_counts(
    monkeypatch: pytest.MonkeyPatch, warehouse: DuckDbWarehouse
) -> None:
    from pathlib import Path

    import functions_framework

    from shared import bootstrap
    from shared.config import reset_settings

    stripe = InMemoryStripe()
    reset_settings()
    bootstrap.reset()
    bootstrap.override(warehouse=warehouse, clock=ManualClock(T0), stripe_billing=stripe)
    warehouse.append(
        "ledger_settlements",
        [settlement_row("ok"), settlement_row("bad", currency="zzz", customer_id="cus_9")],
    )
    source = Path(__file__).resolve().parents[2] / "functions" / "settlement_poll.py"
    client = functions_framework.create_app(target="settlement_poll", source=str(source))
    try:
        http = client.test_client()
        assert http.post("/").status_code == 401
        assert http.post("/", headers={"Authorization": "Bearer wrong"}).status_code == 403
        response = http.post("/", headers={"Authorization": "Bearer local-dev-token"})
        assert response.status_code == 200
        body = response.get_json()
        assert (body["settlements"], body["sent"], body["retry"]) == (2, 1, 0)
        assert body["failed"] == 1
        assert body["failures"][0]["settlement_id"] == "bad"
    finally:
        bootstrap.reset()
        reset_settings()


def test_the_statement_is_attached_to_the_qbo_invoice_once(warehouse: DuckDbWarehouse) -> None:
    from shared.services.statement_attachment import attach_statement
    from shared.statements.store import StatementStore
    from tests.functional.qbo_fixtures import qbo_env

    stripe = InMemoryStripe()
    warehouse.append("ledger_settlements", [settlement_row("s_qbo")])
    poll(warehouse, stripe)
    [stripe_invoice] = stripe.invoices.values()

    with qbo_env() as env:
        gateway = env.gateway
        income = env.fake.books.account_by_subtype("SalesOfProductIncome")
        item = gateway.create("Item", {"Name": "Fees", "IncomeAccountRef": {"value": income}}, "i")
        customer = gateway.create("Customer", {"DisplayName": "Acme"}, "c")
        line = {"Amount": Decimal("2145.00"), "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": {"ItemRef": {"value": item["Id"]}}}  # fmt: skip
        qbo_invoice = gateway.create(
            "Invoice", {"CustomerRef": {"value": customer["Id"]}, "Line": [line]}, "inv"
        )

        class Uploader:
            """The real gateway, counting uploads."""

            uploads = 0

            def query(self, statement: str) -> list[dict[str, Any]]:
                return gateway.query(statement)

            def attach(
                self, entity: str, entity_id: str, file_name: str, content: bytes, request_id: str
            ) -> dict[str, Any]:
                self.uploads += 1
                return gateway.attach(entity, entity_id, file_name, content, request_id)

        uploader = Uploader()
        store = StatementStore(warehouse)
        first = attach_statement(stripe_invoice, qbo_invoice["Id"], store, uploader)
        again = attach_statement(stripe_invoice, qbo_invoice["Id"], store, uploader)
        assert first is not None
        assert again == first
        assert uploader.uploads == 1
        stored = env.fake.file(first)
        assert stored is not None
        assert stored == store.pdf_for_invoice(stripe_invoice).content  # type: ignore[union-attr]
        assert attach_statement({"id": "in_x", "metadata": {}}, "1", store, uploader) is None


def test_the_samples_become_invoices_and_the_cli_renders_them(tmp_path: Any) -> None:
    from local_emulator.generator.settlements import (
        SAMPLE_SETTLEMENT_IDS,
        create_sample_customers,
        seed_sample_settlements,
    )
    from shared.adapters.stripe_billing import StripeApiBilling
    from shared.cli.main import main as cli
    from shared.config import Settings
    from tests.functional.stripe_fixtures import (
        client_for,
        running_fake,
        secrets_for,
        settings_for,
    )
    from tests.unit.test_statement_pdf import pdf_text

    path = str(tmp_path / "warehouse.duckdb")
    wh = DuckDbWarehouse(path)
    with running_fake() as (fake, server, _clock):
        ids = create_sample_customers(client_for(server))
        assert create_sample_customers(client_for(server)) == ids  # idempotent
        assert seed_sample_settlements(wh, ids) == list(SAMPLE_SETTLEMENT_IDS)
        billing = StripeApiBilling(settings_for(server), secrets_for(fake))
        report = SettlementPoll(wh, billing, ManualClock(T0), Settings().tax_rates).run()
        invoices = {
            inv["metadata"]["settlement_id"]: inv
            for cid in ids.values()
            for inv in billing.list_invoices(cid)
        }
    wh.close()
    outcomes = {o.settlement_id: o.status for o in report.outcomes}
    assert outcomes == {
        "set_2026_01_acme": "SENT",
        "set_2026_01_brightline": "SENT",
        "set_2026_01_kobe": "SENT",
        "set_2026_01_northwind": "NO_FEE",
    }
    # 18 % of 37,255.40 = 6,705.97; - 1,250.00 credit; + 7.25 % tax = 5,851.53
    assert invoices["set_2026_01_acme"]["total"] == 585153
    assert invoices["set_2026_01_kobe"]["total"] == 266037  # JPY: zero-decimal
    out = tmp_path / "acme.pdf"
    args = ["statement", "--settlement", "set_2026_01_acme", "--out", str(out)]
    assert cli([*args, "--warehouse", path]) == 0
    text = pdf_text(out.read_bytes())
    assert invoices["set_2026_01_acme"]["number"] in text
    assert "USD 5,851.53" in text
    # Dates are the invoice's (the fake Stripe's clock), not the poll's.
    assert "March 1, 2026" in text
    assert "March 31, 2026 (Net 30)" in text
    # A settlement not invoiced yet renders as a draft preview.
    fresh = str(tmp_path / "fresh.duckdb")
    seeded = DuckDbWarehouse(fresh)
    seed_sample_settlements(seeded)
    seeded.close()
    assert cli(["statement", "--settlement", "set_2026_01_kobe", "--out", str(out),
                "--warehouse", fresh]) == 0  # fmt: skip
    assert "Draft (not yet issued)" in pdf_text(out.read_bytes())
    assert cli(["statement", "--settlement", "nope", "--out", str(out), "--warehouse", fresh]) == 2
    missing = str(tmp_path / "nothing.duckdb")
    assert cli(["statement", "--settlement", "x", "--out", str(out), "--warehouse", missing]) == 2
