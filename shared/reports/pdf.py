"""The reconciliation report PDF: a summary page, the charts, and the open findings."""

from __future__ import annotations

import io
from collections import Counter
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table

from shared.domain.settlement_invoice import decimal_money_text
from shared.reports.charts import failures_chart, lag_chart, payouts_chart, success_chart
from shared.reports.data import PayoutRow, ReportData
from shared.statements.pdf import ACCENT, BODY, HEADING, KPI, LABEL, MUTED, RULE, SHADE, SMALL

PAGE_WIDTH, PAGE_HEIGHT = LETTER
MARGIN = 0.6 * inch
CONTENT = PAGE_WIDTH - 2 * MARGIN - 12
GOOD, WARN, BAD = colors.HexColor("#3B8B5A"), colors.HexColor("#D4A017"), colors.HexColor("#C73E1D")
SEVERITY_COLORS = {
    "CRITICAL": BAD,
    "HIGH": colors.HexColor("#E0662B"),
    "MEDIUM": WARN,
    "LOW": MUTED,
}
MAX_FINDINGS = 200


def _p(text: str, style: Any = BODY) -> Paragraph:
    return Paragraph(text, style)


def _tile(label: str, value: str, note: str, color: colors.Color) -> Table:
    table = Table(
        [[_p(escape(label.upper()), LABEL)], [_p(escape(value), KPI)], [_p(escape(note), SMALL)]],
        colWidths=[CONTENT / 4 - 8],
    )
    table.setStyle(
        [
            ("BACKGROUND", (0, 0), (-1, -1), SHADE),
            ("LINEBEFORE", (0, 0), (0, -1), 3, color),
            ("LEFTPADDING", (0, 0), (-1, -1), 8),
            ("TOPPADDING", (0, 0), (-1, -1), 3),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ]
    )
    return table


