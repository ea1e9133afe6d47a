"""The settlement statement as a one-page PDF (reportlab): same input, same bytes."""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table

from shared.domain.settlement import InvoicePlan, Settlement, uplift_from_settlement
from shared.domain.settlement_invoice import (
    PAYMENT_TERMS_DAYS,
    decimal_money_text,
    money_text,
    percent_text,
    rate_text,
)
from shared.statements.chart import pie_drawing, slices_from_contributions, swatch
from shared.statements.model import (
    DEFAULT_COMPANY,
    BillTo,
    CompanyProfile,
    InvoiceRef,
    Statement,
    draft_invoice_ref,
)

INK = colors.HexColor("#1B2A3A")
ACCENT = colors.HexColor("#1F4E79")
MUTED = colors.HexColor("#5F6B7A")
RULE = colors.HexColor("#C9D1DB")
SHADE = colors.HexColor("#EEF2F6")
LINK = colors.HexColor("#1A5FB4")

PAGE_WIDTH, PAGE_HEIGHT = LETTER
MARGIN = 0.6 * inch
CONTENT = PAGE_WIDTH - 2 * MARGIN - 12  # the frame keeps 6 pt of padding on each side


def _style(name: str, size: float = 9, **extra: Any) -> ParagraphStyle:
    base: dict[str, Any] = {"fontName": "Helvetica", "fontSize": size, "leading": size * 1.3}
    base["textColor"] = INK
    base.update(extra)
    return ParagraphStyle(name, **base)


BODY = _style("body")
SMALL = _style("small", 8, textColor=MUTED)
LABEL = _style("label", 7.5, fontName="Helvetica-Bold", textColor=MUTED)
COMPANY = _style("company", 15, fontName="Helvetica-Bold", textColor=ACCENT, leading=18)
TITLE = _style("title", 16, fontName="Helvetica-Bold", alignment=TA_RIGHT, leading=20)
HEADING = _style("heading", 10.5, fontName="Helvetica-Bold", textColor=ACCENT, spaceBefore=10)
RIGHT = _style("right", alignment=TA_RIGHT)
KPI = _style("kpi", 12, fontName="Helvetica-Bold", leading=15)
DUE = _style("due", 18, fontName="Helvetica-Bold", textColor=ACCENT, leading=22)


def _p(text: str, style: ParagraphStyle = BODY) -> Paragraph:
    return Paragraph(text, style)


