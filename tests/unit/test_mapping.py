"""Pure mappers: Stripe customers and invoices to QBO documents."""

from datetime import UTC, date, tzinfo
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from local_emulator.generator.stripe_objects import (
    customer_object,
    finalized,
    invoice_line_object,
    invoice_object,
)
from shared.adapters.qbo_json import dumps
from shared.domain.mapping import (
    CurrencyTerms,
    carries_marker,
    display_name_from_stripe_customer,
    marker,
    marker_core,
    qbo_customer_from_stripe_customer,
    qbo_invoice_from_stripe_invoice,
)
from shared.domain.mapping_tax import LineChoice, TaxRules, invoice_sale
from shared.domain.qbo_models import QboInvoice, Ref
from shared.domain.sales_tax import FormRefs, taxed_form
from shared.domain.stripe_models import StripeCustomer, StripeInvoice, invoice_from_api
from shared.domain.stripe_tax import StripeTax
from shared.errors import MappingGapError

ITEM = Ref(value="1", name="Stripe sales")
CUSTOMER = Ref(value="58")
REFS = FormRefs(tax_item=Ref(value="2"), discount_account=Ref(value="90"))
USD = CurrencyTerms("usd", "usd")


def terms(currency: str) -> CurrencyTerms:
    return CurrencyTerms(currency, "usd", Decimal("1.25") if currency != "usd" else None)


JAN_1_2026 = 1_767_225_600


def invoice_doc(
    invoice: StripeInvoice,
    currency: CurrencyTerms = USD,
    *,
    items: dict[str, Ref] | None = None,
    tz: tzinfo = UTC,
) -> QboInvoice:
    """The invoice as a US company on manual sales tax gets it (``invoices.ensure_invoice``)."""
    choices = [LineChoice((items or {}).get(line.product_id or "", ITEM)) for line in invoice.lines]
    parts = invoice_sale(invoice, choices, TaxRules("us", date(2026, 1, 1)), tz)
    form = taxed_form(parts, "us", REFS, currency)
    return qbo_invoice_from_stripe_invoice(invoice, CUSTOMER, form, currency, tz=tz)


def make_invoice(
    lines: list[tuple[int, int]], *, currency: str = "usd", number: str = "ABC-0001"
) -> StripeInvoice:
    raw_lines = [
        invoice_line_object(
            f"il_{i}",
            "in_1",
            amount=amount,
            currency=currency,
            quantity=qty,
            description=f"line {i}",
            period=(JAN_1_2026, JAN_1_2026 + 86_400),
        )
        for i, (amount, qty) in enumerate(lines)
    ]
    draft = invoice_object(
        "in_1",
        customer="cus_1",
        number=None,
        status="draft",
        currency=currency,
        lines=raw_lines,
        created=JAN_1_2026,
    )
    raw = finalized(draft, number, JAN_1_2026 + 3600)
    return invoice_from_api(raw, raw["lines"]["data"])


def test_display_name_is_unique_by_construction() -> None:
    customer = StripeCustomer.model_validate(customer_object("cus_9", name="Acme", created=0))
    assert display_name_from_stripe_customer(customer) == "Acme [cus_9]"
    nameless = StripeCustomer(id="cus_8")
    assert display_name_from_stripe_customer(nameless) == "cus_8"
    long = StripeCustomer(id="cus_7", name="N" * 300)
    name = display_name_from_stripe_customer(long)
    assert len(name) <= 100
    assert name.endswith("[cus_7]")


def test_customer_notes_carry_the_stripe_id() -> None:
    customer = StripeCustomer(id="cus_9", name="Acme")
    doc = qbo_customer_from_stripe_customer(customer).to_qbo()
    assert doc["Notes"] == "Stripe customer cus_9"
    assert "CurrencyRef" not in doc
    euro = qbo_customer_from_stripe_customer(customer, terms("eur")).to_qbo()
    assert euro["DisplayName"] == "Acme [cus_9] EUR"
    assert euro["CurrencyRef"] == {"value": "EUR"}
    assert doc["DisplayName"] == "Acme [cus_9]"


def test_invoice_lines_amounts_dates_and_doc_number() -> None:
    invoice = make_invoice([(1500, 3), (99, 1)])
    doc = invoice_doc(invoice)
    body = doc.to_qbo()
    assert body["DocNumber"] == "ABC-0001"
    assert body["TxnDate"] == "2026-01-01"
    assert body["DueDate"] == "2026-01-31"
    assert "CurrencyRef" not in body
    amounts = [line.Amount for line in doc.Line]
    assert amounts == [Decimal("15.00"), Decimal("0.99")]
    assert sum(amounts) == Decimal("15.99")
    first = doc.Line[0].SalesItemLineDetail
    assert first.Qty == Decimal(3)
    assert first.UnitPrice == Decimal(5)
    assert first.ServiceDate == date(2026, 1, 2)
    assert body["Line"][0]["Amount"] == Decimal("15.00")


def test_amounts_go_out_as_json_numbers_with_plain_digits() -> None:
    """QBO types amounts xs:decimal: a JSON number, never a string nor exponent notation."""
    invoice = make_invoice([(495000, 3)])  # 4,950.00 for 3: UnitPrice 1650 (1.65E+3 normalized)
    body = dumps(invoice_doc(invoice).to_qbo())
    assert '"Amount":4950.00' in body
    assert '"UnitPrice":1650' in body
    assert '"Qty":3' in body
    assert "E+" not in body and '"4950.00"' not in body


