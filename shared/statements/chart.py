"""The contributions pie chart; amounts become floats only here, at the drawing boundary."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from reportlab.graphics.charts.piecharts import Pie
from reportlab.graphics.shapes import Drawing, Rect, String
from reportlab.lib import colors

PALETTE = tuple(
    colors.HexColor(code)
    for code in (
        "#1F4E79", "#2E86AB", "#F18F01", "#C73E1D", "#3B8B5A",
        "#6C4F9E", "#D4A017", "#7F8C8D", "#A23B72",
    )
)  # fmt: skip
MAX_SLICES = len(PALETTE)
OTHER = "Other sources"


@dataclass(frozen=True)
class Slice:
    source: str
    amount: Decimal
    share: Decimal | None  # percent of the positive total; None for a negative contribution
    color: colors.Color | None


def slices_from_contributions(contributions: Sequence[tuple[str, Decimal]]) -> list[Slice]:
    """Largest first; beyond the palette the smallest positive sources merge into one slice."""
    ordered = sorted(contributions, key=lambda item: (-item[1], item[0]))
    positive = [(s, a) for s, a in ordered if a > 0]
    negative = [(s, a) for s, a in ordered if a <= 0]
    if len(positive) > MAX_SLICES:
        rest = sum((a for _, a in positive[MAX_SLICES - 1 :]), Decimal(0))
        positive = [*positive[: MAX_SLICES - 1], (OTHER, rest)]
    total = sum((a for _, a in positive), Decimal(0))
    slices = [
        Slice(
            source,
            amount,
            (amount * 100 / total).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP),
            PALETTE[index],
        )
        for index, (source, amount) in enumerate(positive)
    ]
    slices.extend(Slice(source, amount, None, None) for source, amount in negative)
    return slices


def pie_drawing(slices: Sequence[Slice], size: float = 150) -> Drawing:
    drawing = Drawing(size, size)
    shown = [s for s in slices if s.share is not None]
    if not shown:
        drawing.add(String(size / 2, size / 2, "No breakdown", textAnchor="middle", fontSize=9))
        return drawing
    pie = Pie()
    pie.x = pie.y = 6
    pie.width = pie.height = size - 12
    pie.data = [float(s.amount) for s in shown]  # drawing boundary: floats are fine here
    pie.labels = None
    pie.simpleLabels = 1
    pie.startAngle = 90
    pie.direction = "clockwise"
    pie.slices.strokeColor = colors.white
    pie.slices.strokeWidth = 1.2
    for index, item in enumerate(shown):
        pie.slices[index].fillColor = item.color
    drawing.add(pie)
    return drawing


def swatch(color: colors.Color, size: float = 9) -> Drawing:
    """The legend's colour key of one slice."""
    drawing = Drawing(size, size)
    drawing.add(Rect(0, 0, size, size, fillColor=color, strokeColor=None))
    return drawing
