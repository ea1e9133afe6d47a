"""The fake QBO books the posting model's shapes: discounts, tax lines, credits applied, voids."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from local_emulator.fakes.qbo import FakeQbo, QboFault
from local_emulator.fakes.qbo.reports import account_balances, ar_by_customer
from shared.adapters.clock import ManualClock

D = Decimal


def link(txn_type: str, txn_id: str, amount: str) -> dict[str, Any]:
    return {"Amount": D(amount), "LinkedTxn": [{"TxnId": txn_id, "TxnType": txn_type}]}


def sales_line(item: str, amount: str) -> dict[str, Any]:
    return {
        "Amount": D(amount),
        "DetailType": "SalesItemLineDetail",
        "SalesItemLineDetail": {"ItemRef": {"value": item}},
    }


class Company:
    """A fake company with the accounts and items the worker sets up."""

    def __init__(self, **options: Any) -> None:
        self.fake = FakeQbo(clock=ManualClock(), **options)
        self.income = self.fake.books.account_by_subtype("SalesOfProductIncome")
        self.tax_payable = self.fake.books.account_by_subtype("SalesTaxPayable")
        self.discounts = self.fake.books.account_by_subtype("DiscountsRefundsGiven")
        self.item = self.create(
            "Item", {"Name": "Stripe sales", "IncomeAccountRef": {"value": self.income}}
        )["Id"]
        self.tax_item = self.create(
            "Item", {"Name": "Stripe sales tax", "IncomeAccountRef": {"value": self.tax_payable}}
        )["Id"]
        self.clearing = self.account("Stripe Clearing", "Bank")

    def create(self, entity: str, body: dict[str, Any]) -> Any:
        return self.fake.create(entity, body)[entity]

    def read(self, entity: str, entity_id: str) -> Any:
        return self.fake.read(entity, entity_id)[entity]

    def fault(self, entity: str, body: dict[str, Any]) -> str:
        with pytest.raises(QboFault) as excinfo:
            self.fake.create(entity, body)
        return excinfo.value.code

    def account(self, name: str, kind: str, currency: str | None = None) -> str:
        body: dict[str, Any] = {"Name": name, "AccountType": kind}
        if currency:
            body["CurrencyRef"] = {"value": currency}
        return str(self.create("Account", body)["Id"])

    def customer(self, name: str, currency: str | None = None) -> str:
        body: dict[str, Any] = {"DisplayName": name}
        if currency:
            body["CurrencyRef"] = {"value": currency}
        return str(self.create("Customer", body)["Id"])

    def balance(self, account_id: str) -> Decimal:
        return D(self.read("Account", account_id)["CurrentBalance"])

    def sales_form(self, customer: str, *amounts: str, **extra: Any) -> dict[str, Any]:
        lines = [sales_line(self.item, a) for a in amounts]
        return {"CustomerRef": {"value": customer}, "Line": lines, **extra}

    def payment(self, customer: str, total: str, *links: dict[str, Any], **extra: Any) -> Any:
        body = {"CustomerRef": {"value": customer}, "TotalAmt": D(total), "Line": list(links)}
        return self.create("Payment", {**body, **extra})

    def void(self, entity: str, doc: dict[str, Any]) -> Any:
        """In the entity's own form: an invoice by ``operation=void``, the rest sparse."""
        body: dict[str, Any] = {
            "Id": doc["Id"],
            "SyncToken": self.read(entity, doc["Id"])["SyncToken"],
        }
        if entity == "Invoice":
            return self.fake.void(entity, body, "operation")[entity]
        return self.fake.void(entity, {**body, "sparse": True}, "include")[entity]

    def delete(self, entity: str, doc: dict[str, Any]) -> Any:
        body = {"Id": doc["Id"], "SyncToken": self.read(entity, doc["Id"])["SyncToken"]}
        return self.fake.delete(entity, body)[entity]


@pytest.fixture
def co() -> Company:
    return Company()


def test_invoice_with_discount_and_tax_line_posts_each_to_its_account(co: Company) -> None:
    customer = co.customer("Acme [cus_1]")
    body = co.sales_form(customer, "100.00", "50.00")
    body["Line"].append(
        {
            "Amount": D("15.00"),
            "DetailType": "DiscountLineDetail",
            "DiscountLineDetail": {
                "PercentBased": False,
                "DiscountAccountRef": {"value": co.discounts},
            },
        }
    )
    body["Line"].append(sales_line(co.tax_item, "10.80"))
    invoice = co.create("Invoice", body)
    assert invoice["TotalAmt"] == D("145.80") == invoice["Balance"]  # 100 + 50 + 10.80 - 15
    receivable = co.fake.books.receivable("USD")
    assert co.balance(receivable) == D("145.80")
    assert co.balance(co.income) == D("150.00")
    assert co.balance(co.tax_payable) == D("10.80")  # liability: credit-normal, positive
    assert co.balance(co.discounts) == D("-15.00")  # income account debited
    assert co.fake.books.trial_balance() == 0