def _summary(data: ReportData) -> list[Any]:
    critical = sum(1 for f in data.findings if f.severity in ("CRITICAL", "HIGH"))
    balanced = len(data.payouts) - data.mismatched
    tiles = [
        _tile(
            "Payouts reconciled",
            f"{balanced} / {len(data.payouts)}",
            f"{data.mismatched} mismatched",
            BAD if data.mismatched else GOOD,
        ),
        _tile(
            "Open findings",
            str(len(data.findings)),
            f"{critical} critical or high",
            BAD if critical else (WARN if data.findings else GOOD),
        ),
        _tile(
            "Failed syncs",
            str(data.failed_objects),
            "objects to fix and replay",
            WARN if data.failed_objects else GOOD,
        ),
        _tile(
            "Pending syncs",
            str(data.pending),
            "objects waiting for a sync",
            WARN if data.pending else GOOD,
        ),
    ]
    row = Table([tiles], colWidths=[CONTENT / 4] * 4)
    row.setStyle([("LEFTPADDING", (0, 0), (-1, -1), 0), ("VALIGN", (0, 0), (-1, -1), "TOP")])
    last = data.last_reconcile.strftime("%Y-%m-%d %H:%M UTC") if data.last_reconcile else "never"
    verdict = _verdict(data)
    story: list[Any] = [
        _p("Stripe to QuickBooks reconciliation", _style_title()),
        _p(
            f"Generated {data.generated_at:%Y-%m-%d %H:%M} UTC &middot; last reconcile run "
            f"{escape(last)}",
            SMALL,
        ),
        Spacer(1, 14),
        row,
        Spacer(1, 12),
        _p(escape(verdict), BODY),
        Spacer(1, 6),
        _p("Payouts against deposits", HEADING),
    ]
    currencies = sorted({p.currency for p in data.payouts})
    height = 170 if len(currencies) <= 2 else max(110, 340 // len(currencies))
    for currency in currencies:  # every currency, one chart each
        story.append(payouts_chart(data.payouts, currency, width=CONTENT, height=height))
    if not currencies:
        story.append(_p("No payouts in the warehouse yet.", BODY))
    story.extend(_payout_totals(data.payouts))
    story.extend(_kinds_table(data))
    return story


def _verdict(data: ReportData) -> str:
    if data.findings or data.mismatched or data.failed_objects:
        return "Stripe and QuickBooks disagree somewhere: the findings below say where."
    if data.pending:
        return (
            "Stripe and QuickBooks agree on everything synced; "
            f"{data.pending} objects are still waiting for a sync."
        )
    return "Stripe and QuickBooks agree: every payout is deposited to the cent and nothing is open."


def _payout_totals(payouts: list[PayoutRow]) -> list[Any]:
    """Per currency: payouts, what they carried, what QBO deposited, the difference."""
    if not payouts:
        return []
    rows = [[_p(h, LABEL) for h in ("Currency", "Payouts", "Paid out by Stripe",
                                    "Deposited in QBO", "Difference", "Mismatched")]]  # fmt: skip
    for currency in sorted({p.currency for p in payouts}):
        mine = [p for p in payouts if p.currency == currency]
        paid = sum((p.amount for p in mine), Decimal(0))
        deposited = sum((p.deposit_amount or Decimal(0) for p in mine), Decimal(0))
        rows.append([
            _p(escape(currency)), _p(str(len(mine))),
            _p(escape(decimal_money_text(paid, currency))),
            _p(escape(decimal_money_text(deposited, currency))),
            _p(escape(decimal_money_text(deposited - paid, currency))),
            _p(str(sum(1 for p in mine if p.status != "BALANCED"))),
        ])  # fmt: skip
    table = Table(rows, colWidths=[CONTENT * w for w in (0.12, 0.1, 0.22, 0.22, 0.2, 0.14)])
    table.setStyle([("LINEBELOW", (0, 0), (-1, 0), 0.6, RULE)])
    return [Spacer(1, 6), table]


def _style_title() -> ParagraphStyle:
    return ParagraphStyle(
        "report-title",
        parent=BODY,
        fontName="Helvetica-Bold",
        fontSize=18,
        leading=22,
        textColor=ACCENT,
    )


def _kinds_table(data: ReportData) -> list[Any]:
    kinds = Counter((f.kind, f.severity) for f in data.findings)
    if not kinds:
        return []
    rows = [[_p("Finding", LABEL), _p("Severity", LABEL), _p("Count", LABEL)]]
    rows += [[_p(escape(k)), _p(escape(s)), _p(str(n))] for (k, s), n in sorted(kinds.items())]
    table = Table(rows, colWidths=[CONTENT * 0.5, CONTENT * 0.25, CONTENT * 0.25])
    table.setStyle([("LINEBELOW", (0, 0), (-1, 0), 0.6, RULE)])
    return [_p("Open findings by kind", HEADING), table]


def _charts(data: ReportData) -> list[Any]:
    return [
        _p(
            "Sync lag: seconds from archiving a Stripe event to its QBO link, by day of the event",
            HEADING,
        ),
        lag_chart(data.lag, width=CONTENT, height=170),
        _p(escape(_end_to_end(data)), SMALL),
        _p("Sync success rate: finished attempts that succeeded, by day of the attempt", HEADING),
        success_chart(data.success, width=CONTENT, height=150),
        _p("Objects whose sync failed, by reason", HEADING),
        failures_chart(data.failures, width=CONTENT, height=160),
    ]


def _end_to_end(data: ReportData) -> str:
    if not data.lag:
        return ""
    worst = max(data.lag, key=lambda d: d.p95_seconds)
    return (
        "End to end, from Stripe's event time: the worst day's p95 is "
        f"{duration_text(worst.p95_seconds)} ({worst.day:%b} {worst.day.day}); replays and "
        "backfills count from the original event (view analyst_sync_lag_daily)."
    )


def duration_text(seconds: float) -> str:
    """``42 s``, ``3.5 min``, ``2.1 h``, ``336.8 days``: a duration a person reads at once."""
    for unit, size in (("days", 86_400), ("h", 3_600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:,.1f} {unit}"
    return f"{seconds:,.0f} s"


def _findings(data: ReportData) -> list[Any]:
    story: list[Any] = [_p("Open findings", HEADING)]
    if not data.findings:
        return [*story, _p("None: the last reconcile run found nothing to fix.", BODY)]
    header = ["Severity", "Kind", "Stripe", "QBO", "Difference", "Detail"]
    rows: list[list[Any]] = [[_p(h, LABEL) for h in header]]
    for f in data.findings[:MAX_FINDINGS]:
        difference = _difference(f.difference, f.currency)
        rows.append(
            [
                _p(escape(f.severity), SMALL),
                _p(escape(f.kind), SMALL),
                _p(escape(f.stripe_object_id or ""), SMALL),
                _p(escape(f.qbo_entity or ""), SMALL),
                _p(escape(difference), SMALL),
                _p(escape(f.detail or ""), SMALL),
            ]
        )
    widths = [0.11, 0.19, 0.17, 0.12, 0.12, 0.29]
    table = Table(rows, colWidths=[CONTENT * w for w in widths], repeatRows=1)
    style: list[Any] = [
        ("LINEBELOW", (0, 0), (-1, 0), 0.6, RULE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, SHADE]),
    ]
    for index, f in enumerate(data.findings[:MAX_FINDINGS], start=1):
        color = SEVERITY_COLORS.get(f.severity, MUTED)
        style.append(("LINEBEFORE", (0, index), (0, index), 3, color))
    table.setStyle(style)
    story.append(table)
    if len(data.findings) > MAX_FINDINGS:
        story.append(
            _p(
                f"... and {len(data.findings) - MAX_FINDINGS} more in "
                "reconciliation_findings_open.",
                SMALL,
            )
        )
    return story


def _difference(amount: Decimal | None, currency: str | None) -> str:
    if amount is None:
        return ""
    if not currency:
        return f"{amount.normalize():,f}"
    return decimal_money_text(amount, currency)


def _footer(canvas: Canvas, doc: Any) -> None:
    canvas.saveState()
    canvas.setFont("Helvetica", 7.5)
    canvas.setFillColor(MUTED)
    canvas.drawString(MARGIN, 0.4 * inch, "stripe-qbo-sync reconciliation report")
    canvas.drawRightString(PAGE_WIDTH - MARGIN, 0.4 * inch, f"Page {doc.page}")
    canvas.setStrokeColor(RULE)
    canvas.line(MARGIN, 0.55 * inch, PAGE_WIDTH - MARGIN, 0.55 * inch)
    canvas.restoreState()


def render_report(data: ReportData) -> bytes:
    """The report as PDF bytes: summary, charts, then the open findings."""
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=LETTER,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=0.8 * inch,
        title="Stripe to QuickBooks reconciliation",
        author="stripe-qbo-sync",
        invariant=1,
    )
    story = [*_summary(data), PageBreak(), *_charts(data), PageBreak(), *_findings(data)]
    doc.build(story, onFirstPage=_footer, onLaterPages=_footer)
    return buffer.getvalue()


__all__ = ["render_report"]
