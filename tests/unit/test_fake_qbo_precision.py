"""QBO keeps amounts to 2 decimal places (three-decimal currencies too), Qty and UnitPrice to 7:
the fake refuses anything finer with a Fault, or (``round_amounts``) rounds it as QBO might."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from shared.adapters.qbo_json import loads
from tests.unit.test_fake_qbo_http import Api, fault


def _invoice(api: Api, amount: str, **detail: Any) -> Any:
    income = api.fake.books.account_by_subtype("SalesOfProductIncome")
    customer = api.fake.create(
        "Customer", {"DisplayName": "Dinar Co", "CurrencyRef": {"value": "KWD"}}
    )["Customer"]["Id"]
    item = api.fake.create("Item", {"Name": "Seats", "IncomeAccountRef": {"value": income}})
    line = {
        "Amount": Decimal(amount),
        "DetailType": "SalesItemLineDetail",
        "SalesItemLineDetail": {"ItemRef": {"value": item["Item"]["Id"]}, **detail},
    }
    body = {"CustomerRef": {"value": customer}, "CurrencyRef": {"value": "KWD"}, "Line": [line]}
    return api.call("POST", "invoice", body)


@pytest.mark.parametrize(
    ("amount", "detail", "field", "places"),
    [
        ("12.345", {}, "Line.Amount", 2),
        ("12.35", {"Qty": Decimal("0.12345678"), "UnitPrice": 100}, "Qty", 7),
        ("12.35", {"Qty": 1, "UnitPrice": Decimal("12.34999999")}, "UnitPrice", 7),
    ],
)
def test_finer_than_qbo_keeps_is_refused(
    amount: str, detail: dict[str, Any], field: str, places: int
) -> None:
    response = _invoice(Api(), amount, **detail)
    assert response.status_code == 400
    assert loads(response.get_data())["Fault"]["type"] == "ValidationFault"
    error = fault(response)
    assert error["code"] == "6000" and error["element"] == field
    assert error["Message"] == (
        "A business validation error has occurred while processing your request"
    )
    assert error["Detail"].startswith(f"Business Validation Error: {field} ")
    assert error["Detail"].endswith(f"({places})")


def test_two_places_in_a_three_decimal_currency_are_kept() -> None:
    response = _invoice(Api(), "12.35", Qty=Decimal("0.1234567"), UnitPrice=100)
    assert response.status_code == 200  # 7 places of Qty are kept; within half a cent
    invoice = loads(response.get_data())["Invoice"]
    assert invoice["TotalAmt"] == Decimal("12.35") and invoice["CurrencyRef"]["value"] == "KWD"


def test_with_round_amounts_the_fake_rounds_instead() -> None:
    api = Api()
    api.fake.books.round_amounts = True
    response = _invoice(api, "12.345")
    assert response.status_code == 200
    assert loads(response.get_data())["Invoice"]["TotalAmt"] == Decimal("12.35")
