"""Reconcile at the service level: a person's edit is found by what it changed, QBO's own changes
(a payment applied) are not edits, change data capture is asked within its 30 days, and a check
that cannot run is a finding of its own while the others still run."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from shared.errors import UpstreamUnavailableError
from shared.ports import JsonDict
from shared.services.reconcile import Reconcile, ReconcileReport
from tests.functional.memory_books import T0, MemoryBooks, paid_by_intent

D = Decimal
SINCE = datetime.fromtimestamp(T0, tz=datetime.now().astimezone().tzinfo) - timedelta(days=90)


def reconcile(books: MemoryBooks, **overrides: Any) -> ReconcileReport:
    parts: dict[str, Any] = {
        "stripe": books.stripe_gateway,
        "qbo": books.qbo_gateway,
        "warehouse": books.warehouse,
        "clock": books.clock,
        **overrides,
    }
    books.clock.advance(3_600)
    return Reconcile(**parts).run(since=SINCE)


def kinds(report: ReconcileReport) -> dict[str, int]:
    counts: dict[str, int] = report.as_dict()["by_kind"]
    return counts


def paid_invoice(books: MemoryBooks, invoice_id: str, amount: int) -> None:
    """An invoice paid in two payments through Stripe, synced."""
    invoice = books.invoice(invoice_id, amount)
    books.seed(
        {**invoice, "status": "paid", "amount_paid": amount, "amount_remaining": 0},
        *(
            obj
            for n in (1, 2)
            for obj in paid_by_intent(
                f"inpay_{invoice_id}_{n}",
                invoice_id=invoice_id,
                amount=amount // 2,
                currency="usd",
                pi_id=f"pi_{invoice_id}_{n}",
                charge_id=f"ch_{invoice_id}_{n}",
                paid_at=T0 + 100 * n,
            )
        ),
    )
    books.sync("invoice", invoice_id)


def test_qbo_applying_payments_is_not_an_edit(books: MemoryBooks) -> None:
    paid_invoice(books, "in_0101", 10_000)
    invoice = books.doc("Invoice", "in_0101")
    assert invoice["SyncToken"] == "2" and D(str(invoice["Balance"])) == 0  # QBO moved it twice
    report = reconcile(books)
    assert kinds(report) == {}
    assert report.checked["qbo_changes"] >= 3


def test_a_persons_edit_is_found_and_says_what_changed(books: MemoryBooks) -> None:
    paid_invoice(books, "in_0102", 10_000)
    books.invoice("in_0103", 5_000)
    books.sync("invoice", "in_0103")
    open_invoice = books.doc("Invoice", "in_0103")
    line = dict(open_invoice["Line"][0], Amount=D("45.00"))
    line["SalesItemLineDetail"] = {**line["SalesItemLineDetail"], "Qty": 1, "UnitPrice": 45}
    books.qbo.update("Invoice", {**open_invoice, "Line": [line]})  # someone in the QBO UI
    payment = books.doc("Payment", "inpay_in_0102_1")
    books.qbo.delete("Payment", {"Id": payment["Id"], "SyncToken": payment["SyncToken"]})
    report = reconcile(books)
    changed = {
        f.stripe_object_id: f.detail or "" for f in report.findings if f.kind == "changed_in_qbo"
    }
    assert set(changed) == {"in_0103", "inpay_in_0102_1"}
    assert changed["in_0103"].startswith("changed in QBO: lines")
    assert changed["inpay_in_0102_1"].startswith("deleted in QBO")


def test_a_void_by_a_person_is_found_but_the_syncs_own_voids_are_not(
    books: MemoryBooks,
) -> None:
    voided = books.invoice("in_0104", 4_000)
    books.seed({**voided, "status": "void"})
    books.sync("invoice", "in_0104")  # the sync voids it
    books.invoice("in_0105", 3_000)
    books.sync("invoice", "in_0105")
    target = books.doc("Invoice", "in_0105")
    books.qbo.void("Invoice", {"Id": target["Id"], "SyncToken": target["SyncToken"]})
    report = reconcile(books)
    (finding,) = [f for f in report.findings if f.kind == "changed_in_qbo"]
    assert finding.stripe_object_id == "in_0105"
    assert finding.detail is not None and "void" in finding.detail


def test_change_data_capture_is_asked_within_its_thirty_days(books: MemoryBooks) -> None:
    asked: list[datetime] = []

    class Watching:
        def __getattr__(self, name: str) -> Any:
            return getattr(books.qbo_gateway, name)

        def changes_since(self, entities: list[str], since: datetime) -> dict[str, list[JsonDict]]:
            asked.append(since)
            return books.qbo_gateway.changes_since(entities, since)

    books.invoice("in_0106", 2_000)
    books.sync("invoice", "in_0106")
    report = reconcile(books, qbo=Watching())  # the window starts 90 days back
    assert report.failed_checks == []
    (since,) = asked
    assert books.clock.now() - since < timedelta(days=30)


def test_a_check_that_cannot_run_is_a_finding_and_the_payout_check_still_runs(
    books: MemoryBooks,
) -> None:
    class CdcDown:
        def __getattr__(self, name: str) -> Any:
            return getattr(books.qbo_gateway, name)

        def changes_since(self, entities: list[str], since: datetime) -> dict[str, list[JsonDict]]:
            raise UpstreamUnavailableError("QBO change data capture failed: 503", code="503")

    books.seed(
        {
            "id": "po_1",
            "object": "payout",
            "amount": 1_000,
            "currency": "usd",
            "arrival_date": T0 + 3 * 86_400,
            "created": T0 + 86_400,
            "status": "paid",
            "automatic": True,
            "reconciliation_status": "completed",
            "balance_transaction": None,
            "failure_balance_transaction": None,
        }
    )
    books.clock.advance(4 * 86_400)  # past its arrival
    report = reconcile(books, qbo=CdcDown())
    assert kinds(report) == {"check_failed": 1, "payout_without_deposit": 1}
    (failed,) = [f for f in report.findings if f.kind == "check_failed"]
    assert failed.severity == "HIGH" and failed.qbo_entity_id == "changed_in_qbo"
    assert failed.detail == "the changed_in_qbo check could not run: UpstreamUnavailableError 503"
    assert report.failed_checks == ["changed_in_qbo"]
    rows = books.warehouse.query("SELECT kind FROM reconciliation_findings_open ORDER BY kind", {})
    assert [r["kind"] for r in rows] == ["check_failed", "payout_without_deposit"]
