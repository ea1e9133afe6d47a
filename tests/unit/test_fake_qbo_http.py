"""The fake QBO over WSGI (no sockets): OAuth, auth, replay, throttle and injected faults."""

from __future__ import annotations

import base64
from decimal import Decimal
from typing import Any
from xml.etree import ElementTree

import pytest
from werkzeug.test import Client, TestResponse

from local_emulator.fakes.qbo import FakeQbo
from local_emulator.fakes.qbo.app import DISCOVERY_PATH, TOKEN_PATH, FakeQboApp
from shared.adapters.clock import ManualClock
from shared.adapters.qbo_json import dumps, loads

REALM = "4620816365000000001"
BASIC = "Basic " + base64.b64encode(b"cid:secret").decode()


class Api:
    def __init__(self) -> None:
        self.clock = ManualClock()
        self.step = 0.1  # each call 0.1 s after the one before: QBO allows 10 a second
        self.fake = FakeQbo(REALM, clock=self.clock, refresh_grace_seconds=60)
        self.refresh_token = self.fake.register_client("cid", "secret")
        self.client = Client(FakeQboApp(self.fake, "http://fake"))
        first = self.token(self.refresh_token)
        self.access, self.refresh_token = first["access_token"], first["refresh_token"]

    def token(self, refresh_token: str, auth: str = BASIC) -> Any:
        response = self.client.post(
            TOKEN_PATH,
            data={"grant_type": "refresh_token", "refresh_token": refresh_token},
            headers={"Authorization": auth},
        )
        return {"status": response.status_code, **loads(response.get_data())}

    def call(
        self, method: str, path: str, body: Any = None, *, token: str | None = None, **params: str
    ) -> TestResponse:
        params.setdefault("minorversion", "75")
        self.clock.advance(self.step)
        headers = {"Authorization": f"Bearer {self.access if token is None else token}"}
        data = body if isinstance(body, str) or body is None else dumps(body)
        return self.client.open(
            f"/v3/company/{REALM}/{path}",
            method=method,
            data=data,
            query_string=params,
            headers=headers,
        )


def fault(response: TestResponse) -> dict[str, Any]:
    error: dict[str, Any] = loads(response.get_data())["Fault"]["Error"][0]
    return error


@pytest.fixture
def api() -> Api:
    return Api()


def test_discovery_document(api: Api) -> None:
    doc = loads(api.client.get(DISCOVERY_PATH).get_data())
    assert set(doc) == {
        "issuer", "authorization_endpoint", "token_endpoint", "revocation_endpoint",
        "userinfo_endpoint", "jwks_uri",
    }  # fmt: skip
    assert doc["token_endpoint"] == "http://fake" + TOKEN_PATH


def test_refresh_rotates_with_a_grace_period(api: Api) -> None:
    first = api.token(api.refresh_token)
    assert first["status"] == 200
    assert first["refresh_token"] != api.refresh_token
    assert first["expires_in"] == 3600 and first["x_refresh_token_expires_in"] > 0
    api.clock.advance(59)
    assert api.token(api.refresh_token)["status"] == 200  # still inside the grace
    api.clock.advance(2)
    assert api.token(api.refresh_token) == {"status": 400, "error": "invalid_grant"}
    assert api.token(first["refresh_token"])["status"] == 200


def test_refused_refreshes(api: Api) -> None:
    assert api.token("unknown")["error"] == "invalid_grant"
    bad = "Basic " + base64.b64encode(b"cid:wrong").decode()
    assert api.token(api.refresh_token, auth=bad) == {"status": 401, "error": "invalid_client"}
    api.fake.revoke_tokens()
    assert api.token(api.refresh_token) == {"status": 400, "error": "invalid_grant"}
    assert api.call("GET", "customer/1").status_code == 401


def test_api_needs_a_valid_bearer_token(api: Api) -> None:
    response = api.call("GET", "customer/1", token="nope")
    assert response.status_code == 401
    assert fault(response)["code"] == "3200"
    api.clock.advance(3601)
    assert api.call("GET", "customer/1").status_code == 401
    api.access = api.token(api.refresh_token)["access_token"]
    assert api.call("GET", "account/1").status_code == 200
    other = api.client.get(
        "/v3/company/123/account/1", headers={"Authorization": f"Bearer {api.access}"}
    )
    assert other.status_code == 403


def test_minorversion_below_75_is_refused(api: Api) -> None:
    response = api.call("GET", "account/1", minorversion="74")
    assert response.status_code == 400
    assert "minorversion" in fault(response)["Detail"]
    assert api.call("GET", "account/1", minorversion="75").status_code == 200


def test_requestid_replay_over_http(api: Api) -> None:
    first = api.call("POST", "customer", {"DisplayName": "Once"}, requestid="abc")
    second = api.call("POST", "customer", {"DisplayName": "Once"}, requestid="abc")
    assert first.status_code == second.status_code == 200
    assert first.get_data() == second.get_data()
    assert len(api.fake.state_json()["Customer"]) == 1
    long_id = api.call("POST", "customer", {"DisplayName": "Long"}, requestid="x" * 51)
    assert long_id.status_code == 400
    assert "Customer" in api.fake.state_json() and len(api.fake.state_json()["Customer"]) == 1


