"""The reconciliation report PDF: a summary page, the charts, and the open findings."""

from __future__ import annotations

import io
from collections import Counter
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table

from shared.reports.charts import failures_chart, lag_chart, payouts_chart, success_chart
from shared.reports.data import ReportData
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
            "events not finished yet",
            WARN if data.pending else GOOD,
        ),
    ]
    row = Table([tiles], colWidths=[CONTENT / 4] * 4)
    row.setStyle([("LEFTPADDING", (0, 0), (-1, -1), 0), ("VALIGN", (0, 0), (-1, -1), "TOP")])
    last = data.last_reconcile.strftime("%Y-%m-%d %H:%M UTC") if data.last_reconcile else "never"
    verdict = (
        "Stripe and QuickBooks agree: every payout is deposited to the cent and nothing is open."
        if not data.findings and not data.mismatched and not data.failed_objects
        else "Stripe and QuickBooks disagree somewhere: the findings below say where."
    )
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
    currencies = Counter(p.currency for p in data.payouts)
    for currency, _ in currencies.most_common(2) or [("USD", 0)]:
        story.append(payouts_chart(data.payouts, currency, width=CONTENT, height=170))
    story.extend(_kinds_table(data))
    return story


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
        _p("Sync lag: event archived to QBO link, by day of the event", HEADING),
        lag_chart(data.lag, width=CONTENT, height=170),
        _p(escape(_end_to_end(data)), SMALL),
        _p("Sync success rate by day", HEADING),
        success_chart(data.success, width=CONTENT, height=150),
        _p("Failed syncs by reason", HEADING),
        failures_chart(data.failures, width=CONTENT, height=160),
    ]


def _end_to_end(data: ReportData) -> str:
    if not data.lag:
        return ""
    worst = max(data.lag, key=lambda d: d.p95_seconds)
    return (
        "End to end, from Stripe's event time: p95 at most "
        f"{worst.p95_seconds:,.0f} s ({worst.day:%b} {worst.day.day}); "
        "replays and backfills count from the original event (view analyst_sync_lag_daily)."
    )


def _findings(data: ReportData) -> list[Any]:
    story: list[Any] = [_p("Open findings", HEADING)]
    if not data.findings:
        return [*story, _p("None: the last reconcile run found nothing to fix.", BODY)]
    header = ["Severity", "Kind", "Stripe", "QBO", "Difference", "Detail"]
    rows: list[list[Any]] = [[_p(h, LABEL) for h in header]]
    for f in data.findings[:MAX_FINDINGS]:
        difference = "" if f.difference is None else f"{f.difference} {f.currency or ''}"
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
