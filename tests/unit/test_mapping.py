"""Pure mappers: Stripe customers and invoices to QBO documents."""

from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from local_emulator.stripe_objects import (
    customer_object,
    finalized,
    invoice_line_object,
    invoice_object,
)
from shared.domain.mapping import (
    display_name_from_stripe_customer,
    qbo_customer_from_stripe_customer,
    qbo_invoice_from_stripe_invoice,
)
from shared.domain.qbo_models import Ref
from shared.domain.stripe_models import StripeCustomer, StripeInvoice, invoice_from_api
from shared.errors import MappingGapError

ITEM = Ref(value="1", name="Stripe sales")
CUSTOMER = Ref(value="58")
JAN_1_2026 = 1_767_225_600


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
    draft = invoice_object("in_1", customer="cus_1", number=None, status="draft",
                           currency=currency, lines=raw_lines, created=JAN_1_2026)
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
    assert doc["DisplayName"] == "Acme [cus_9]"


def test_invoice_lines_amounts_dates_and_doc_number() -> None:
    invoice = make_invoice([(1500, 3), (99, 1)])
    doc = qbo_invoice_from_stripe_invoice(invoice, CUSTOMER, ITEM, home_currency="usd")
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
    assert body["Line"][0]["Amount"] == "15.00"


def test_unit_price_of_an_uneven_split_keeps_the_line_amount_exact() -> None:
    invoice = make_invoice([(1000, 3)])
    line = qbo_invoice_from_stripe_invoice(invoice, CUSTOMER, ITEM, home_currency="usd").Line[0]
    assert line.Amount == Decimal("10.00")
    assert line.SalesItemLineDetail.UnitPrice == Decimal("3.3333333")


@pytest.mark.parametrize(
    ("currency", "amount", "expected"),
    [("jpy", 1500, Decimal(1500)), ("kwd", 1500, Decimal("1.500")), ("eur", 1500, Decimal("15"))],
)
def test_foreign_and_odd_exponent_currencies(currency: str, amount: int, expected: Decimal) -> None:
    invoice = make_invoice([(amount, 1)], currency=currency)
    doc = qbo_invoice_from_stripe_invoice(invoice, CUSTOMER, ITEM, home_currency="usd")
    assert doc.Line[0].Amount == expected
    assert doc.CurrencyRef == Ref(value=currency.upper())


def test_dates_follow_the_books_time_zone() -> None:
    invoice = make_invoice([(100, 1)])
    doc = qbo_invoice_from_stripe_invoice(
        invoice, CUSTOMER, ITEM, home_currency="usd", tz=ZoneInfo("America/Los_Angeles")
    )
    assert doc.TxnDate == date(2025, 12, 31)


def test_long_stripe_numbers_fit_doc_number() -> None:
    invoice = make_invoice([(100, 1)], number="VERYLONGPREFIX12345-00001")
    doc = qbo_invoice_from_stripe_invoice(invoice, CUSTOMER, ITEM, home_currency="usd")
    assert doc.DocNumber is not None
    assert len(doc.DocNumber) <= 21


def test_draft_never_maps() -> None:
    draft = make_invoice([(100, 1)]).model_copy(update={"status": "draft"})
    with pytest.raises(MappingGapError, match="draft"):
        qbo_invoice_from_stripe_invoice(draft, CUSTOMER, ITEM, home_currency="usd")


def test_lines_that_do_not_add_up_are_refused_not_posted() -> None:
    invoice = make_invoice([(100, 1)]).model_copy(update={"total": 90})
    with pytest.raises(MappingGapError) as caught:
        qbo_invoice_from_stripe_invoice(invoice, CUSTOMER, ITEM, home_currency="usd")
    assert caught.value.code == "lines_total_mismatch"
