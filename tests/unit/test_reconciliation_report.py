"""The reconciliation report renders: three pages, the summary, the charts, the findings."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from shared.reports.data import DailyLag, DailySuccess, FindingRow, PayoutRow, ReportData
from shared.reports.pdf import render_report
from tests.unit.test_statement_pdf import pdf_text

DAY0 = date(2026, 1, 1)


def report_data(findings: bool = True) -> ReportData:
    days = [DAY0 + timedelta(days=i) for i in range(20)]
    data = ReportData(datetime(2026, 2, 1, 8, tzinfo=UTC))
    data.payouts = [
        PayoutRow(
            f"po_{i}",
            "USD",
            d,
            Decimal(1000 + 37 * i),
            Decimal(1000 + 37 * i),
            "BALANCED",
            Decimal(0),
        )
        for i, d in enumerate(days[::3])
    ] + [PayoutRow("po_e", "EUR", days[4], Decimal("812.40"), None, "MISMATCH", None)]
    data.lag = [DailyLag(d, 10, 1e5, 2e5, 4.0 + i % 3, 12.0 + i) for i, d in enumerate(days)]
    data.success = [DailySuccess(d, 50, 45, 2, 3, 45 / 47) for d in days]
    data.failures = [("MappingGapError stripe_shape", 3), ("ValidationFailedError 6000", 1)]
    if findings:
        data.findings = [
            FindingRow(
                "payout_without_deposit",
                "CRITICAL",
                "po_e",
                None,
                "EUR",
                Decimal("-812.40"),
                "payout paid without a QBO deposit",
            ),
            FindingRow(
                "changed_in_qbo", "HIGH", "in_1", "Invoice 7", None, None, "SyncToken 1, we wrote 0"
            ),
        ]
    data.pending = 2
    data.last_reconcile = datetime(2026, 2, 1, 6, tzinfo=UTC)
    return data


@pytest.fixture(scope="module")
def rendered() -> tuple[bytes, str]:
    pdf = render_report(report_data())
    return pdf, pdf_text(pdf)


def test_three_pages(rendered: tuple[bytes, str]) -> None:
    pdf, _ = rendered
    assert pdf.startswith(b"%PDF-")
    assert pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") == 3


@pytest.mark.parametrize(
    "part",
    [
        "Stripe to QuickBooks reconciliation",
        "PAYOUTS RECONCILED",
        "7 / 8",
        "Payouts against deposits",
        "Stripe payouts (USD)",
        "QBO deposits",
        "Sync lag: seconds from archiving a Stripe event to its QBO link, by day of the event",
        "p95 seconds",
        "Sync success rate: finished attempts that succeeded, by day of the attempt",
        "Objects whose sync failed, by reason",
        "objects waiting for a sync",
        "Stripe payouts (EUR)",
        "QBO deposits (EUR)",
        "-EUR 812.40",  # a finding's difference, as money
        "USD 7,777.00",  # the payout totals, as money
        "the worst day's p95 is 2.3 days",
        "MappingGapError stripe_shape",
        "Open findings",
        "payout_without_deposit",
        "po_e",
        "Invoice 7",
    ],
)
def test_has_the_parts(rendered: tuple[bytes, str], part: str) -> None:
    assert part in rendered[1]


def test_empty_warehouse_still_renders() -> None:
    text = pdf_text(render_report(ReportData(datetime(2026, 2, 1, tzinfo=UTC))))
    assert "No payouts in the warehouse yet" in text
    assert "None: the last reconcile run found nothing" in text


def test_every_currency_has_its_chart_and_its_total() -> None:
    data = report_data(findings=False)
    for n, currency in enumerate(("JPY", "KWD", "GBP")):
        data.payouts.append(
            PayoutRow(f"po_{currency}", currency, DAY0, Decimal(1_234 + n), Decimal(1_234 + n),
                      "BALANCED", Decimal(0))
        )  # fmt: skip
    text = " ".join(pdf_text(render_report(data)).split())
    for currency in ("USD", "EUR", "JPY", "KWD", "GBP"):
        assert f"Stripe payouts ({currency})" in text, currency
    assert "JPY 1,234" in text and "KWD 1,235.000" in text and "GBP 1,236.00" in text


def test_the_verdict_counts_what_is_still_pending() -> None:
    data = report_data(findings=False)
    data.payouts = [p for p in data.payouts if p.status == "BALANCED"]
    data.failures = []
    text = " ".join(pdf_text(render_report(data)).split())
    assert "agree on everything synced; 2 objects are still waiting for a sync" in text
    data.pending = 0
    text = " ".join(pdf_text(render_report(data)).split())
    assert "Stripe and QuickBooks agree: every payout is deposited to the cent" in text


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler not installed")
def test_pages_convert_to_png(rendered: tuple[bytes, str], tmp_path: Path) -> None:
    pdf_path = tmp_path / "report.pdf"
    pdf_path.write_bytes(rendered[0])
    subprocess.run(
        ["pdftoppm", "-png", "-r", "70", str(pdf_path), str(tmp_path / "page")],
        check=True,
    )
    assert len(list(tmp_path.glob("page-*.png"))) == 3