def test_requestid_replay_can_be_switched_off(api: Api) -> None:
    api.fake.faults.config.switch("off")
    first = api.call("POST", "item", {"Name": "A", "IncomeAccountRef": {"value": "1"}},
                     requestid="same")  # fmt: skip
    second = api.call("POST", "item", {"Name": "B", "IncomeAccountRef": {"value": "1"}},
                      requestid="same")  # fmt: skip
    assert first.status_code == second.status_code == 200
    assert first.get_data() != second.get_data()  # run anew, not replayed
    assert {i["Name"] for i in api.fake.state_json()["Item"]} >= {"A", "B"}
    assert api.fake.request_counts()["requestid_repeats"] == 1
    assert "replayed" not in api.fake.request_counts()


def test_update_void_delete_and_query_routes(api: Api) -> None:
    customer = loads(api.call("POST", "customer", {"DisplayName": "C"}).get_data())["Customer"]
    income = api.fake.books.account_by_subtype("SalesOfProductIncome")
    item = loads(
        api.call("POST", "item", {"Name": "I", "IncomeAccountRef": {"value": income}}).get_data()
    )["Item"]
    line = {"Amount": Decimal("5.00"), "DetailType": "SalesItemLineDetail",
            "SalesItemLineDetail": {"ItemRef": {"value": item["Id"]}}}  # fmt: skip
    body = {"CustomerRef": {"value": customer["Id"]}, "DocNumber": "D1", "Line": [line]}
    invoice = loads(api.call("POST", "invoice", body).get_data())["Invoice"]
    stale = api.call("POST", "invoice", {**body, "Id": invoice["Id"], "SyncToken": "9"})
    assert stale.status_code == 400 and fault(stale)["code"] == "5010"
    voided = api.call("POST", "invoice", {"Id": invoice["Id"], "SyncToken": "0"}, operation="void")
    assert loads(voided.get_data())["Invoice"]["TotalAmt"] == 0
    by_get = api.call("GET", "query", query="select * from Invoice where DocNumber = 'D1'")
    by_post = api.call("POST", "query", "select * from Invoice where DocNumber = 'D1'")
    assert by_get.get_data().split(b'"time"')[0] == by_post.get_data().split(b'"time"')[0]
    assert loads(by_get.get_data())["QueryResponse"]["Invoice"][0]["SyncToken"] == "1"
    deleted = api.call(
        "POST", "invoice", {"Id": invoice["Id"], "SyncToken": "1"}, operation="delete"
    )
    assert loads(deleted.get_data())["Invoice"]["status"] == "Deleted"
    assert fault(api.call("GET", f"invoice/{invoice['Id']}"))["code"] == "610"


def xml_fault(response: TestResponse) -> tuple[str, dict[str, str]]:
    """(Fault type, {code, Message, Detail}) of an XML IntuitResponse."""
    root = ElementTree.fromstring(response.get_data())  # noqa: S314 - the fake's own answer
    ns = {"i": "http://schema.intuit.com/finance/v3"}
    node = root.find("i:Fault", ns)
    assert node is not None
    error = node.find("i:Error", ns)
    assert error is not None
    texts = {child.tag.split("}")[1]: child.text or "" for child in error}
    return node.get("type", ""), {"code": error.get("code", ""), **texts}


def test_throttle_answers_429_with_the_real_fault(api: Api) -> None:
    statuses = []
    for _ in range(501):  # 10 a second: the per-minute limit is the one reached
        statuses.append(api.call("GET", "account/1").status_code)
    assert statuses[:500] == [200] * 500
    assert statuses[500] == 429
    response = api.call("GET", "account/1")
    assert response.status_code == 429 and response.mimetype == "application/xml"
    assert xml_fault(response) == (
        "SERVICE",
        {
            "code": "3001",
            "Message": "message=ThrottleExceeded; errorCode=003001; statusCode=429",
            "Detail": "The request limit was reached.  Try again later",
        },
    )
    api.clock.advance(60)
    assert api.call("GET", "account/1").status_code == 200
    assert api.fake.request_counts()["throttled"] == 2


def test_eleventh_request_in_a_second_is_throttled(api: Api) -> None:
    api.step = 0.0
    assert [api.call("GET", "account/1").status_code for _ in range(11)] == [200] * 10 + [429]
    api.clock.advance(1.0)
    assert api.call("GET", "account/1").status_code == 200


def test_older_403_throttle_form(api: Api) -> None:
    api.fake.faults.set("qbo_throttle_403", 1.0)
    api.fake.faults.force("qbo_429")
    response = api.call("GET", "account/1")
    assert response.status_code == 403
    assert xml_fault(response)[1]["Message"] == (
        "message=ThrottleExceeded; errorCode=003001; statusCode=403"
    )
    assert api.fake.request_counts()["throttled_403"] == 1


