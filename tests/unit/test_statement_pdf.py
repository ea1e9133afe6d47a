"""The statement PDF: every part present, deterministic bytes, QBO attachment metadata."""

from __future__ import annotations

import base64
import hashlib
import re
import subprocess
import sys
import zlib
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from shared.domain.settlement import OpenCredit, invoice_plan_from_settlement, settlement_from_row
from shared.statements.attachable import (
    attachable_query_for_invoice,
)
from shared.statements.chart import MAX_SLICES, OTHER, slices_from_contributions
from shared.statements.model import BillTo, InvoiceRef, bill_to_from_stripe
from shared.statements.pdf import statement_from_settlement, statement_pdf
from tests.functional.settlement_fakes import TAX_RATES, settlement_row

URL = "https://invoice.stripe.test/i/in_000123"


def pdf_text(pdf: bytes) -> str:
    """The text drawn on the pages: content streams decoded, string operands joined."""
    texts: list[str] = []
    for match in re.finditer(
        rb"/Filter \[ /ASCII85Decode /FlateDecode \][^>]*>>\s*stream\r?\n", pdf
    ):
        end = pdf.index(b"endstream", match.end())
        encoded = pdf[match.end() : end].strip()
        content = zlib.decompress(base64.a85decode(encoded.removesuffix(b"~>"), adobe=False))
        for literal in re.findall(rb"\(((?:\\.|[^\\)])*)\)\s*Tj", content):
            texts.append(re.sub(rb"\\(.)", rb"\1", literal).decode("latin-1"))
    return "\n".join(texts)


def make_statement(**overrides: object) -> object:
    settlement = settlement_from_row(settlement_row("set_2026_01_acme", **overrides))
    credits = [OpenCredit("cred_rb_1", "ROLLBACK", "usd", Decimal("250.00"), Decimal("1250.00"))]
    plan = invoice_plan_from_settlement(settlement, credits, TAX_RATES)
    assert plan is not None
    invoice = InvoiceRef("SETL-0042", date(2026, 2, 2), date(2026, 3, 4), URL, "in_000123")
    bill_to = BillTo("Acme Outdoor Co.", "ap@acme.example", ("1200 Harbor Blvd", "Oakland, CA"))
    return statement_from_settlement(
        settlement, plan, invoice, bill_to=bill_to, revenue_lost={"cred_rb_1": Decimal("1250")}
    )


@pytest.fixture(scope="module")
def rendered() -> tuple[bytes, str]:
    pdf = statement_pdf(make_statement())  # type: ignore[arg-type]
    return pdf, pdf_text(pdf)


def test_the_statement_is_a_one_page_pdf(rendered: tuple[bytes, str]) -> None:
    pdf, _ = rendered
    assert pdf.startswith(b"%PDF-")
    assert pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") == 1


@pytest.mark.parametrize(
    "part",
    [
        # header: company, bill-to, invoice number and dates
        "Lumen Growth Partners LLC",
        "Success Fee Statement",
        "Acme Outdoor Co.",
        "1200 Harbor Blvd",
        "SETL-0042",
        "February 2, 2026",
        "March 4, 2026 (Net 30)",
        "Jan 1, 2026 - Jan 31, 2026",
        # performance summary
        "Performance summary",
        "USD 50,000.00",
        "USD 60,000.00",
        "USD 10,000.00",
        "20.00%",
        "FEE RATE",
        # fee, credits, tax, total
        "Success fee: 20% of USD 10,000.00 incremental revenue",
        "USD 2,000.00",
        "Credit cred_rb_1: Rollback (revenue lost USD 1,250.00)",
        "-USD 250.00",
        "Tax (US-CA, 7.25%)",
        "USD 126.88",
        "Total due",
        "USD 1,876.88",
        # payment link
        "Pay this invoice online",
        URL,
        # contributions
        "Incremental revenue by source",
        "Paid search",
        "60.0%",
        "Email",
        "40.0%",
    ],
)
def test_every_part_is_on_the_page(rendered: tuple[bytes, str], part: str) -> None:
    _, text = rendered
    assert part in text