def test_percent_discount_and_refusals(co: Company) -> None:
    customer = co.customer("Pct")
    body = co.sales_form(customer, "80.00")
    body["Line"].append(
        {
            "DetailType": "DiscountLineDetail",
            "DiscountLineDetail": {"PercentBased": True, "DiscountPercent": D("12.5")},
        }
    )
    assert co.create("Invoice", body)["TotalAmt"] == D("70.00")
    too_much = co.sales_form(customer, "10.00")
    too_much["Line"].append(
        {
            "Amount": D("10.01"),
            "DetailType": "DiscountLineDetail",
            "DiscountLineDetail": {"PercentBased": False},
        }
    )
    assert co.fault("Invoice", too_much) == "6000"  # a negative total
    finer = co.sales_form(customer, "10.005")
    assert co.fault("Invoice", finer) == "6000"  # USD keeps two decimals


def test_zero_payment_applies_a_credit_memo_to_an_invoice(co: Company) -> None:
    customer = co.customer("Credit")
    invoice = co.create("Invoice", co.sales_form(customer, "100.00"))
    memo = co.create("CreditMemo", co.sales_form(customer, "30.00"))
    assert memo["RemainingCredit"] == memo["Balance"] == D("30.00")
    assert ar_by_customer(co.fake.state_json()) == {(customer, "USD"): D("70.00")}
    with pytest.raises(QboFault) as excinfo:  # more than the credit memo holds
        co.payment(
            customer,
            "0",
            link("Invoice", invoice["Id"], "40.00"),
            link("CreditMemo", memo["Id"], "40.00"),
        )
    assert excinfo.value.code == "6000"
    with pytest.raises(QboFault):  # credit beyond what is applied to invoices
        co.payment(
            customer,
            "0",
            link("Invoice", invoice["Id"], "10.00"),
            link("CreditMemo", memo["Id"], "30.00"),
        )
    applying = co.payment(
        customer,
        "0",
        link("Invoice", invoice["Id"], "30.00"),
        link("CreditMemo", memo["Id"], "30.00"),
    )
    assert applying["TotalAmt"] == 0 and applying["UnappliedAmt"] == 0
    assert co.read("Invoice", invoice["Id"])["Balance"] == D("70.00")
    stored = co.read("CreditMemo", memo["Id"])
    assert stored["RemainingCredit"] == stored["Balance"] == 0
    assert stored["LinkedTxn"] == [{"TxnId": applying["Id"], "TxnType": "Payment"}]
    assert co.balance(co.fake.books.receivable("USD")) == D("70.00")
    assert co.balance(co.fake.books.account_by_subtype("UndepositedFunds")) == 0
    assert ar_by_customer(co.fake.state_json()) == {(customer, "USD"): D("70.00")}
    paid = co.payment(
        customer,
        "70.00",
        link("Invoice", invoice["Id"], "70.00"),
        DepositToAccountRef={"value": co.clearing},
    )
    assert co.read("Invoice", invoice["Id"])["Balance"] == 0
    assert co.balance(co.clearing) == D("70.00")
    assert ar_by_customer(co.fake.state_json()) == {(customer, "USD"): D("0.00")}
    # voiding the applying payment restores the invoice's balance and the credit
    with pytest.raises(QboFault) as refused:
        co.delete("CreditMemo", memo)  # applied: void the payment that applies it first
    assert refused.value.code == "6000"
    co.void("Payment", paid)
    co.void("Payment", applying)
    assert co.read("Invoice", invoice["Id"])["Balance"] == D("100.00")
    assert co.read("CreditMemo", memo["Id"])["RemainingCredit"] == D("30.00")
    assert co.delete("CreditMemo", memo) == {"status": "Deleted", "domain": "QBO", "Id": memo["Id"]}
    assert ar_by_customer(co.fake.state_json()) == {(customer, "USD"): D("100.00")}
    assert co.balance(co.income) == D("100.00")
    assert co.fake.books.trial_balance() == 0


def test_unapplied_credit_memo_is_customer_credit(co: Company) -> None:
    customer = co.customer("Later")
    co.create("CreditMemo", co.sales_form(customer, "12.00"))
    assert co.read("Customer", customer)["Balance"] == D("-12.00")
    assert ar_by_customer(co.fake.state_json()) == {(customer, "USD"): D("-12.00")}
    assert co.balance(co.fake.books.receivable("USD")) == D("-12.00")


def test_links_to_another_customers_documents_are_refused(co: Company) -> None:
    alice, bob = co.customer("Alice"), co.customer("Bob")
    invoice = co.create("Invoice", co.sales_form(alice, "10.00"))
    memo = co.create("CreditMemo", co.sales_form(alice, "5.00"))
    for links in (
        [link("Invoice", invoice["Id"], "5.00")],
        [link("Invoice", invoice["Id"], "5.00"), link("CreditMemo", memo["Id"], "5.00")],
    ):
        with pytest.raises(QboFault) as excinfo:
            co.payment(bob, "0" if len(links) == 2 else "5.00", *links)
        assert excinfo.value.code == "620"
    with pytest.raises(QboFault) as excinfo:
        co.payment(alice, "1.00", link("Invoice", "999", "1.00"))
    assert excinfo.value.code == "2500"


