"""Voids over the fake's HTTP API: each entity's own form is accepted, every other form is refused
with QBO's Fault, and QBO's own changes (a payment applied) move the documents' SyncToken."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from shared.adapters.qbo_json import loads
from tests.unit.test_fake_qbo_http import Api, fault

UNSUPPORTED = {
    "Message": "Unsupported Operation",
    "Detail": "Operation void is not supported.",
    "code": "500",
    "element": "Operation",
}


@pytest.fixture
def api() -> Api:
    return Api()


def ok(response: Any, entity: str) -> dict[str, Any]:
    assert response.status_code == 200, response.get_data(as_text=True)
    document: dict[str, Any] = loads(response.get_data())[entity]
    return document


def refused(response: Any) -> dict[str, Any]:
    assert response.status_code == 400
    body = loads(response.get_data())
    assert body["Fault"]["type"] == "ValidationFault" and "time" in body
    return fault(response)


class Books:
    """A customer, an item and the documents the voids act on, created over HTTP."""

    def __init__(self, api: Api) -> None:
        self.api = api
        income = api.fake.books.account_by_subtype("SalesOfProductIncome")
        self.customer = self.create("Customer", {"DisplayName": "Void Co"})["Id"]
        self.item = self.create("Item", {"Name": "Seats", "IncomeAccountRef": {"value": income}})[
            "Id"
        ]

    def create(self, entity: str, body: dict[str, Any]) -> dict[str, Any]:
        return ok(self.api.call("POST", entity.lower(), body), entity)

    def sales(self, entity: str, amount: str) -> dict[str, Any]:
        line = {
            "Amount": Decimal(amount),
            "DetailType": "SalesItemLineDetail",
            "SalesItemLineDetail": {"ItemRef": {"value": self.item}},
        }
        return self.create(entity, {"CustomerRef": {"value": self.customer}, "Line": [line]})

    def payment(self, total: str, *links: tuple[str, str, str]) -> dict[str, Any]:
        lines = [
            {"Amount": Decimal(a), "LinkedTxn": [{"TxnId": i, "TxnType": t}]} for t, i, a in links
        ]
        body = {"CustomerRef": {"value": self.customer}, "TotalAmt": Decimal(total), "Line": lines}
        return self.create("Payment", body)

    def post(self, entity: str, doc: dict[str, Any], sparse: bool = False, **params: str) -> Any:
        body: dict[str, Any] = {"Id": doc["Id"], "SyncToken": doc["SyncToken"]}
        if sparse:
            body["sparse"] = True
        return self.api.call("POST", entity.lower(), body, **params)


@pytest.fixture
def books(api: Api) -> Books:
    return Books(api)


def test_invoice_voids_by_operation_void_only(books: Books) -> None:
    invoice = books.sales("Invoice", "30.00")
    assert refused(books.post("Invoice", invoice, True, operation="update", include="void")) == (
        UNSUPPORTED
    )
    voided = ok(books.post("Invoice", invoice, operation="void"), "Invoice")
    assert voided["TotalAmt"] == voided["Balance"] == 0
    assert voided["PrivateNote"] == "Voided" and voided["SyncToken"] == "1"


@pytest.mark.parametrize("entity", ["Payment", "SalesReceipt"])
def test_payment_and_sales_receipt_void_by_sparse_update_include_void(
    books: Books, entity: str
) -> None:
    doc = books.payment("12.00") if entity == "Payment" else books.sales(entity, "12.00")
    assert refused(books.post(entity, doc, operation="void")) == UNSUPPORTED
    full = refused(books.post(entity, doc, operation="update", include="void"))
    assert full["code"] == "2020" and full["element"] == "sparse"
    voided = ok(books.post(entity, doc, True, operation="update", include="void"), entity)
    assert voided["TotalAmt"] == 0 and voided["PrivateNote"] == "Voided"


@pytest.mark.parametrize("entity", ["CreditMemo", "RefundReceipt"])
def test_credit_memo_and_refund_receipt_cannot_be_voided_only_deleted(
    books: Books, entity: str
) -> None:
    if entity == "RefundReceipt":
        clearing = books.create("Account", {"Name": "Clearing", "AccountType": "Bank"})["Id"]
        line = {
            "Amount": Decimal("5.00"),
            "DetailType": "SalesItemLineDetail",
            "SalesItemLineDetail": {"ItemRef": {"value": books.item}},
        }
        doc = books.create(
            entity,
            {
                "CustomerRef": {"value": books.customer},
                "DepositToAccountRef": {"value": clearing},
                "Line": [line],
            },
        )
    else:
        doc = books.sales(entity, "5.00")
    assert refused(books.post(entity, doc, operation="void")) == UNSUPPORTED
    assert refused(books.post(entity, doc, True, operation="update", include="void")) == (
        UNSUPPORTED
    )
    deleted = ok(books.post(entity, doc, operation="delete"), entity)
    assert deleted == {"status": "Deleted", "domain": "QBO", "Id": doc["Id"]}


def test_applying_payments_and_credits_moves_the_documents_sync_token(books: Books) -> None:
    invoice = books.sales("Invoice", "50.00")
    memo = books.sales("CreditMemo", "20.00")
    assert invoice["SyncToken"] == memo["SyncToken"] == "0"
    books.payment("0", ("Invoice", invoice["Id"], "20.00"), ("CreditMemo", memo["Id"], "20.00"))
    after = ok(books.api.call("GET", f"invoice/{invoice['Id']}"), "Invoice")
    memo_after = ok(books.api.call("GET", f"creditmemo/{memo['Id']}"), "CreditMemo")
    assert after["SyncToken"] == memo_after["SyncToken"] == "1"
    stale = refused(books.post("Invoice", invoice, operation="void"))
    assert stale["code"] == "5010"
    paid = books.payment("30.00", ("Invoice", invoice["Id"], "30.00"))
    after = ok(books.api.call("GET", f"invoice/{invoice['Id']}"), "Invoice")
    assert after["SyncToken"] == "2" and after["Balance"] == 0
    # the invoice is settled: QBO refuses its void until the payments are undone
    blocked = refused(books.post("Invoice", after, operation="void"))
    assert blocked["code"] == "6000"
    ok(books.post("Payment", paid, True, operation="update", include="void"), "Payment")
    assert ok(books.api.call("GET", f"invoice/{invoice['Id']}"), "Invoice")["SyncToken"] == "3"


def test_batch_voids_in_each_entitys_form(books: Books) -> None:
    invoice = books.sales("Invoice", "8.00")
    payment = books.payment("3.00")
    items = [
        {"bId": "1", "operation": "void", "Invoice": {"Id": invoice["Id"], "SyncToken": "0"}},
        {"bId": "2", "operation": "void", "Payment": {"Id": payment["Id"], "SyncToken": "0"}},
        {
            "bId": "3",
            "operation": "update",
            "optionsData": "void",
            "Payment": {"Id": payment["Id"], "SyncToken": "0", "sparse": True},
        },
    ]
    answer = loads(books.api.call("POST", "batch", {"BatchItemRequest": items}).get_data())
    first, second, third = answer["BatchItemResponse"]
    assert first["Invoice"]["TotalAmt"] == 0
    assert second["Fault"]["Error"][0] == UNSUPPORTED
    assert third["Payment"]["PrivateNote"] == "Voided"