def test_the_payment_link_is_clickable(rendered: tuple[bytes, str]) -> None:
    pdf, _ = rendered
    assert f"/URI ({URL})".encode() in pdf


def test_the_pie_chart_is_drawn(rendered: tuple[bytes, str]) -> None:
    # Two slices filled with the first two palette colours (#1F4E79, #2E86AB).
    pdf, _ = rendered
    stream = re.search(rb"stream\r?\n(.*?)endstream", pdf, re.S)
    assert stream is not None
    content = zlib.decompress(base64.a85decode(stream.group(1).strip().removesuffix(b"~>")))
    assert b".121569 .305882 .47451 rg" in content
    assert b".180392 .52549 .670588 rg" in content


def test_same_input_same_bytes_even_in_another_process(rendered: tuple[bytes, str]) -> None:
    pdf, _ = rendered
    assert statement_pdf(make_statement()) == pdf  # type: ignore[arg-type]
    script = (
        "import sys, hashlib; from tests.unit.test_statement_pdf import make_statement;"
        "from shared.statements.pdf import statement_pdf;"
        "sys.stdout.write(hashlib.sha256(statement_pdf(make_statement())).hexdigest())"
    )
    other = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "12345", "PATH": ""},
        cwd=Path(__file__).resolve().parents[2],
    )
    assert other.stdout == hashlib.sha256(pdf).hexdigest()


def test_different_input_different_bytes(rendered: tuple[bytes, str]) -> None:
    pdf, _ = rendered
    other = make_statement(fee_rate=Decimal("0.21"))
    assert statement_pdf(other) != pdf  # type: ignore[arg-type]


def test_a_draft_statement_without_breakdown_or_credits_still_renders() -> None:
    settlement = settlement_from_row(
        settlement_row("s_jpy", currency="JPY", contributions=None, tax_jurisdiction="NONE")
    )
    plan = invoice_plan_from_settlement(settlement, [], TAX_RATES)
    assert plan is not None
    text = pdf_text(statement_pdf(statement_from_settlement(settlement, plan)))
    assert "Draft (not yet issued)" in text
    assert "JPY 2,000" in text
    assert "No breakdown by source was provided." in text
    assert "Credits applied: none" in text


def test_slices_merge_the_smallest_sources_and_keep_negatives_out_of_the_pie() -> None:
    sources = [(f"s{i:02d}", Decimal(100 - i)) for i in range(12)] + [("refunds", Decimal(-5))]
    slices = slices_from_contributions(sources)
    pie = [s for s in slices if s.share is not None]
    assert len(pie) == MAX_SLICES
    assert pie[-1].source == OTHER
    assert sum(s.amount for s in pie) == sum(Decimal(100 - i) for i in range(12))
    assert slices[-1].source == "refunds"
    assert slices[-1].share is None


def test_bill_to_from_a_stripe_invoice() -> None:
    invoice = {
        "customer": "cus_1",
        "customer_name": "Acme",
        "customer_email": "ap@acme.example",
        "customer_address": {"line1": "1 Main St", "city": "Oakland", "state": "CA",
                             "postal_code": "94607", "country": "US"},
    }  # fmt: skip
    bill = bill_to_from_stripe(invoice, "fallback")
    assert bill.address_lines == ("1 Main St", "Oakland, CA 94607", "US")
    assert bill_to_from_stripe({"customer": "cus_1"}, "").name == "cus_1"


def test_the_attachment_lookup_query_names_the_invoice() -> None:
    query = attachable_query_for_invoice("145")
    assert "AttachableRef.EntityRef.value = '145'" in query
    with pytest.raises(ValueError, match="digits"):
        attachable_query_for_invoice("1' or '1")
