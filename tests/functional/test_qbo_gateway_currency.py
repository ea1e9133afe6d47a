"""The QBO gateway against the fake: exchange rates and the foreign-currency posting shapes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from local_emulator.fakes.qbo.reports import account_balances, ar_by_customer
from shared.errors import UpstreamUnavailableError, ValidationFailedError
from tests.functional.qbo_fixtures import QboEnv, qbo_env

D = Decimal
DAY = date(2026, 1, 15)


@pytest.fixture
def env() -> Iterator[QboEnv]:
    with qbo_env() as environment:
        yield environment


def test_exchange_rate_is_read_once_per_currency_and_day(env: QboEnv) -> None:
    gateway = env.gateway
    rate = gateway.exchange_rate("eur", DAY)
    assert rate == D("1.08") and isinstance(rate, Decimal)
    reads = env.fake.request_counts()["read"]
    assert gateway.exchange_rate("EUR", DAY) == D("1.08")
    assert env.fake.request_counts()["read"] == reads  # cached
    env.fake.set_exchange_rate("EUR", D("1.0912"), "2026-01-16")
    assert gateway.exchange_rate("EUR", date(2026, 1, 16)) == D("1.0912")
    assert gateway.exchange_rate("USD", DAY) == 1
    assert gateway.exchange_rate("JPY", DAY) == D("0.0067")
    assert gateway.exchange_rate("XYZ", DAY) > 0  # any code has a deterministic rate
    with pytest.raises(ValueError):
        gateway.exchange_rate("E1", DAY)


def test_exchange_rate_failure_is_not_cached(env: QboEnv) -> None:
    env.gateway.read("Account", "1")  # connect first
    env.fake.faults.force("qbo_5xx")
    with pytest.raises(UpstreamUnavailableError):
        env.gateway.exchange_rate("GBP", DAY)
    assert env.gateway.exchange_rate("GBP", DAY) == D("1.27")


def _invoice(item: str, customer: str, amount: str, **extra: Any) -> dict[str, Any]:
    line = {
        "Amount": D(amount),
        "DetailType": "SalesItemLineDetail",
        "SalesItemLineDetail": {"ItemRef": {"value": item}, "Qty": D(1), "UnitPrice": D(amount)},
    }
    return {"CustomerRef": {"value": customer}, "Line": [line], **extra}


def test_foreign_invoice_payment_and_credit_through_the_gateway(env: QboEnv) -> None:
    gateway = env.gateway
    income = env.fake.books.account_by_subtype("SalesOfProductIncome")
    item = gateway.create(
        "Item", {"Name": "Stripe sales", "IncomeAccountRef": {"value": income}}, "item-sales"
    )["Id"]
    clearing = gateway.create(
        "Account",
        {"Name": "Stripe Clearing EUR", "AccountType": "Bank", "CurrencyRef": {"value": "EUR"}},
        "acct-clr-eur",
    )
    customer = gateway.create(
        "Customer", {"DisplayName": "Acme EUR [cus_1]", "CurrencyRef": {"value": "EUR"}}, "cus-eur"
    )["Id"]
    rate = gateway.exchange_rate("EUR", DAY)
    with pytest.raises(ValidationFailedError) as excinfo:
        gateway.create(
            "Invoice", _invoice(item, customer, "1.00", CurrencyRef={"value": "GBP"}), "inv-gbp"
        )
    assert excinfo.value.code == "6000"
    invoice = gateway.create(
        "Invoice",
        _invoice(
            item,
            customer,
            "200.00",
            TxnDate="2026-01-15",
            CurrencyRef={"value": "EUR"},
            ExchangeRate=rate,
        ),
        "inv-eur",
    )
    assert invoice["HomeTotalAmt"] == D("216.00") and invoice["HomeBalance"] == D("216.00")
    memo = gateway.create(
        "CreditMemo",
        _invoice(item, customer, "50.00", CurrencyRef={"value": "EUR"}, ExchangeRate=rate),
        "cm-eur",
    )
    gateway.create(
        "Payment",
        {
            "CustomerRef": {"value": customer},
            "TotalAmt": D("0"),
            "CurrencyRef": {"value": "EUR"},
            "ExchangeRate": rate,
            "Line": [
                {
                    "Amount": D("50.00"),
                    "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}],
                },
                {
                    "Amount": D("50.00"),
                    "LinkedTxn": [{"TxnId": memo["Id"], "TxnType": "CreditMemo"}],
                },
            ],
        },
        "pay-cm",
    )
    paid = gateway.create(
        "Payment",
        {
            "CustomerRef": {"value": customer},
            "TotalAmt": D("150.00"),
            "CurrencyRef": {"value": "EUR"},
            "ExchangeRate": rate,
            "DepositToAccountRef": {"value": clearing["Id"]},
            "Line": [
                {
                    "Amount": D("150.00"),
                    "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}],
                }
            ],
        },
        "pay-eur",
    )
    assert paid["HomeTotalAmt"] == D("162.00")
    stored = gateway.read("Invoice", invoice["Id"])
    assert stored["Balance"] == 0 and stored["HomeBalance"] == 0
    state = env.fake.state_json()
    assert ar_by_customer(state) == {(customer, "EUR"): D("0.00")}
    balances = account_balances(state)
    assert balances["Stripe Clearing EUR"] == D("150.00")
    assert balances["Accounts Receivable (A/R) - EUR"] == 0
    assert balances["Sales"] == D("162.00")  # 216.00 billed - 54.00 credited
    voided = gateway.void("Payment", paid["Id"], paid["SyncToken"], "pay-eur-void")
    assert voided["TotalAmt"] == 0 and voided["PrivateNote"] == "Voided"
    assert gateway.read("Invoice", invoice["Id"])["Balance"] == D("150.00")
