"""One builder for the lines and tax of every sales form, per tax model; and a portion of a
sale (a refund, a credit kept), split to the unit."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from local_emulator.fakes.qbo import FakeQbo
from shared.adapters.clock import ManualClock
from shared.domain.mapping import CurrencyTerms
from shared.domain.qbo_models import QboInvoice, Ref
from shared.domain.sales_tax import (
    FormRefs,
    Part,
    TaxShare,
    portion,
    sale_total,
    taxed_form,
)

D = Decimal
REFS = FormRefs(
    item=Ref(value="1"),
    tax_item=Ref(value="9"),
    discount_account=Ref(value="5"),
    discount_item=Ref(value="7"),
    credits_item=Ref(value="8"),
    shipping_item=Ref(value="6"),
)
CAD = CurrencyTerms("cad", "cad")


def gst(amount: int, taxable: int) -> TaxShare:
    return TaxShare("txr_gst", amount, taxable, qbo_rate="1", percent=D(5))


def pst(amount: int, taxable: int) -> TaxShare:
    return TaxShare("txr_pst", amount, taxable, qbo_rate="7", percent=D(7))


def body(form: Any) -> dict[str, Any]:
    return QboInvoice(CustomerRef=Ref(value="1"), TxnDate="2026-01-10", **form.fields()).to_qbo()


def test_global_lines_name_their_code_and_the_tax_is_per_rate() -> None:
    parts = [
        Part("item", 1000, "8", (gst(50, 1000), pst(70, 1000)), description="Seats"),
        Part("item", 400, "2", (gst(20, 400),)),
        Part("discount", -100, "8", description="Discounts"),
        Part("shipping", 500, "2", (gst(25, 500),)),
    ]
    form = taxed_form(parts, "global", REFS, CAD)
    doc = body(form)
    assert [line["SalesItemLineDetail"]["TaxCodeRef"]["value"] for line in doc["Line"]] == [
        "8", "2", "8", "2",
    ]  # fmt: skip
    assert doc["Line"][2]["Amount"] == D("-1.00")  # a discount: a negative line with its code
    assert doc["Line"][2]["SalesItemLineDetail"]["ItemRef"] == {"value": "7"}
    taxes = {
        t["TaxLineDetail"]["TaxRateRef"]["value"]: t["Amount"]
        for t in doc["TxnTaxDetail"]["TaxLine"]
    }
    assert taxes == {"1": D("0.95"), "7": D("0.70")}
    assert doc["TxnTaxDetail"]["TotalTax"] == D("1.65")
    assert doc["GlobalTaxCalculation"] == "TaxExcluded"
    assert sale_total(parts) == 1000 + 400 - 100 + 500 + 165


def test_us_keeps_one_tax_line_and_automated_sales_tax_an_override() -> None:
    parts = [
        Part("item", 1000, "TAX", (TaxShare("txr_ca", 73, 1000),)),
        Part("item", 500, "NON"),
        Part("discount", -100, "", description="Discounts"),
    ]
    usd = CurrencyTerms("usd", "usd")
    manual = body(taxed_form(parts, "us", REFS, usd))
    assert "TxnTaxDetail" not in manual
    assert [line["DetailType"] for line in manual["Line"]] == [
        "SalesItemLineDetail", "SalesItemLineDetail", "DiscountLineDetail", "SalesItemLineDetail",
    ]  # fmt: skip
    assert manual["Line"][-1]["Amount"] == D("0.73")
    assert "TaxCodeRef" not in manual["Line"][0]["SalesItemLineDetail"]
    ast = body(taxed_form(parts, "us-ast", REFS, usd, ast_code=Ref(value="3")))
    assert ast["TxnTaxDetail"] == {"TxnTaxCodeRef": {"value": "3"}, "TotalTax": D("0.73")}
    assert [line["SalesItemLineDetail"]["TaxCodeRef"]["value"] for line in ast["Line"][:2]] == [
        "TAX", "NON",
    ]  # fmt: skip


def test_inclusive_prices_keep_net_lines_and_the_gross_beside_them() -> None:
    vat = TaxShare("txr_vat", 167, 833, qbo_rate="1", percent=D(20))
    form = taxed_form([Part("item", 833, "2", (vat,), gross=1000)], "global", REFS, CAD)
    doc = body(form)
    assert doc["GlobalTaxCalculation"] == "TaxInclusive"
    detail = doc["Line"][0]["SalesItemLineDetail"]
    assert (doc["Line"][0]["Amount"], detail["TaxInclusiveAmt"]) == (D("8.33"), D("10.00"))


def test_what_the_fake_qbo_keeps_is_stripes_total_to_the_cent() -> None:
    """9.975 % of 4495.16 on one line: QBO says 448.39; Stripe charged 448.40; the override
    keeps Stripe's, so the totals agree."""
    fake = FakeQbo(clock=ManualClock(), profile="ca")
    customer = fake.create("Customer", {"DisplayName": "A"})["Customer"]["Id"]
    item = fake.create("Item", {"Name": "S", "IncomeAccountRef": {"value": "4"}})["Item"]["Id"]
    qst = TaxShare("txr_qst", 44840, 449516, qbo_rate="10", percent=D("9.975"))
    refs = FormRefs(item=Ref(value=item), tax_item=Ref(value=item), discount_account=Ref(value="5"))
    form = taxed_form([Part("item", 449516, "15", (qst,))], "global", refs, CAD)
    document = QboInvoice(CustomerRef=Ref(value=customer), TxnDate="2026-01-10", **form.fields())
    created = fake.create("Invoice", document.to_qbo())["Invoice"]
    assert created["TotalAmt"] == D("4943.56")
    assert created["TxnTaxDetail"]["TaxLine"][0]["TaxLineDetail"]["OverrideDeltaAmount"] == D(
        "0.01"
    )


SALE = [
    Part("item", 1000, "8", (gst(50, 1000), pst(70, 1000))),
    Part("item", 333, "2", (gst(17, 333),)),
    Part("item", 500, "16", (TaxShare("txr_zero", 0, 500, qbo_rate="11"),)),
    Part("discount", -100, "8"),
]


def test_a_portion_takes_each_stripe_rates_tax_in_proportion() -> None:
    total = sale_total(SALE)  # 1870
    half = portion(SALE, 935, total, Ref(value="3"), "Refund")
    assert [p.code for p in half] == ["8", "2", "16"]
    assert sale_total(half) == 935
    by_rate: dict[str, int] = {}
    for part in half:
        for share in part.taxes:
            by_rate[share.stripe_rate] = by_rate.get(share.stripe_rate, 0) + share.amount
    assert by_rate == {"txr_gst": 34, "txr_pst": 35, "txr_zero": 0}  # 67/2 = 33.5 -> 34 (even)
    assert portion(SALE, total, total, Ref(value="3"), "Refund")[0].tax == 120


@given(st.integers(min_value=0, max_value=1870))
def test_a_portion_adds_up_to_the_unit(amount: int) -> None:
    parts = portion(SALE, amount, sale_total(SALE), Ref(value="3"), "Refund")
    assert sale_total(parts) == amount
    gst_total = sum(s.amount for p in parts for s in p.taxes if s.stripe_rate == "txr_gst")
    exact = D(amount * 67) / D(1870)
    assert gst_total == int(exact.quantize(D(1), "ROUND_HALF_EVEN"))
