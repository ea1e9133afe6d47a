"""The fake QBO as a multi-currency company: currencies, rates, per-currency A/R, realised FX."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from local_emulator.fakes.qbo import QboFault
from local_emulator.fakes.qbo.currency import RateTable, usd_rate
from local_emulator.fakes.qbo.reports import account_balances, account_currencies, ar_by_customer
from tests.unit.test_fake_qbo_postings import Company, link, sales_line

D = Decimal


@pytest.fixture
def co() -> Company:
    return Company()


def eur_setup(co: Company) -> tuple[str, str]:
    customer = co.customer("Acme EUR [cus_1]", "EUR")
    clearing = co.account("Stripe Clearing EUR", "Bank", "EUR")
    return customer, clearing


def home_debit(co: Company, account_id: str) -> Decimal:
    return co.fake.books.home_debits[account_id]


def test_foreign_invoice_carries_rate_and_home_amounts(co: Company) -> None:
    customer, _ = eur_setup(co)
    invoice = co.create(
        "Invoice",
        co.sales_form(
            customer, "70.00", "30.01", CurrencyRef={"value": "EUR"}, ExchangeRate=D("1.1")
        ),
    )
    assert invoice["CurrencyRef"] == {"value": "EUR", "name": "Euro"}
    assert invoice["ExchangeRate"] == D("1.1")
    assert invoice["TotalAmt"] == D("100.01") == invoice["Balance"]
    assert invoice["HomeTotalAmt"] == D("110.01") == invoice["HomeBalance"]
    receivable = co.fake.books.receivable("EUR")
    account = co.read("Account", receivable)
    assert account["Name"] == "Accounts Receivable (A/R) - EUR"
    assert account["CurrencyRef"]["value"] == "EUR"
    assert account["CurrentBalance"] == D("100.01")  # kept in its own currency
    assert home_debit(co, receivable) == D("110.01")
    assert co.balance(co.income) == D("110.01")  # income is always home currency
    assert co.fake.books.trial_balance() == 0
    # omitted currency and rate: the customer's currency at QBO's rate for the TxnDate
    default = co.create("Invoice", co.sales_form(customer, "10.00"))
    assert default["CurrencyRef"]["value"] == "EUR"
    assert default["ExchangeRate"] == D("1.08") and default["HomeTotalAmt"] == D("10.80")
    home = co.create("Invoice", co.sales_form(co.customer("Home"), "5.00"))
    assert home["ExchangeRate"] == 1 and "HomeTotalAmt" not in home


def test_transaction_currency_must_be_the_customers(co: Company) -> None:
    customer, _ = eur_setup(co)
    usd_customer = co.customer("Dollar")
    assert co.fault("Invoice", co.sales_form(customer, "1.00", CurrencyRef={"value": "USD"})) == (
        "6000"
    )
    assert co.fault("Invoice", co.sales_form(usd_customer, "1", CurrencyRef={"value": "EUR"})) == (
        "6000"
    )
    assert co.fault("Invoice", co.sales_form(customer, "1.00", CurrencyRef={"value": "E1"})) == (
        "2500"
    )
    fresh = co.customer("Switch", "GBP")
    co.fake.update(
        "Customer", {"Id": fresh, "SyncToken": "0", "sparse": True, "CurrencyRef": {"value": "EUR"}}
    )
    co.create("Invoice", co.sales_form(customer, "1.00"))
    with pytest.raises(QboFault) as excinfo:  # fixed once it has transactions
        co.fake.update(
            "Customer",
            {"Id": customer, "SyncToken": "0", "sparse": True, "CurrencyRef": {"value": "GBP"}},
        )
    assert excinfo.value.code == "6000"


def test_accounts_carry_a_currency(co: Company) -> None:
    with pytest.raises(QboFault) as excinfo:
        co.account("Sales EUR", "Income", "EUR")
    assert excinfo.value.code == "6000"
    clearing = co.account("Stripe Clearing GBP", "Bank", "GBP")
    currencies = account_currencies(co.fake.state_json())
    assert currencies["Stripe Clearing GBP"] == "GBP" and currencies["Checking"] == "USD"
    customer = co.customer("Brit", "GBP")
    co.create(
        "SalesReceipt", co.sales_form(customer, "10.00", DepositToAccountRef={"value": clearing})
    )
    with pytest.raises(QboFault) as excinfo:  # has postings: the currency is fixed
        token = co.read("Account", clearing)["SyncToken"]
        co.fake.update(
            "Account",
            {"Id": clearing, "SyncToken": token, "sparse": True, "CurrencyRef": {"value": "USD"}},
        )
    assert excinfo.value.code == "6000"


def test_foreign_payment_lands_in_the_clearing_account_and_realises_fx(co: Company) -> None:
    customer, clearing = eur_setup(co)
    invoice = co.create("Invoice", co.sales_form(customer, "100.00", ExchangeRate=D("1.10")))
    checking = co.fake.books.account_by_subtype("Checking")
    with pytest.raises(QboFault) as excinfo:  # a EUR payment into a USD bank account
        co.payment(
            customer,
            "100.00",
            link("Invoice", invoice["Id"], "100.00"),
            DepositToAccountRef={"value": checking},
        )
    assert excinfo.value.code == "6000"
    first = co.payment(
        customer,
        "60.00",
        link("Invoice", invoice["Id"], "60.00"),
        DepositToAccountRef={"value": clearing},
        ExchangeRate=D("1.12"),
    )
    assert first["HomeTotalAmt"] == D("67.20")
    stored = co.read("Invoice", invoice["Id"])
    assert stored["Balance"] == D("40.00") and stored["HomeBalance"] == D("44.00")
    co.payment(
        customer,
        "40.00",
        link("Invoice", invoice["Id"], "40.00"),
        DepositToAccountRef={"value": clearing},
        ExchangeRate=D("1.05"),
    )
    stored = co.read("Invoice", invoice["Id"])
    assert stored["Balance"] == 0 and stored["HomeBalance"] == 0
    receivable = co.fake.books.receivable("EUR")
    assert co.balance(receivable) == 0 and home_debit(co, receivable) == 0
    assert co.balance(clearing) == D("100.00")  # EUR
    assert home_debit(co, clearing) == D("109.20")  # 67.20 + 42.00
    assert co.fake.home_balances()["Stripe Clearing EUR"] == D("109.20")
    balances = account_balances(co.fake.state_json())
    assert balances["Exchange Gain or Loss"] == D("0.80")  # 109.20 received for 110.00 billed
    assert co.fake.books.trial_balance() == 0


def test_eur_payment_may_wait_in_undeposited_funds_and_be_deposited(co: Company) -> None:
    customer, clearing = eur_setup(co)
    invoice = co.create("Invoice", co.sales_form(customer, "50.00", ExchangeRate=D("1.10")))
    payment = co.payment(
        customer, "50.00", link("Invoice", invoice["Id"], "50.00"), ExchangeRate=D("1.10")
    )
    undeposited = co.fake.books.account_by_subtype("UndepositedFunds")
    assert co.balance(undeposited) == D("55.00")  # home value
    checking = co.fake.books.account_by_subtype("Checking")
    line = {"Amount": D("50.00"), "LinkedTxn": [{"TxnId": payment["Id"], "TxnType": "Payment"}]}
    with pytest.raises(QboFault):
        co.create(
            "Deposit",
            {
                "DepositToAccountRef": {"value": checking},
                "Line": [line],
                "CurrencyRef": {"value": "EUR"},
            },
        )
    deposit = co.create(
        "Deposit",
        {"DepositToAccountRef": {"value": clearing}, "Line": [line], "ExchangeRate": D("1.11")},
    )
    assert deposit["CurrencyRef"]["value"] == "EUR"
    assert co.balance(undeposited) == 0
    assert co.balance(clearing) == D("50.00") and home_debit(co, clearing) == D("55.50")
    assert co.fake.books.trial_balance() == 0


def test_credit_memo_in_foreign_currency_applied_at_its_own_rate(co: Company) -> None:
    customer, _ = eur_setup(co)
    invoice = co.create("Invoice", co.sales_form(customer, "100.00", ExchangeRate=D("1.10")))
    memo = co.create("CreditMemo", co.sales_form(customer, "25.00", ExchangeRate=D("1.00")))
    assert memo["HomeTotalAmt"] == D("25.00") and memo["HomeBalance"] == D("25.00")
    co.payment(
        customer,
        "0",
        link("Invoice", invoice["Id"], "25.00"),
        link("CreditMemo", memo["Id"], "25.00"),
    )
    assert co.read("Invoice", invoice["Id"])["HomeBalance"] == D("82.50")
    assert co.read("CreditMemo", memo["Id"])["HomeBalance"] == 0
    assert co.balance(co.fake.books.receivable("EUR")) == D("75.00")
    assert ar_by_customer(co.fake.state_json()) == {(customer, "EUR"): D("75.00")}
    assert co.fake.books.trial_balance() == 0


@pytest.mark.parametrize(
    ("currency", "good", "bad", "rate", "home"),
    [
        ("JPY", "1500", "1500.5", D("0.0067"), D("10.05")),
        ("KRW", "12345", "0.1", D("0.00072"), D("8.89")),
        # QBO keeps 2 places, also for three-decimal currencies (test_fake_qbo_precision)
        ("KWD", "1.23", "1.234", D("3.25"), D("4.00")),
        ("BHD", "10.01", "10.005", D("2.65"), D("26.53")),
    ],
)
def test_amounts_keep_the_currencys_precision(
    co: Company, *, currency: str, good: str, bad: str, rate: Decimal, home: Decimal
) -> None:
    customer = co.customer(f"Customer {currency}", currency)
    invoice = co.create("Invoice", co.sales_form(customer, good))
    assert str(invoice["TotalAmt"]) == good
    assert invoice["ExchangeRate"] == rate and invoice["HomeTotalAmt"] == home
    assert co.fault("Invoice", co.sales_form(customer, bad)) == "6000"
    clearing = co.account(f"Stripe Clearing {currency}", "Bank", currency)
    with pytest.raises(QboFault):
        co.payment(customer, bad, DepositToAccountRef={"value": clearing})
    co.payment(
        customer,
        good,
        link("Invoice", invoice["Id"], good),
        DepositToAccountRef={"value": clearing},
    )
    assert str(co.balance(clearing)) == good
    assert co.fake.books.trial_balance() == 0


def test_foreign_journal_entry(co: Company) -> None:
    _, clearing = eur_setup(co)
    disputes = co.account("Stripe Disputes", "Expense")

    def line(side: str, account: str, amount: str) -> dict[str, Any]:
        detail = {"PostingType": side, "AccountRef": {"value": account}}
        return {
            "Amount": D(amount),
            "DetailType": "JournalEntryLineDetail",
            "JournalEntryLineDetail": detail,
        }

    lines = [line("Debit", disputes, "33.33"), line("Credit", clearing, "33.33")]
    entry = co.create(
        "JournalEntry",
        {"Line": lines, "CurrencyRef": {"value": "EUR"}, "ExchangeRate": D("1.0833")},
    )
    assert entry["HomeTotalAmt"] == D("36.11")
    assert co.balance(clearing) == D("-33.33") and co.balance(disputes) == D("36.11")
    with pytest.raises(QboFault) as excinfo:  # a home-currency entry cannot touch EUR accounts
        co.create("JournalEntry", {"Line": lines})
    assert excinfo.value.code == "6000"
    gbp = co.account("Stripe Clearing GBP", "Bank", "GBP")
    mixed = [line("Debit", gbp, "1.00"), line("Credit", clearing, "1.00")]
    assert co.fault("JournalEntry", {"Line": mixed, "CurrencyRef": {"value": "EUR"}}) == "6000"
    assert co.fake.books.trial_balance() == 0


def test_foreign_refund_receipt_pays_out_of_clearing(co: Company) -> None:
    customer, clearing = eur_setup(co)
    co.create(
        "SalesReceipt",
        co.sales_form(
            customer, "80.00", ExchangeRate=D("1.1"), DepositToAccountRef={"value": clearing}
        ),
    )
    refund = co.create(
        "RefundReceipt",
        {
            "CustomerRef": {"value": customer},
            "DepositToAccountRef": {"value": clearing},
            "Line": [sales_line(co.item, "30.00")],
            "ExchangeRate": D("1.2"),
        },
    )
    assert refund["HomeTotalAmt"] == D("36.00")
    assert co.balance(clearing) == D("50.00")
    assert co.balance(co.income) == D("52.00")  # 88.00 - 36.00
    assert co.fake.books.trial_balance() == 0


def test_single_currency_company_refuses_foreign_currency() -> None:
    co = Company(multicurrency=False)
    with pytest.raises(QboFault) as excinfo:
        co.customer("Euro", "EUR")
    assert excinfo.value.code == "6000"
    invoice = co.create("Invoice", co.sales_form(co.customer("Local"), "1.00"))
    assert "ExchangeRate" not in invoice


def test_home_currency_is_settable() -> None:
    co = Company(home_currency="EUR")
    customer = co.customer("Home")
    assert co.read("Customer", customer)["CurrencyRef"]["value"] == "EUR"
    usd = co.customer("Dollar", "USD")
    invoice = co.create("Invoice", co.sales_form(usd, "108.00"))
    assert invoice["ExchangeRate"] == D("0.9259259259")
    assert invoice["HomeTotalAmt"] == D("100.00")
    rate = co.fake.exchange_rate("USD", "2026-01-15")["ExchangeRate"]
    assert rate["TargetCurrencyCode"] == "EUR" and rate["Rate"] == D("0.9259259259")
    assert co.fake.preferences()["Preferences"]["CurrencyPrefs"] == {
        "MultiCurrencyEnabled": True,
        "HomeCurrency": {"value": "EUR"},
    }


def test_exchange_rate_table_is_deterministic(co: Company) -> None:
    answer = co.fake.exchange_rate("eur", "2026-01-15")["ExchangeRate"]
    assert answer["SourceCurrencyCode"] == "EUR" and answer["TargetCurrencyCode"] == "USD"
    assert answer["Rate"] == D("1.08") and answer["AsOfDate"] == "2026-01-15"
    seeded = {"GBP": "1.27", "JPY": "0.0067", "KWD": "3.25", "BHD": "2.65", "KRW": "0.00072"}
    for code, rate in seeded.items():
        assert co.fake.exchange_rate(code, None)["ExchangeRate"]["Rate"] == D(rate)
    assert co.fake.exchange_rate("USD", None)["ExchangeRate"]["Rate"] == 1
    derived = usd_rate("XYZ")
    assert derived == usd_rate("XYZ") and D("0") < derived <= D("1.5")
    table = RateTable("USD")
    table.set("EUR", D("1.11"), "2026-02-01")
    assert table.rate("EUR", "2026-02-01") == D("1.11") and table.rate("EUR", "2026-02-02") == D(
        "1.08"
    )
    co.fake.set_exchange_rate("EUR", D("1.09"), "2026-01-01")
    invoice = co.create("Invoice", co.sales_form(co.customer("Dated", "EUR"), "10.00"))
    assert invoice["TxnDate"] == "2026-01-01" and invoice["ExchangeRate"] == D("1.09")
    for source, as_of, code in (("", None, "2020"), ("EU", None, "2500"), ("EUR", "x", "2010")):
        with pytest.raises(QboFault) as excinfo:
            co.fake.exchange_rate(source, as_of)
        assert excinfo.value.code == code


def test_ar_report_by_customer_and_currency(co: Company) -> None:
    eur, _ = eur_setup(co)
    usd = co.customer("Dollar")
    co.create("Invoice", co.sales_form(eur, "10.00"))
    co.create("Invoice", co.sales_form(usd, "7.00"))
    co.payment(usd, "9.00")  # 9.00 unapplied: a credit on the customer
    assert ar_by_customer(co.fake.state_json()) == {
        (eur, "EUR"): D("10.00"),
        (usd, "USD"): D("-2.00"),
    }