def _long_date(day: date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


def _short_date(day: date) -> str:
    return f"{day:%b} {day.day}, {day.year}"


def _lines(*parts: str) -> str:
    return "<br/>".join(escape(part) for part in parts if part)


def _header(statement: Statement) -> Table:
    company, invoice, settlement = statement.company, statement.invoice, statement.settlement
    left = [
        _p(escape(company.name), COMPANY),
        _p(_lines(*company.address_lines, company.email, company.website, company.tax_id), SMALL),
    ]
    facts = [
        ("Invoice number", invoice.number or "Draft (not yet issued)"),
        ("Invoice date", _long_date(invoice.issued_on)),
        ("Due date", f"{_long_date(invoice.due_on)} (Net {PAYMENT_TERMS_DAYS})"),
        (
            "Billing period",
            f"{_short_date(settlement.period_start)} - {_short_date(settlement.period_end)}",
        ),
        ("Settlement", settlement.settlement_id),
    ]
    fact_table = Table(
        [[_p(label.upper(), LABEL), _p(escape(value), RIGHT)] for label, value in facts],
        colWidths=[1.25 * inch, 2.05 * inch],
        style=[("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5)],
    )
    right = [_p("Success Fee Statement", TITLE), Spacer(1, 4), fact_table]
    return Table(
        [[left, right]],
        colWidths=[CONTENT - 3.3 * inch, 3.3 * inch],
        style=[
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LINEBELOW", (0, 0), (-1, 0), 1.5, ACCENT),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 10),
            ("LEFTPADDING", (0, 0), (0, 0), 0),
            ("RIGHTPADDING", (-1, 0), (-1, 0), 0),
        ],
    )


def _bill_to_and_due(statement: Statement) -> Table:
    bill, plan, invoice = statement.bill_to, statement.plan, statement.invoice
    left = [
        _p("BILL TO", LABEL),
        _p(f"<b>{escape(bill.name)}</b>", BODY),
        _p(_lines(*bill.address_lines, bill.email), BODY),
    ]
    link = (
        f'<a href="{escape(invoice.hosted_url)}" color="#1A5FB4"><u>Pay this invoice online</u></a>'
        if invoice.hosted_url
        else "Payment link follows when the invoice is issued"
    )
    right = [
        _p("AMOUNT DUE", LABEL),
        _p(escape(money_text(plan.total_minor, plan.currency)), DUE),
        _p(f"Due {_long_date(invoice.due_on)}", SMALL),
        _p(link, BODY),
    ]
    return Table(
        [[left, right]],
        colWidths=[CONTENT / 2, CONTENT / 2],
        style=[
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("BACKGROUND", (1, 0), (1, 0), SHADE),
            ("LEFTPADDING", (0, 0), (0, 0), 0),
            ("LEFTPADDING", (1, 0), (1, 0), 12),
            ("TOPPADDING", (0, 0), (-1, -1), 8),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 8),
        ],
    )


def _performance(settlement: Settlement) -> Table:
    currency = settlement.currency
    figures = [
        ("Baseline revenue", decimal_money_text(settlement.baseline_revenue, currency)),
        ("Actual revenue", decimal_money_text(settlement.actual_revenue, currency)),
        ("Incremental revenue", decimal_money_text(settlement.incremental_revenue, currency)),
        ("Uplift", percent_text(uplift_from_settlement(settlement))),
        ("Fee rate", rate_text(settlement.fee_rate)),
    ]
    money_width = 1.6 * inch
    rest = (CONTENT - 3 * money_width) / 2
    return Table(
        [
            [_p(label.upper(), LABEL) for label, _ in figures],
            [_p(escape(value), KPI) for _, value in figures],
        ],
        colWidths=[money_width] * 3 + [rest] * 2,
        style=[
            ("BOX", (0, 0), (-1, -1), 0.75, RULE),
            ("LINEBEFORE", (1, 0), (-1, -1), 0.75, RULE),
            ("BACKGROUND", (0, 0), (-1, -1), SHADE),
            ("TOPPADDING", (0, 0), (-1, 0), 7),
            ("BOTTOMPADDING", (0, -1), (-1, -1), 8),
        ],
    )


def _charges(statement: Statement) -> Table:
    settlement, plan = statement.settlement, statement.plan
    cur = plan.currency
    incremental = decimal_money_text(settlement.incremental_revenue, cur)
    rows: list[list[Any]] = [
        [
            _p("DESCRIPTION", LABEL),
            _p(
                "AMOUNT",
                _style("lr", 7.5, fontName="Helvetica-Bold", textColor=MUTED, alignment=TA_RIGHT),
            ),
        ],
        [
            _p(
                f"Success fee: {rate_text(settlement.fee_rate)} of {escape(incremental)} "
                "incremental revenue"
            ),
            _p(escape(money_text(plan.fee_minor, cur)), RIGHT),
        ],
    ]
    for credit in plan.credits:
        lost = statement.revenue_lost.get(credit.credit_id)
        detail = f" (revenue lost {decimal_money_text(lost, cur)})" if lost is not None else ""
        reason = credit.reason.replace("_", " ").capitalize() or "Credit"
        rows.append(
            [
                _p(escape(f"Credit {credit.credit_id}: {reason}{detail}")),
                _p(escape(money_text(-credit.amount_minor, cur)), RIGHT),
            ]
        )
    if not plan.credits:
        rows.append([_p("Credits applied: none", SMALL), _p(escape(money_text(0, cur)), RIGHT)])
    subtotal_row = len(rows)
    rows.append([_p("Subtotal"), _p(escape(money_text(plan.subtotal_minor, cur)), RIGHT)])
    rows.append(
        [
            _p(escape(f"Tax ({plan.tax_jurisdiction}, {rate_text(plan.tax_rate)})")),
            _p(escape(money_text(plan.tax_minor, cur)), RIGHT),
        ]
    )
    rows.append(
        [
            _p("<b>Total due</b>"),
            _p(f"<b>{escape(money_text(plan.total_minor, cur))}</b>", RIGHT),
        ]
    )
    return Table(
        rows,
        colWidths=[CONTENT - 1.8 * inch, 1.8 * inch],
        style=[
            ("LINEBELOW", (0, 0), (-1, 0), 0.75, ACCENT),
            ("LINEABOVE", (0, subtotal_row), (-1, subtotal_row), 0.5, RULE),
            ("LINEABOVE", (0, -1), (-1, -1), 1, INK),
            ("BACKGROUND", (0, -1), (-1, -1), SHADE),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("TOPPADDING", (0, 0), (-1, -1), 3.5),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 3.5),
        ],
    )


def _contributions(settlement: Settlement) -> Table:
    slices = slices_from_contributions([(c.source, c.amount) for c in settlement.contributions])
    legend: list[list[Any]] = [["", _p("SOURCE", LABEL), _p("AMOUNT", LABEL), _p("SHARE", LABEL)]]
    for item in slices:
        legend.append(
            [
                swatch(item.color) if item.color is not None else "",
                _p(escape(item.source)),
                _p(escape(decimal_money_text(item.amount, settlement.currency))),
                _p(f"{item.share}%" if item.share is not None else "-"),
            ]
        )
    if not slices:
        legend.append(["", _p("No breakdown by source was provided.", SMALL), "", ""])
    legend_table = Table(
        legend,
        colWidths=[0.3 * inch, 2.35 * inch, 1.5 * inch, 0.7 * inch],
        style=[
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("LINEBELOW", (0, 0), (-1, 0), 0.5, RULE),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ],
    )
    pie = pie_drawing(slices, size=1.9 * inch)
    return Table(
        [[pie, legend_table]],
        colWidths=[2.2 * inch, CONTENT - 2.2 * inch],
        style=[("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("LEFTPADDING", (0, 0), (0, 0), 0)],
    )


def _payment(statement: Statement) -> list[Flowable]:
    invoice, company = statement.invoice, statement.company
    if invoice.hosted_url:
        url = escape(invoice.hosted_url)
        link = f'Pay online: <a href="{url}" color="#1A5FB4"><u>{url}</u></a>'
    else:
        link = "The secure Stripe payment link is issued with the invoice."
    reference = invoice.number or statement.settlement.settlement_id
    return [
        _p("Payment", HEADING),
        _p(link),
        _p(
            escape(
                f"Terms: Net {PAYMENT_TERMS_DAYS}. Please quote {reference} with any payment. "
                f"Questions about this statement: {company.email}."
            ),
            SMALL,
        ),
    ]


def _footer(statement: Statement) -> Any:
    text = (
        f"{statement.company.name}  |  Statement for settlement "
        f"{statement.settlement.settlement_id}  |  Amounts in {statement.plan.currency.upper()}"
    )
    date_stamp = statement.invoice.issued_on.strftime("D:%Y%m%d000000+00'00'")

    def draw(canvas: Canvas, _doc: Any) -> None:
        # A fixed creation date (the invoice date) keeps the bytes the same for the same input.
        canvas.setDateFormatter(lambda *_parts: date_stamp)
        canvas.saveState()
        canvas.setFont("Helvetica", 7.5)
        canvas.setFillColor(MUTED)
        canvas.setStrokeColor(RULE)
        canvas.line(MARGIN, 0.55 * inch, PAGE_WIDTH - MARGIN, 0.55 * inch)
        canvas.drawString(MARGIN, 0.4 * inch, text)
        canvas.drawRightString(PAGE_WIDTH - MARGIN, 0.4 * inch, f"Page {canvas.getPageNumber()}")
        canvas.restoreState()

    return draw


def statement_pdf(statement: Statement) -> bytes:
    """Render a statement; deterministic: invariant mode and a creation date from the input."""
    buffer = io.BytesIO()
    reference = statement.invoice.number or statement.settlement.settlement_id
    doc = SimpleDocTemplate(
        buffer,
        pagesize=LETTER,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=0.8 * inch,
        title=f"Success fee statement {reference}",
        author=statement.company.name,
        subject=f"Settlement {statement.settlement.settlement_id}",
        creator="stripe-qbo-sync",
        invariant=1,
    )
    story: list[Flowable] = [
        _header(statement),
        Spacer(1, 12),
        _bill_to_and_due(statement),
        # A heading never stays behind at the foot of a page without its section.
        KeepTogether(
            [
                _p("Performance summary", HEADING),
                Spacer(1, 4),
                _performance(statement.settlement),
            ]
        ),
        KeepTogether([_p("Charges", HEADING), _charges(statement)]),
        KeepTogether(
            [_p("Incremental revenue by source", HEADING), _contributions(statement.settlement)]
        ),
        KeepTogether(_payment(statement)),
    ]
    footer = _footer(statement)
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


def statement_pdf_from_settlement(
    settlement: Settlement,
    plan: InvoicePlan,
    invoice: InvoiceRef | None = None,
    *,
    bill_to: BillTo | None = None,
    company: CompanyProfile = DEFAULT_COMPANY,
    revenue_lost: Mapping[str, Decimal] | None = None,
) -> bytes:
    """The statement PDF of a settlement: its plan (fee, credits, tax) and Stripe invoice."""
    return statement_pdf(
        statement_from_settlement(
            settlement, plan, invoice, bill_to=bill_to, company=company, revenue_lost=revenue_lost
        )
    )


def statement_from_settlement(
    settlement: Settlement,
    plan: InvoicePlan,
    invoice: InvoiceRef | None = None,
    *,
    bill_to: BillTo | None = None,
    company: CompanyProfile = DEFAULT_COMPANY,
    revenue_lost: Mapping[str, Decimal] | None = None,
) -> Statement:
    return Statement(
        company=company,
        bill_to=bill_to or BillTo(settlement.customer_name or settlement.customer_id),
        invoice=invoice or draft_invoice_ref(settlement),
        settlement=settlement,
        plan=plan,
        revenue_lost=dict(revenue_lost or {}),
    )
