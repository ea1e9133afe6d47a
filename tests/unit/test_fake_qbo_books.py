"""The fake QBO's business rules and double-entry ledger, called in-process."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from local_emulator.fakes.qbo import FakeQbo, QboFault
from shared.adapters.clock import ManualClock
from shared.adapters.qbo_json import loads


def account_id(fake: FakeQbo, subtype: str) -> str:
    return fake.books.account_by_subtype(subtype)


def balance(fake: FakeQbo, subtype: str) -> Decimal:
    account = fake.read("Account", account_id(fake, subtype))["Account"]
    return Decimal(account["CurrentBalance"])


def fault_code(excinfo: pytest.ExceptionInfo[QboFault]) -> str:
    return excinfo.value.code


@pytest.fixture
def fake() -> FakeQbo:
    return FakeQbo(clock=ManualClock())


@pytest.fixture
def customer(fake: FakeQbo) -> str:
    return str(fake.create("Customer", {"DisplayName": "Customer A"})["Customer"]["Id"])


@pytest.fixture
def item(fake: FakeQbo) -> str:
    income = account_id(fake, "SalesOfProductIncome")
    body = {"Name": "Stripe sales", "IncomeAccountRef": {"value": income}}
    return str(fake.create("Item", body)["Item"]["Id"])


def invoice_body(customer: str, item: str, *amounts: str, doc: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "CustomerRef": {"value": customer},
        "Line": [
            {
                "Amount": Decimal(a),
                "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": {"ItemRef": {"value": item}},
            }
            for a in amounts
        ],
    }
    if doc is not None:
        body["DocNumber"] = doc
    return body


def pay(fake: FakeQbo, customer: str, total: str, *applied: tuple[str, str], **extra: Any) -> Any:
    body = {
        "CustomerRef": {"value": customer},
        "TotalAmt": Decimal(total),
        "Line": [
            {"Amount": Decimal(amount), "LinkedTxn": [{"TxnId": inv, "TxnType": "Invoice"}]}
            for inv, amount in applied
        ],
        **extra,
    }
    return fake.create("Payment", body)["Payment"]


def test_default_chart_of_accounts(fake: FakeQbo) -> None:
    subtypes = {a["AccountSubType"] for a in fake.state_json()["Account"]}
    assert {
        "AccountsReceivable",
        "UndepositedFunds",
        "Checking",
        "SalesOfProductIncome",
    } <= subtypes


def test_create_sets_id_synctoken_metadata_and_totals(
    fake: FakeQbo, customer: str, item: str
) -> None:
    invoice = fake.create("Invoice", invoice_body(customer, item, "10.00", "2.50"))["Invoice"]
    assert invoice["SyncToken"] == "0"
    assert invoice["MetaData"]["CreateTime"] == invoice["MetaData"]["LastUpdatedTime"]
    assert invoice["TotalAmt"] == Decimal("12.50") == invoice["Balance"]
    assert invoice["Line"][-1]["DetailType"] == "SubTotalLineDetail"
    assert invoice["DocNumber"] == "1001"  # auto-numbered when omitted


def test_requestid_replays_the_same_response_without_redoing_it(fake: FakeQbo) -> None:
    def action() -> dict[str, Any]:
        return fake.create("Customer", {"DisplayName": "Once"})

    first = fake.respond("req-1", action)
    second = fake.respond("req-1", action)
    assert first == second
    assert len(fake.state_json()["Customer"]) == 1
    assert fake.request_counts()["replayed"] == 1
    status, body = fake.respond("x" * 51, action)
    assert status == 400
    assert loads(body)["Fault"]["Error"][0]["code"] == "2050"


def test_requestid_replays_a_fault_too(fake: FakeQbo) -> None:
    fake.create("Customer", {"DisplayName": "Taken"})
    first = fake.respond("r", lambda: fake.create("Customer", {"DisplayName": "Taken"}))
    fake.books.entities["Customer"]["1"]["Active"] = False
    assert fake.respond("r", lambda: fake.create("Customer", {"DisplayName": "Taken"})) == first


def test_synctoken_must_match_and_increments(fake: FakeQbo, customer: str) -> None:
    updated = fake.update(
        "Customer", {"Id": customer, "SyncToken": "0", "sparse": True, "CompanyName": "A Inc"}
    )["Customer"]
    assert updated["SyncToken"] == "1"
    assert updated["DisplayName"] == "Customer A"  # sparse keeps the other fields
    with pytest.raises(QboFault) as excinfo:
        fake.update("Customer", {"Id": customer, "SyncToken": "0", "DisplayName": "B"})
    assert fault_code(excinfo) == "5010"
    with pytest.raises(QboFault) as excinfo:
        fake.update("Customer", {"Id": "999", "SyncToken": "0", "DisplayName": "B"})
    assert fault_code(excinfo) == "610"


def test_doc_number_length_and_uniqueness(fake: FakeQbo, customer: str, item: str) -> None:
    fake.create("Invoice", invoice_body(customer, item, "1.00", doc="A" * 21))
    with pytest.raises(QboFault) as excinfo:
        fake.create("Invoice", invoice_body(customer, item, "1.00", doc="B" * 22))
    assert fault_code(excinfo) == "2050"
    assert excinfo.value.element == "DocNumber"
    with pytest.raises(QboFault) as excinfo:
        fake.create("Invoice", invoice_body(customer, item, "1.00", doc="A" * 21))
    assert fault_code(excinfo) == "6140"
    assert len(fake.state_json()["Invoice"]) == 1


def test_display_name_unique_across_customer_vendor_employee(fake: FakeQbo, customer: str) -> None:
    for entity in ("Vendor", "Employee", "Customer"):
        with pytest.raises(QboFault) as excinfo:
            fake.create(entity, {"DisplayName": "customer a"})
        assert fault_code(excinfo) == "6240"
    fake.create("Vendor", {"DisplayName": "Supplier"})
    with pytest.raises(QboFault) as excinfo:
        fake.create("Customer", {"DisplayName": "Supplier"})
    assert fault_code(excinfo) == "6240"
    # an entity may keep its own name on update
    fake.update("Customer", {"Id": customer, "SyncToken": "0", "DisplayName": "Customer A"})


def test_references_and_required_fields(fake: FakeQbo, customer: str, item: str) -> None:
    cases = [
        ("Invoice", invoice_body("404", item, "1.00"), "2500"),
        ("Invoice", invoice_body(customer, "404", "1.00"), "2500"),
        ("Invoice", {"CustomerRef": {"value": customer}}, "2020"),
        ("Invoice", {"Line": invoice_body(customer, item, "1")["Line"]}, "2020"),
        ("Item", {"Name": "X", "IncomeAccountRef": {"value": "404"}}, "2500"),
        ("Item", {"Name": "X"}, "2020"),
        ("Payment", {"CustomerRef": {"value": customer}}, "2020"),
        ("Account", {"Name": "No type"}, "2020"),
    ]
    for entity, body, code in cases:
        with pytest.raises(QboFault) as excinfo:
            fake.create(entity, body)
        assert fault_code(excinfo) == code, (entity, body)


def test_line_amount_must_match_qty_times_unit_price(
    fake: FakeQbo, customer: str, item: str
) -> None:
    body = invoice_body(customer, item, "10.00")
    body["Line"][0]["SalesItemLineDetail"].update(Qty=3, UnitPrice=Decimal("3.333333"))
    fake.create("Invoice", body)  # 9.999999 rounds to 10.00
    body = invoice_body(customer, item, "10.02")
    body["Line"][0]["SalesItemLineDetail"].update(Qty=3, UnitPrice=Decimal("3.333333"))
    with pytest.raises(QboFault) as excinfo:
        fake.create("Invoice", body)
    assert fault_code(excinfo) == "6070"


def test_amounts_are_json_numbers_not_strings(fake: FakeQbo, customer: str, item: str) -> None:
    body = invoice_body(customer, item, "1.00")
    body["Line"][0]["Amount"] = Decimal("7.25")
    assert fake.create("Invoice", body)["Invoice"]["TotalAmt"] == Decimal("7.25")
    for text in ("7.25", "seven"):
        body["Line"][0]["Amount"] = text
        with pytest.raises(QboFault) as excinfo:
            fake.create("Invoice", body)
        assert fault_code(excinfo) == "2010"


def test_ledger_invoice_payment_and_void(fake: FakeQbo, customer: str, item: str) -> None:
    inv1 = fake.create("Invoice", invoice_body(customer, item, "100.00", "20.00"))["Invoice"]
    inv2 = fake.create("Invoice", invoice_body(customer, item, "30.00"))["Invoice"]
    assert balance(fake, "AccountsReceivable") == Decimal("150.00")
    assert balance(fake, "SalesOfProductIncome") == Decimal("150.00")
    assert fake.read("Customer", customer)["Customer"]["Balance"] == Decimal("150.00")

    payment = pay(fake, customer, "70.00", (inv1["Id"], "70.00"))
    assert payment["UnappliedAmt"] == Decimal("0.00")
    invoice = fake.read("Invoice", inv1["Id"])["Invoice"]
    assert invoice["Balance"] == Decimal("50.00")
    assert invoice["LinkedTxn"] == [{"TxnId": payment["Id"], "TxnType": "Payment"}]
    assert balance(fake, "AccountsReceivable") == Decimal("80.00")
    assert balance(fake, "UndepositedFunds") == Decimal("70.00")

    checking = account_id(fake, "Checking")
    pay(fake, customer, "50.00", (inv1["Id"], "50.00"), DepositToAccountRef={"value": checking})
    assert fake.read("Invoice", inv1["Id"])["Invoice"]["Balance"] == Decimal("0.00")
    assert balance(fake, "Checking") == Decimal("50.00")

    fake.void("Invoice", {"Id": inv2["Id"], "SyncToken": inv2["SyncToken"]})
    voided = fake.read("Invoice", inv2["Id"])["Invoice"]
    assert voided["TotalAmt"] == voided["Balance"] == Decimal("0.00")
    assert voided["SyncToken"] == "1"
    assert balance(fake, "AccountsReceivable") == Decimal("0.00")
    assert balance(fake, "SalesOfProductIncome") == Decimal("120.00")
    assert fake.books.trial_balance() == 0


def test_overpayment_and_other_customers_invoices_are_refused(
    fake: FakeQbo, customer: str, item: str
) -> None:
    invoice = fake.create("Invoice", invoice_body(customer, item, "40.00"))["Invoice"]
    with pytest.raises(QboFault) as excinfo:
        pay(fake, customer, "40.01", (invoice["Id"], "40.01"))
    assert fault_code(excinfo) == "6000"
    other = fake.create("Customer", {"DisplayName": "Customer B"})["Customer"]["Id"]
    with pytest.raises(QboFault) as excinfo:
        pay(fake, other, "10.00", (invoice["Id"], "10.00"))
    assert fault_code(excinfo) == "620"
    with pytest.raises(QboFault):
        pay(fake, customer, "10.00", (invoice["Id"], "20.00"))  # applies more than TotalAmt
    assert "Payment" not in fake.state_json()
    assert balance(fake, "AccountsReceivable") == Decimal("40.00")


def test_unapplied_payment_credits_receivables(fake: FakeQbo, customer: str) -> None:
    payment = pay(fake, customer, "25.00")
    assert payment["UnappliedAmt"] == Decimal("25.00")
    assert balance(fake, "AccountsReceivable") == Decimal("-25.00")
    assert fake.read("Customer", customer)["Customer"]["Balance"] == Decimal("-25.00")


def test_paid_invoice_cannot_be_voided_and_payment_delete_restores(
    fake: FakeQbo, customer: str, item: str
) -> None:
    invoice = fake.create("Invoice", invoice_body(customer, item, "40.00"))["Invoice"]
    payment = pay(fake, customer, "40.00", (invoice["Id"], "40.00"))
    with pytest.raises(QboFault) as excinfo:
        fake.void("Invoice", {"Id": invoice["Id"], "SyncToken": "1"})  # the payment moved it
    assert fault_code(excinfo) == "6000"
    fake.delete("Payment", {"Id": payment["Id"], "SyncToken": payment["SyncToken"]})
    restored = fake.read("Invoice", invoice["Id"])["Invoice"]
    assert restored["Balance"] == Decimal("40.00")
    assert restored["LinkedTxn"] == []
    assert balance(fake, "UndepositedFunds") == Decimal("0.00")
    with pytest.raises(QboFault) as excinfo:
        fake.read("Payment", payment["Id"])
    assert fault_code(excinfo) == "610"


def test_invoice_update_rebooks_and_keeps_payments(fake: FakeQbo, customer: str, item: str) -> None:
    invoice = fake.create("Invoice", invoice_body(customer, item, "40.00"))["Invoice"]
    pay(fake, customer, "15.00", (invoice["Id"], "15.00"))
    body = invoice_body(customer, item, "60.00")
    body.update(Id=invoice["Id"], SyncToken="0")
    with pytest.raises(QboFault) as excinfo:  # applying the payment made a new version
        fake.update("Invoice", body)
    assert fault_code(excinfo) == "5010"
    body.update(SyncToken="1")
    updated = fake.update("Invoice", body)["Invoice"]
    assert updated["Balance"] == Decimal("45.00") and updated["SyncToken"] == "2"
    assert balance(fake, "AccountsReceivable") == Decimal("45.00")
    body = invoice_body(customer, item, "10.00")
    body.update(Id=invoice["Id"], SyncToken="2")
    with pytest.raises(QboFault):  # below what is already paid
        fake.update("Invoice", body)
    assert balance(fake, "AccountsReceivable") == Decimal("45.00")  # failed update rolled back


def test_discount_and_tax_lines(fake: FakeQbo, customer: str, item: str) -> None:
    body = invoice_body(customer, item, "100.00")
    body["Line"].append({"Amount": Decimal("10.00"), "DetailType": "DiscountLineDetail",
                         "DiscountLineDetail": {"PercentBased": False}})  # fmt: skip
    body["Line"][0]["SalesItemLineDetail"]["TaxCodeRef"] = {"value": "TAX"}
    # a US company's one code for the document; the 7.20 is kept over QBO's own 8 % of 100
    body["TxnTaxDetail"] = {"TxnTaxCodeRef": {"value": "2"}, "TotalTax": Decimal("7.20")}
    invoice = fake.create("Invoice", body)["Invoice"]
    assert invoice["TotalAmt"] == Decimal("97.20")
    (tax_line,) = invoice["TxnTaxDetail"]["TaxLine"]
    assert tax_line["TaxLineDetail"]["OverrideDeltaAmount"] == Decimal("-0.80")
    assert balance(fake, "AccountsReceivable") == Decimal("97.20")
    assert balance(fake, "SalesTaxPayable") == Decimal("7.20")
    assert balance(fake, "DiscountsRefundsGiven") == Decimal("-10.00")
    assert fake.books.trial_balance() == 0


def test_batch_mixes_successes_and_faults(fake: FakeQbo, customer: str) -> None:
    result = fake.batch(
        {
            "BatchItemRequest": [
                {"bId": "1", "operation": "create", "Customer": {"DisplayName": "New"}},
                {"bId": "2", "operation": "create", "Customer": {"DisplayName": "Customer A"}},
                {"bId": "3", "Query": "select * from Customer where DisplayName = 'New'"},
            ]
        }
    )
    items = {i["bId"]: i for i in result["BatchItemResponse"]}
    assert items["1"]["Customer"]["DisplayName"] == "New"
    assert items["2"]["Fault"]["Error"][0]["code"] == "6240"
    assert len(items["3"]["QueryResponse"]["Customer"]) == 1
    too_many = [{"bId": str(i), "Query": "select * from Customer"} for i in range(31)]
    with pytest.raises(QboFault):
        fake.batch({"BatchItemRequest": too_many})
    with pytest.raises(QboFault) as excinfo:
        fake.batch({"BatchItemRequest": too_many[:1]}, request_id="r" * 37)
    assert fault_code(excinfo) == "2050"


def test_state_json_and_counts(fake: FakeQbo, customer: str) -> None:
    state = fake.state_json()
    assert [c["Id"] for c in state["Customer"]] == [customer]
    assert all("CurrentBalance" in a for a in state["Account"])
    assert fake.request_counts()["create"] == 1
