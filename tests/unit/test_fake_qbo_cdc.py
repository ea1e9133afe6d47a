"""Change data capture over the fake's HTTP API: 30 days back at most, deleted entities last."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from shared.adapters.qbo_json import loads
from tests.unit.test_fake_qbo_http import Api, fault


def test_cdc_refuses_a_changed_since_older_than_thirty_days() -> None:
    api = Api()
    too_old = (api.clock.now() - timedelta(days=30, seconds=1)).isoformat()
    response = api.call("GET", "cdc", entities="Invoice", changedSince=too_old)
    assert response.status_code == 400
    body = loads(response.get_data())
    assert body["Fault"]["type"] == "ValidationFault"
    assert fault(response) == {
        "Message": "Unsupported Operation",
        "Detail": f"Operation cdc with changedSince date {too_old} which is older than fixed "
        "days is not supported.",
        "code": "500",
        "element": "changedSince",
    }
    within = (api.clock.now() - timedelta(days=29, hours=23)).isoformat()
    assert api.call("GET", "cdc", entities="Invoice", changedSince=within).status_code == 200


def test_cdc_returns_what_changed_and_then_what_was_deleted() -> None:
    api = Api()
    since = api.clock.now().isoformat()
    income = api.fake.books.account_by_subtype("SalesOfProductIncome")
    customer = api.fake.create("Customer", {"DisplayName": "Cdc Co"})["Customer"]["Id"]
    item = api.fake.create("Item", {"Name": "Seats", "IncomeAccountRef": {"value": income}})
    line = {
        "Amount": Decimal("10.00"),
        "DetailType": "SalesItemLineDetail",
        "SalesItemLineDetail": {"ItemRef": {"value": item["Item"]["Id"]}},
    }
    body = {"CustomerRef": {"value": customer}, "Line": [line]}
    kept = api.fake.create("Invoice", body)["Invoice"]
    gone = api.fake.create("Invoice", body)["Invoice"]
    api.clock.advance(60)
    api.fake.delete("Invoice", {"Id": gone["Id"], "SyncToken": gone["SyncToken"]})
    response = api.call("GET", "cdc", entities="Invoice", changedSince=since)
    (part,) = loads(response.get_data())["CDCResponse"][0]["QueryResponse"]
    first, second = part["Invoice"]
    assert first["Id"] == kept["Id"] and "status" not in first
    assert second["Id"] == gone["Id"] and second["status"] == "Deleted"
    assert set(second) == {"Id", "status", "domain", "MetaData"}