def test_eleventh_concurrent_request_is_throttled(api: Api) -> None:
    for _ in range(10):
        assert api.fake.throttle.try_acquire(batch=True)
    assert api.call("GET", "account/1").status_code == 429
    api.fake.throttle.release()
    assert api.call("GET", "account/1").status_code == 200


def test_injected_429_and_5xx(api: Api) -> None:
    api.fake.faults.force("qbo_429")
    response = api.call("POST", "customer", {"DisplayName": "X"})
    assert response.status_code == 429 and xml_fault(response)[1]["code"] == "3001"
    api.fake.faults.force("qbo_5xx", times=2)
    for _ in range(2):
        api.clock.advance(1)
        response = api.call("POST", "customer", {"DisplayName": "X"})
        assert response.status_code in (500, 503)
        assert loads(response.get_data())["Fault"]["type"] == "SystemFault"
    assert "Customer" not in api.fake.state_json()  # nothing was performed
    counts = api.fake.request_counts()
    assert counts["faults_injected"] == 3 and counts["qbo_5xx"] == 2


def test_dropped_response_performs_the_write(api: Api) -> None:
    api.fake.faults.force("qbo_drop_response")
    with pytest.raises(ConnectionAbortedError):
        api.call("POST", "customer", {"DisplayName": "Dropped"}, requestid="drop-1")
    assert len(api.fake.state_json()["Customer"]) == 1
    retry = api.call("POST", "customer", {"DisplayName": "Dropped"}, requestid="drop-1")
    assert retry.status_code == 200
    assert len(api.fake.state_json()["Customer"]) == 1
    assert api.fake.throttle.in_flight() == 0


def test_timeout_delays_the_answer(api: Api) -> None:
    api.fake.faults.set("timeout_delay_seconds", 0.01)
    api.fake.faults.force("qbo_timeout")
    assert api.call("POST", "customer", {"DisplayName": "Slow"}).status_code == 200
    assert api.fake.request_counts()["qbo_timeout"] == 1


def test_batch_endpoint(api: Api) -> None:
    response = api.call(
        "POST",
        "batch",
        {
            "BatchItemRequest": [
                {"bId": "b1", "operation": "create", "Customer": {"DisplayName": "B"}}
            ]
        },
    )
    assert loads(response.get_data())["BatchItemResponse"][0]["Customer"]["DisplayName"] == "B"
    for _ in range(39):
        api.call(
            "POST", "batch", {"BatchItemRequest": [{"bId": "q", "Query": "select * from Customer"}]}
        )
    throttled = api.call(
        "POST", "batch", {"BatchItemRequest": [{"bId": "q", "Query": "select * from Customer"}]}
    )
    assert throttled.status_code == 429


def _batch_of(count: int) -> dict[str, Any]:
    query = {"Query": "select * from Account where Id = '1'"}
    return {"BatchItemRequest": [{"bId": str(i), **query} for i in range(count)]}


def test_batches_are_limited_per_app_and_per_realm_and_their_payloads_count(api: Api) -> None:
    apps = {"cid": api.access}
    for client_id in ("app2", "app3", "app4"):
        refresh = api.fake.register_client(client_id, "s")
        basic = "Basic " + base64.b64encode(f"{client_id}:s".encode()).decode()
        apps[client_id] = api.token(refresh, basic)["access_token"]
    statuses = {
        app: [api.call("POST", "batch", _batch_of(1), token=token).status_code for _ in range(41)]
        for app, token in list(apps.items())[:3]
    }
    assert all(s[:40] == [200] * 40 and s[40] == 429 for s in statuses.values())  # 40 per app
    realm_full = api.call("POST", "batch", _batch_of(1), token=apps["app4"])
    assert realm_full.status_code == 429
    assert xml_fault(realm_full)[1]["code"] == "3001"  # 120 per realm
    api.clock.advance(60.001)
    for _ in range(16):  # 16 batches of 30 payloads: 480 of the 500 requests
        assert api.call("POST", "batch", _batch_of(30)).status_code == 200
    assert api.call("POST", "batch", _batch_of(30)).status_code == 429
    singles = [api.call("GET", "account/1").status_code for _ in range(21)]  # 10 a second
    assert singles[-2:] == [200, 429]


def test_exchangerate_and_preferences_endpoints(api: Api) -> None:
    response = api.call("GET", "exchangerate", sourcecurrencycode="EUR", asofdate="2026-01-15")
    assert response.status_code == 200
    rate = loads(response.get_data())["ExchangeRate"]
    assert rate["SourceCurrencyCode"] == "EUR" and rate["TargetCurrencyCode"] == "USD"
    assert rate["Rate"] == Decimal("1.08") and rate["AsOfDate"] == "2026-01-15"
    missing = api.call("GET", "exchangerate")
    assert missing.status_code == 400 and fault(missing)["code"] == "2020"
    prefs = loads(api.call("GET", "preferences").get_data())["Preferences"]["CurrencyPrefs"]
    assert prefs == {"MultiCurrencyEnabled": True, "HomeCurrency": {"value": "USD"}}