def test_unit_price_of_an_uneven_split_keeps_the_line_amount_exact() -> None:
    invoice = make_invoice([(1000, 3)])
    line = invoice_doc(invoice).Line[0]
    assert line.Amount == Decimal("10.00")
    assert line.SalesItemLineDetail.UnitPrice == Decimal("3.3333333")


@pytest.mark.parametrize(
    ("currency", "amount", "expected"),
    [("jpy", 1500, Decimal(1500)), ("kwd", 1500, Decimal("1.500")), ("eur", 1500, Decimal("15"))],
)
def test_foreign_and_odd_exponent_currencies(currency: str, amount: int, expected: Decimal) -> None:
    invoice = make_invoice([(amount, 1)], currency=currency)
    doc = invoice_doc(invoice, terms(currency))
    assert doc.Line[0].Amount == expected
    assert doc.CurrencyRef == Ref(value=currency.upper())
    assert doc.ExchangeRate == Decimal("1.25")


def test_dates_follow_the_books_time_zone() -> None:
    invoice = make_invoice([(100, 1)])
    doc = invoice_doc(invoice, tz=ZoneInfo("America/Los_Angeles"))
    assert doc.TxnDate == date(2025, 12, 31)


def test_long_stripe_numbers_fit_doc_number() -> None:
    invoice = make_invoice([(100, 1)], number="VERYLONGPREFIX12345-00001")
    doc = invoice_doc(invoice)
    assert doc.DocNumber is not None
    assert len(doc.DocNumber) <= 21


def test_draft_never_maps() -> None:
    draft = make_invoice([(100, 1)]).model_copy(update={"status": "draft"})
    with pytest.raises(MappingGapError, match="draft"):
        invoice_doc(draft)


def test_lines_that_do_not_add_up_are_refused_not_posted() -> None:
    invoice = make_invoice([(100, 1)]).model_copy(update={"total": 90})
    with pytest.raises(MappingGapError) as caught:
        invoice_doc(invoice)
    assert caught.value.code == "lines_total_mismatch"


def test_discounts_and_tax_become_their_own_lines() -> None:
    invoice = make_invoice([(1000, 1), (500, 1)])
    tax = StripeTax(amount=104, tax_behavior="exclusive", taxable_amount=1300, tax_rate="txr_1")
    first = invoice.lines[0].model_copy(
        update={"discount_amounts": [{"amount": 200}], "taxes": (tax,)}
    )
    invoice = invoice.model_copy(
        update={
            "lines": [first, invoice.lines[1]],
            "total": 1500 - 200 + 104,
            "total_discount_amounts": [{"amount": 200}],
            "total_taxes": [{"amount": 104, "tax_behavior": "exclusive"}],
        }
    )
    doc = invoice_doc(invoice)
    body = doc.to_qbo()
    kinds = [line["DetailType"] for line in body["Line"]]
    assert kinds == ["SalesItemLineDetail"] * 3 + ["DiscountLineDetail"] or kinds == [
        "SalesItemLineDetail",
        "SalesItemLineDetail",
        "DiscountLineDetail",
        "SalesItemLineDetail",
    ]
    discount = next(line for line in body["Line"] if line["DetailType"] == "DiscountLineDetail")
    assert discount["Amount"] == Decimal("2.00")
    assert discount["DiscountLineDetail"]["DiscountAccountRef"] == {"value": "90"}
    tax = body["Line"][-1]
    assert tax["Amount"] == Decimal("1.04")
    assert tax["SalesItemLineDetail"]["ItemRef"] == {"value": "2"}


def test_products_map_to_their_items() -> None:
    invoice = make_invoice([(1000, 1)])
    line = invoice.lines[0].model_copy(update={"product_id": "prod_9"})
    invoice = invoice.model_copy(update={"lines": [line]})
    doc = invoice_doc(invoice, items={"prod_9": Ref(value="77")})
    assert doc.Line[0].SalesItemLineDetail.ItemRef == Ref(value="77")  # type: ignore[union-attr]


def test_every_document_names_its_stripe_source() -> None:
    doc = invoice_doc(make_invoice([(100, 1)]))
    assert doc.PrivateNote == "Stripe invoice in_1 (ABC-0001)"


def test_the_invoice_memo_reaches_the_customer_memo_within_its_limit() -> None:
    invoice = make_invoice([(100, 1)]).model_copy(update={"description": "Thanks! " * 200})
    memo = invoice_doc(invoice).CustomerMemo
    assert memo is not None
    assert len(memo.value) == 1000
    assert memo.value.startswith("Thanks!")


def test_marker_core_is_read_from_the_note_fields() -> None:
    assert marker_core({"PrivateNote": marker("invoice", "in_1", "ABC-1")}) == "Stripe invoice in_1"
    assert marker_core({"Notes": marker("customer", "cus_9")}) == "Stripe customer cus_9"
    assert marker_core({"Description": "Stripe product prod_1"}) == "Stripe product prod_1"
    assert marker_core({"Name": "Stripe Clearing"}) is None
    voided = {"PrivateNote": "Voided - " + marker("invoice", "in_1", "ABC-1")}  # QBO's void
    assert marker_core(voided) == "Stripe invoice in_1"


def test_carries_marker_needs_the_whole_id() -> None:
    core = "Stripe invoice in_1"
    assert carries_marker({"PrivateNote": "Stripe invoice in_1 (ABC-1)"}, core)
    assert carries_marker({"PrivateNote": "note; Stripe invoice in_1"}, core)
    assert not carries_marker({"PrivateNote": "Stripe invoice in_12"}, core)
    assert not carries_marker({"PrivateNote": "typed by a person"}, core)
    assert not carries_marker({}, core)
