"""The fake QBO's other transactions: receipts, credits, refunds, deposits, journals, expenses."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from local_emulator.fakes.qbo import FakeQbo, QboFault
from shared.adapters.clock import ManualClock

D = Decimal


class Books:
    def __init__(self) -> None:
        self.fake = FakeQbo(clock=ManualClock())
        self.customer = self.create("Customer", {"DisplayName": "Customer A"})["Id"]
        income = self.account("SalesOfProductIncome")
        self.item = self.create("Item", {"Name": "Sales", "IncomeAccountRef": {"value": income}})[
            "Id"
        ]
        self.fees = self.create("Account", {"Name": "Stripe Fees", "AccountType": "Expense"})["Id"]

    def create(self, entity: str, body: dict[str, Any]) -> Any:
        return self.fake.create(entity, body)[entity]

    def account(self, subtype: str) -> str:
        return self.fake.books.account_by_subtype(subtype)

    def balance(self, account_id: str) -> Decimal:
        return D(self.fake.read("Account", account_id)["Account"]["CurrentBalance"])

    def sales_form(self, amount: str, **extra: Any) -> dict[str, Any]:
        line = {
            "Amount": D(amount),
            "DetailType": "SalesItemLineDetail",
            "SalesItemLineDetail": {"ItemRef": {"value": self.item}},
        }
        return {"CustomerRef": {"value": self.customer}, "Line": [line], **extra}

    def payment(self, total: str, *links: tuple[str, str, str], **extra: Any) -> Any:
        lines = [
            {"Amount": D(amount), "LinkedTxn": [{"TxnId": txn_id, "TxnType": txn_type}]}
            for txn_type, txn_id, amount in links
        ]
        body = {"CustomerRef": {"value": self.customer}, "TotalAmt": D(total), "Line": lines}
        return self.create("Payment", {**body, **extra})


@pytest.fixture
def books() -> Books:
    return Books()


def test_sales_receipt_books_cash_sale(books: Books) -> None:
    receipt = books.create("SalesReceipt", books.sales_form("25.00"))
    assert receipt["TotalAmt"] == D("25.00") and receipt["Balance"] == 0
    assert books.balance(books.account("UndepositedFunds")) == D("25.00")
    assert books.balance(books.account("SalesOfProductIncome")) == D("25.00")


def test_credit_memo_applied_with_a_payment(books: Books) -> None:
    invoice = books.create("Invoice", books.sales_form("100.00"))
    memo = books.create("CreditMemo", books.sales_form("30.00"))
    assert memo["RemainingCredit"] == D("30.00")
    receivable = books.account("AccountsReceivable")
    assert books.balance(receivable) == D("70.00")
    with pytest.raises(QboFault):  # more credit than the memo holds
        books.payment(
            "60.00", ("Invoice", invoice["Id"], "100.00"), ("CreditMemo", memo["Id"], "40.00")
        )
    payment = books.payment(
        "70.00", ("Invoice", invoice["Id"], "100.00"), ("CreditMemo", memo["Id"], "30.00")
    )
    assert payment["UnappliedAmt"] == D("0.00")
    assert books.fake.read("Invoice", invoice["Id"])["Invoice"]["Balance"] == 0
    assert books.fake.read("CreditMemo", memo["Id"])["CreditMemo"]["RemainingCredit"] == 0
    assert books.balance(receivable) == D("0.00")
    assert books.balance(books.account("UndepositedFunds")) == D("70.00")
    assert books.fake.read("Customer", books.customer)["Customer"]["Balance"] == 0


def test_refund_receipt_pays_out_of_an_account(books: Books) -> None:
    with pytest.raises(QboFault) as excinfo:
        books.create("RefundReceipt", books.sales_form("10.00"))
    assert excinfo.value.code == "2020"
    checking = books.account("Checking")
    books.create(
        "RefundReceipt", books.sales_form("10.00", DepositToAccountRef={"value": checking})
    )
    assert books.balance(checking) == D("-10.00")
    assert books.balance(books.account("SalesOfProductIncome")) == D("-10.00")


def test_deposit_moves_payments_out_of_undeposited_funds(books: Books) -> None:
    invoice = books.create("Invoice", books.sales_form("100.00"))
    payment = books.payment("100.00", ("Invoice", invoice["Id"], "100.00"))
    checking = books.account("Checking")
    lines = [
        {
            "Amount": D("100.00"),
            "LinkedTxn": [{"TxnId": payment["Id"], "TxnType": "Payment", "TxnLineId": "0"}],
        },
        {
            "Amount": D("-3.20"),
            "DetailType": "DepositLineDetail",
            "DepositLineDetail": {"AccountRef": {"value": books.fees}},
        },
    ]
    deposit = books.create("Deposit", {"DepositToAccountRef": {"value": checking}, "Line": lines})
    assert deposit["TotalAmt"] == D("96.80")
    assert books.balance(checking) == D("96.80")
    assert books.balance(books.account("UndepositedFunds")) == D("0.00")
    assert books.balance(books.fees) == D("3.20")
    stored = books.fake.read("Payment", payment["Id"])["Payment"]
    assert {"TxnId": deposit["Id"], "TxnType": "Deposit"} in stored["LinkedTxn"]
    with pytest.raises(QboFault) as excinfo:  # a deposited payment is locked
        books.fake.update("Payment", {**stored, "PrivateNote": "edit"})
    assert excinfo.value.code == "6540"
    with pytest.raises(QboFault):  # and cannot be deposited twice
        books.create("Deposit", {"DepositToAccountRef": {"value": checking}, "Line": lines[:1]})
    books.fake.delete("Deposit", {"Id": deposit["Id"], "SyncToken": "0"})
    assert books.balance(books.account("UndepositedFunds")) == D("100.00")
    books.fake.update("Payment", {**stored, "LinkedTxn": [], "PrivateNote": "edit"})
    assert books.fake.books.trial_balance() == 0


def test_deposit_rules(books: Books) -> None:
    checking = books.account("Checking")
    payment = books.payment("50.00")
    wrong_amount = [
        {"Amount": D("49.00"), "LinkedTxn": [{"TxnId": payment["Id"], "TxnType": "Payment"}]}
    ]
    cases: list[tuple[dict[str, Any], str]] = [
        ({"Line": wrong_amount}, "2020"),
        ({"DepositToAccountRef": {"value": checking}}, "2020"),
        ({"DepositToAccountRef": {"value": checking}, "Line": wrong_amount}, "6000"),
    ]
    for body, code in cases:
        with pytest.raises(QboFault) as excinfo:
            books.create("Deposit", body)
        assert excinfo.value.code == code
    body = {
        "DepositToAccountRef": {"value": checking},
        "Line": [
            {"Amount": D("50.00"), "LinkedTxn": [{"TxnId": payment["Id"], "TxnType": "Payment"}]}
        ],
        "CashBack": {"AccountRef": {"value": books.fees}, "Amount": D("5.00")},
    }
    assert books.create("Deposit", body)["TotalAmt"] == D("45.00")
    assert books.balance(books.fees) == D("5.00")


def test_journal_entry_must_balance(books: Books) -> None:
    checking = books.account("Checking")

    def line(side: str, account: str, amount: str) -> dict[str, Any]:
        return {
            "Amount": D(amount),
            "DetailType": "JournalEntryLineDetail",
            "JournalEntryLineDetail": {"PostingType": side, "AccountRef": {"value": account}},
        }

    with pytest.raises(QboFault):
        books.create(
            "JournalEntry",
            {"Line": [line("Debit", books.fees, "2.00"), line("Credit", checking, "1.99")]},
        )
    entry = books.create(
        "JournalEntry",
        {"Line": [line("Debit", books.fees, "2.00"), line("Credit", checking, "2.00")]},
    )
    assert entry["TotalAmt"] == D("2.00")
    assert books.balance(books.fees) == D("2.00") and books.balance(checking) == D("-2.00")


def test_purchase_and_transfer(books: Books) -> None:
    checking = books.account("Checking")
    clearing = books.create("Account", {"Name": "Stripe Clearing", "AccountType": "Bank"})["Id"]
    books.create(
        "Transfer",
        {
            "FromAccountRef": {"value": checking},
            "ToAccountRef": {"value": clearing},
            "Amount": D("20.00"),
        },
    )
    purchase = books.create(
        "Purchase",
        {
            "PaymentType": "Cash",
            "AccountRef": {"value": clearing},
            "Line": [
                {
                    "Amount": D("1.50"),
                    "DetailType": "AccountBasedExpenseLineDetail",
                    "AccountBasedExpenseLineDetail": {"AccountRef": {"value": books.fees}},
                }
            ],
        },
    )
    assert purchase["TotalAmt"] == D("1.50")
    assert books.balance(clearing) == D("18.50")
    assert books.balance(checking) == D("-20.00")
    assert books.balance(books.fees) == D("1.50")
    assert books.fake.books.trial_balance() == 0


def test_attachable_note_and_query(books: Books) -> None:
    ref = {"EntityRef": {"type": "Customer", "value": books.customer}}
    note = books.create("Attachable", {"AttachableRef": [ref], "Note": "stripe:cus_1"})
    hits = books.fake.query(
        "select * from Attachable where AttachableRef.EntityRef.value = '" + books.customer + "'"  # noqa: S608
    )["QueryResponse"]["Attachable"]
    assert [h["Id"] for h in hits] == [note["Id"]]
    missing = {"EntityRef": {"type": "Invoice", "value": "404"}}
    with pytest.raises(QboFault) as excinfo:
        books.create("Attachable", {"AttachableRef": [missing], "Note": "x"})
    assert excinfo.value.code == "2500"
    with pytest.raises(QboFault) as excinfo:
        books.create("Attachable", {"AttachableRef": [ref]})
    assert excinfo.value.code == "2020"