def test_refund_and_sales_receipts(co: Company) -> None:
    customer = co.customer("Cash")
    receipt = co.create(
        "SalesReceipt", co.sales_form(customer, "40.00", DepositToAccountRef={"value": co.clearing})
    )
    assert receipt["TotalAmt"] == D("40.00")
    refunds = co.create(
        "Item", {"Name": "Stripe refunds", "IncomeAccountRef": {"value": co.income}}
    )["Id"]
    refund = co.create(
        "RefundReceipt",
        {
            "CustomerRef": {"value": customer},
            "DepositToAccountRef": {"value": co.clearing},
            "Line": [sales_line(refunds, "15.00")],
            "PrivateNote": "Stripe refund re_1",
        },
    )
    assert refund["TotalAmt"] == D("15.00")
    assert co.balance(co.clearing) == D("25.00")
    assert co.balance(co.income) == D("25.00")
    with pytest.raises(QboFault) as refused:
        co.void("RefundReceipt", refund)
    assert refused.value.code == "500"
    voided = co.void("SalesReceipt", receipt)
    assert voided["PrivateNote"] == "Voided" and voided["TotalAmt"] == 0
    assert co.balance(co.clearing) == D("-15.00")
    co.delete("RefundReceipt", refund)
    assert co.balance(co.clearing) == 0
    assert co.fake.books.trial_balance() == 0


def test_invoice_void_keeps_the_note_after_the_mark(co: Company) -> None:
    customer = co.customer("Void")
    body = co.sales_form(customer, "9.00", PrivateNote="Stripe invoice in_1 (A-1)")
    invoice = co.create("Invoice", body)
    voided = co.void("Invoice", invoice)
    assert voided["PrivateNote"] == "Voided - Stripe invoice in_1 (A-1)"
    assert voided["TotalAmt"] == voided["Balance"] == 0
    hits = co.fake.query("select * from Invoice where PrivateNote like '%Stripe invoice in_1%'")
    assert [h["Id"] for h in hits["QueryResponse"]["Invoice"]] == [invoice["Id"]]
    assert co.balance(co.fake.books.receivable("USD")) == 0
    assert ar_by_customer(co.fake.state_json()) == {(customer, "USD"): D("0.00")}


def test_payment_void_and_6540_when_deposited(co: Company) -> None:
    customer = co.customer("Dep")
    invoice = co.create("Invoice", co.sales_form(customer, "20.00"))
    payment = co.payment(
        customer,
        "20.00",
        link("Invoice", invoice["Id"], "20.00"),
        PrivateNote="Stripe invoice_payment inpay_1",
    )
    checking = co.fake.books.account_by_subtype("Checking")
    deposit = co.create(
        "Deposit",
        {
            "DepositToAccountRef": {"value": checking},
            "Line": [
                {
                    "Amount": D("20.00"),
                    "LinkedTxn": [{"TxnId": payment["Id"], "TxnType": "Payment"}],
                }
            ],
        },
    )
    with pytest.raises(QboFault) as excinfo:
        co.void("Payment", payment)
    assert excinfo.value.code == "6540"
    co.fake.delete("Deposit", {"Id": deposit["Id"], "SyncToken": "0"})
    voided = co.void("Payment", payment)
    assert voided["TotalAmt"] == 0 and voided["Line"] == []
    assert voided["PrivateNote"] == "Voided - Stripe invoice_payment inpay_1"
    assert co.read("Invoice", invoice["Id"])["Balance"] == D("20.00")


def test_journal_entry_balanced_and_account_balances_report(co: Company) -> None:
    disputes = co.account("Stripe Disputes", "Expense")
    fees = co.account("Stripe Fees", "Expense")

    def line(side: str, account: str, amount: str) -> dict[str, Any]:
        detail = {"PostingType": side, "AccountRef": {"value": account}}
        return {
            "Amount": D(amount),
            "DetailType": "JournalEntryLineDetail",
            "JournalEntryLineDetail": detail,
        }

    unbalanced = {"Line": [line("Debit", disputes, "50.00"), line("Credit", co.clearing, "49.99")]}
    assert co.fault("JournalEntry", unbalanced) == "6000"
    co.create(
        "JournalEntry",
        {
            "Line": [
                line("Debit", disputes, "50.00"),
                line("Debit", fees, "15.00"),
                line("Credit", co.clearing, "65.00"),
            ]
        },
    )
    balances = account_balances(co.fake.state_json())
    assert balances["Stripe Clearing"] == D("-65.00")
    assert balances["Stripe Disputes"] == D("50.00")
    assert balances["Stripe Fees"] == D("15.00")
    assert co.fake.books.trial_balance() == 0
