"""The report's charts (reportlab graphics); amounts become floats only here, to be drawn."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors

from shared.reports.data import DailyLag, DailySuccess, PayoutRow
from shared.statements.chart import PALETTE

INK = colors.HexColor("#1B2A3A")
MUTED = colors.HexColor("#5F6B7A")
GRID = colors.HexColor("#DDE3EA")
PAYOUT, DEPOSIT, BAD = PALETTE[0], PALETTE[2], PALETTE[3]
P50, P95 = PALETTE[1], PALETTE[3]


def _empty(width: float, height: float, text: str) -> Drawing:
    drawing = Drawing(width, height)
    drawing.add(
        String(width / 2, height / 2, text, textAnchor="middle", fontSize=9, fillColor=MUTED)
    )
    return drawing


def _legend(drawing: Drawing, x: float, y: float, items: list[tuple[colors.Color, str]]) -> None:
    legend = Legend()
    legend.x, legend.y = x, y
    legend.alignment = "right"
    legend.columnMaximum = 1
    legend.deltax = 90
    legend.fontSize = 7.5
    legend.fontName = "Helvetica"
    legend.colorNamePairs = items
    legend.dx = legend.dy = 7
    drawing.add(legend)


def _label(day: date) -> str:
    return f"{day:%b} {day.day}"


def _style_axes(chart: VerticalBarChart) -> None:
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.labels.fontName = "Helvetica"
    chart.valueAxis.gridStrokeColor = GRID
    chart.valueAxis.visibleGrid = True
    chart.valueAxis.strokeColor = GRID
    chart.categoryAxis.labels.fontSize = 6.5
    chart.categoryAxis.labels.fontName = "Helvetica"
    chart.categoryAxis.strokeColor = MUTED
    chart.valueAxis.forceZero = True


def payouts_chart(
    payouts: Sequence[PayoutRow], currency: str, width: float = 500, height: float = 170
) -> Drawing:
    """Payout amounts against deposit amounts by arrival date, in one currency."""
    paid: dict[date, Decimal] = defaultdict(Decimal)
    deposited: dict[date, Decimal] = defaultdict(Decimal)
    for row in payouts:
        if row.currency != currency:
            continue
        paid[row.arrival_date] += row.amount
        deposited[row.arrival_date] += row.deposit_amount or Decimal(0)
    if not paid:
        return _empty(width, height, "No payouts yet")
    days = sorted(paid)
    drawing = Drawing(width, height)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 42, 26, width - 52, height - 48
    chart.data = [
        [float(paid[d]) for d in days],  # drawing boundary: floats only from here
        [float(deposited[d]) for d in days],
    ]
    chart.categoryAxis.categoryNames = [_label(d) for d in days]
    chart.bars[0].fillColor, chart.bars[1].fillColor = PAYOUT, DEPOSIT
    chart.bars.strokeColor = None
    chart.groupSpacing, chart.barSpacing = 6, 1
    _style_axes(chart)
    chart.valueAxis.labelTextFormat = _grouped
    drawing.add(chart)
    drawing.add(String(0, height - 12, f"{currency}, by arrival date", fontSize=8,
                       fontName="Helvetica", fillColor=MUTED))  # fmt: skip
    _legend(
        drawing,
        width - 230,
        height - 6,
        [(PAYOUT, f"Stripe payouts ({currency})"), (DEPOSIT, f"QBO deposits ({currency})")],
    )
    return drawing


def _grouped(value: float) -> str:
    """An axis label: whole units with thousands separators (the scale, not an amount)."""
    return f"{value:,.0f}"


def _thin(labels: list[str], most: int = 12) -> list[str]:
    """Every n-th category label, so that a month of days stays readable."""
    step = max(1, -(-len(labels) // most))
    return [label if index % step == 0 else "" for index, label in enumerate(labels)]


def _bars(
    width: float, height: float, series: list[list[float]], labels: list[str]
) -> tuple[Drawing, VerticalBarChart]:
    drawing = Drawing(width, height)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 42, 26, width - 52, height - 48
    chart.data = series
    chart.categoryAxis.categoryNames = _thin(labels)
    chart.bars.strokeColor = None
    chart.groupSpacing, chart.barSpacing = 3, 0.5
    _style_axes(chart)
    drawing.add(chart)
    return drawing, chart


def lag_chart(lag: Sequence[DailyLag], width: float = 500, height: float = 160) -> Drawing:
    """Seconds from archiving a Stripe event to its QBO link, p50 and p95, by event day."""
    if not lag:
        return _empty(width, height, "No synced events yet")
    series = [[d.pipeline_p50_seconds for d in lag], [d.pipeline_p95_seconds for d in lag]]
    drawing, chart = _bars(width, height, series, [_label(d.day) for d in lag])
    chart.bars[0].fillColor, chart.bars[1].fillColor = P50, P95
    _legend(drawing, width - 200, height - 6, [(P50, "p50 seconds"), (P95, "p95 seconds")])
    return drawing


def success_chart(
    success: Sequence[DailySuccess], width: float = 500, height: float = 150
) -> Drawing:
    """Share of finished attempts that succeeded, per day, in percent."""
    shown = [d for d in success if d.success_rate is not None]
    if not shown:
        return _empty(width, height, "No finished attempts yet")
    series = [[100 * (d.success_rate or 0) for d in shown]]
    drawing, chart = _bars(width, height, series, [_label(d.day) for d in shown])
    chart.bars[0].fillColor = PALETTE[4]
    chart.valueAxis.valueMin, chart.valueAxis.valueMax = 0, 100
    chart.barWidth = 10
    chart.groupSpacing = max(3.0, (width - 52) / max(len(shown), 1) - 40)
    _legend(drawing, width - 110, height - 6, [(PALETTE[4], "success rate %")])
    return drawing


def failures_chart(
    failures: Sequence[tuple[str, int]], width: float = 500, height: float = 150
) -> Drawing:
    """Objects whose sync failed, by error class and code (the largest eight)."""
    top = list(failures)[:8]
    if not top:
        return _empty(width, height, "No failed syncs")
    drawing = Drawing(width, height)
    chart = HorizontalBarChart()
    chart.x, chart.y, chart.width, chart.height = 190, 10, width - 210, height - 20
    chart.data = [[n for _, n in reversed(top)]]
    chart.categoryAxis.categoryNames = [reason[:40] for reason, _ in reversed(top)]
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.labels.fontName = "Helvetica"
    chart.categoryAxis.strokeColor = MUTED
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.forceZero = True
    chart.valueAxis.valueStep = max(1, -(-max(n for _, n in top) // 6))  # whole objects
    chart.valueAxis.visibleGrid = True
    chart.valueAxis.gridStrokeColor = GRID
    chart.valueAxis.strokeColor = GRID
    chart.bars[0].fillColor = BAD
    chart.bars.strokeColor = None
    drawing.add(chart)
    return drawing
