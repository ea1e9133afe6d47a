"""The real QBO adapter (python-quickbooks + intuit-oauth) against the fake QBO on localhost."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from local_emulator.fakes.qbo import FakeQbo
from shared.adapters import qbo_gateway
from shared.adapters.clock import ManualClock, SystemClock
from shared.adapters.rate_limiter import RateLimiter
from shared.errors import (
    AuthenticationError,
    DuplicateNameError,
    NotFoundError,
    StaleObjectError,
    ThrottledError,
    UpstreamUnavailableError,
    ValidationFailedError,
)
from tests.functional.qbo_fixtures import CLIENT_SECRET, REFRESH_TOKEN_NAME, QboEnv, qbo_env


@pytest.fixture
def env() -> Iterator[QboEnv]:
    with qbo_env() as environment:
        yield environment


def invoice(env: QboEnv, customer_id: str, amount: str, doc_number: str) -> dict[str, Any]:
    income = env.fake.books.account_by_subtype("SalesOfProductIncome")
    items = env.gateway.query("select * from Item where Name = 'Stripe sales'")
    item = items[0] if items else env.gateway.create(
        "Item", {"Name": "Stripe sales", "IncomeAccountRef": {"value": income}}, "item-stripe"
    )  # fmt: skip
    return {
        "CustomerRef": {"value": customer_id},
        "DocNumber": doc_number,
        "Line": [
            {
                "Amount": Decimal(amount),
                "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": {"ItemRef": {"value": item["Id"]}, "Qty": Decimal(1),
                                        "UnitPrice": Decimal(amount)},
            }
        ],
    }  # fmt: skip


def test_create_read_update_query(env: QboEnv) -> None:
    gateway = env.gateway
    customer = gateway.create("Customer", {"DisplayName": "Acme"}, "cus-1")
    assert customer["SyncToken"] == "0"
    assert gateway.read("Customer", customer["Id"])["DisplayName"] == "Acme"
    updated = gateway.update(
        "Customer",
        {"Id": customer["Id"], "SyncToken": "0", "sparse": True, "Notes": "stripe:cus_1"},
        "cus-1-upd",
    )
    assert updated["SyncToken"] == "1" and updated["Notes"] == "stripe:cus_1"
    created = gateway.create("Invoice", invoice(env, customer["Id"], "12.34", "INV-0001"), "in-1")
    assert created["TotalAmt"] == Decimal("12.34")  # Decimal end to end, never float
    rows = gateway.query("select * from Invoice where DocNumber = 'INV-0001'")
    assert [r["Id"] for r in rows] == [created["Id"]]
    assert gateway.query("select * from Invoice where DocNumber = 'none'") == []
    assert gateway.query("select count(*) from Invoice") == [{"totalCount": 1}]


def test_query_reads_every_page(env: QboEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(qbo_gateway, "QUERY_PAGE", 2)
    for index in range(5):
        env.gateway.create("Customer", {"DisplayName": f"C{index}"}, f"cus-page-{index}")
    rows = env.gateway.query("select * from Customer")
    assert [r["DisplayName"] for r in rows] == [f"C{i}" for i in range(5)]
    assert env.fake.request_counts()["query"] == 3


def test_same_requestid_returns_the_original(env: QboEnv) -> None:
    first = env.gateway.create("Customer", {"DisplayName": "Once"}, "cus-once")
    second = env.gateway.create("Customer", {"DisplayName": "Once"}, "cus-once")
    assert first == second
    assert len(env.server.state_json()["Customer"]) == 1
    assert env.fake.request_counts()["replayed"] == 1


def test_request_id_over_50_chars_is_refused_before_sending(env: QboEnv) -> None:
    with pytest.raises(ValueError, match="50"):
        env.gateway.create("Customer", {"DisplayName": "X"}, "r" * 51)
    with pytest.raises(ValueError):
        env.gateway.create("NotAnEntity", {}, "r")
    assert env.fake.request_counts() == {}


def test_stale_sync_token(env: QboEnv) -> None:
    customer = env.gateway.create("Customer", {"DisplayName": "Stale"}, "cus-stale")
    env.gateway.update("Customer", {**customer, "Notes": "a"}, "cus-stale-1")
    with pytest.raises(StaleObjectError) as excinfo:
        env.gateway.update("Customer", {**customer, "Notes": "b"}, "cus-stale-2")
    assert excinfo.value.code == "5010"


def test_duplicate_name_across_vendor_and_customer(env: QboEnv) -> None:
    env.gateway.create("Vendor", {"DisplayName": "Shared Name"}, "ven-1")
    with pytest.raises(DuplicateNameError) as excinfo:
        env.gateway.create("Customer", {"DisplayName": "Shared Name"}, "cus-dup")
    assert excinfo.value.code == "6240"


def test_validation_faults_keep_their_code(env: QboEnv) -> None:
    customer = env.gateway.create("Customer", {"DisplayName": "V"}, "cus-v")
    env.gateway.create("Invoice", invoice(env, customer["Id"], "5.00", "DUP-1"), "inv-v1")
    cases = [
        (invoice(env, customer["Id"], "5.00", "DUP-1"), "6140"),
        (invoice(env, customer["Id"], "5.00", "X" * 22), "2050"),
        (invoice(env, "9999", "5.00", "REF-1"), "2500"),
        ({"CustomerRef": {"value": customer["Id"]}}, "2020"),
    ]
    for index, (body, code) in enumerate(cases):
        with pytest.raises(ValidationFailedError) as excinfo:
            env.gateway.create("Invoice", body, f"inv-bad-{index}")
        assert excinfo.value.code == code
        assert not isinstance(excinfo.value, DuplicateNameError)
    with pytest.raises(NotFoundError):
        env.gateway.read("Invoice", "424242")


def test_void_and_delete(env: QboEnv) -> None:
    customer = env.gateway.create("Customer", {"DisplayName": "Void"}, "cus-void")
    created = env.gateway.create("Invoice", invoice(env, customer["Id"], "9.00", "V-1"), "inv-vo")
    voided = env.gateway.void("Invoice", created["Id"], created["SyncToken"], "inv-vo-void")
    assert voided["TotalAmt"] == 0 and voided["SyncToken"] == "1"
    deleted = env.gateway.delete("Invoice", created["Id"], "1", "inv-vo-del")
    assert deleted["status"] == "Deleted"


def test_forced_429_is_throttled(env: QboEnv) -> None:
    env.fake.faults.force("qbo_429")
    with pytest.raises(ThrottledError) as excinfo:
        env.gateway.create("Customer", {"DisplayName": "T"}, "cus-429")
    assert excinfo.value.retry_after_seconds == 60
    assert excinfo.value.code == "3001"


@pytest.mark.parametrize("older_form", [False, True])
def test_every_throttle_form_is_throttling(env: QboEnv, older_form: bool) -> None:
    """429 with its XML body, or the older 403 ThrottleExceeded: transient throttling, never an
    authorization or validation failure."""
    env.fake.faults.set("qbo_throttle_403", 1.0 if older_form else 0.0)
    env.fake.faults.force("qbo_429", times=2)
    for operation in (
        lambda: env.gateway.create("Customer", {"DisplayName": "T"}, "cus-thr"),
        lambda: env.gateway.query("select * from Customer"),
    ):
        with pytest.raises(ThrottledError) as excinfo:
            operation()
        assert excinfo.value.code == "3001" and excinfo.value.retry_after_seconds == 60
    counts = env.fake.request_counts()
    assert counts["throttled_403" if older_form else "throttled_429"] == 2
    assert env.gateway.create("Customer", {"DisplayName": "T"}, "cus-thr")["DisplayName"] == "T"


def test_forced_5xx_is_unavailable(env: QboEnv) -> None:
    env.fake.faults.force("qbo_5xx", times=3)
    for index in range(3):
        with pytest.raises(UpstreamUnavailableError):
            env.gateway.create("Customer", {"DisplayName": "F"}, f"cus-5xx-{index}")
    assert "Customer" not in env.server.state_json()


def test_dropped_response_then_retry_with_same_requestid(env: QboEnv) -> None:
    env.fake.faults.force("qbo_drop_response")
    with pytest.raises(UpstreamUnavailableError) as excinfo:
        env.gateway.create("Customer", {"DisplayName": "Dropped"}, "cus-drop")
    assert excinfo.value.code == "network"
    assert len(env.server.state_json()["Customer"]) == 1  # the write happened
    again = env.gateway.create("Customer", {"DisplayName": "Dropped"}, "cus-drop")
    assert again["DisplayName"] == "Dropped"
    assert len(env.server.state_json()["Customer"]) == 1


def test_timeout_is_unavailable() -> None:
    with qbo_env(qbo_timeout_seconds=0.3) as env:
        env.fake.faults.set("timeout_delay_seconds", 1.0)
        env.gateway.read("Account", "1")  # connect and refresh outside the timed call
        env.fake.faults.force("qbo_timeout")
        with pytest.raises(UpstreamUnavailableError):
            env.gateway.create("Customer", {"DisplayName": "Slow"}, "cus-slow")
        again = env.gateway.create("Customer", {"DisplayName": "Slow"}, "cus-slow")
        assert again["DisplayName"] == "Slow"


def test_rotated_refresh_token_is_written_back(env: QboEnv) -> None:
    initial = env.refresh_token
    env.gateway.read("Account", "1")
    assert env.secrets.version_count(REFRESH_TOKEN_NAME) == 2
    assert env.refresh_token != initial
    env.gateway.read("Account", "1")  # the access token is reused: no refresh, no new version
    assert env.secrets.version_count(REFRESH_TOKEN_NAME) == 2
    env.fake.tokens.expire_access_tokens()
    env.gateway.read("Account", "1")  # 401, refresh once, retry
    counts = env.fake.request_counts()
    assert counts["unauthorized"] == 1 and counts["token_refresh"] == 2
    assert env.secrets.version_count(REFRESH_TOKEN_NAME) == 3


def test_unchanged_refresh_token_is_not_written(env: QboEnv) -> None:
    env.fake.tokens.rotate = False
    env.gateway.read("Account", "1")
    env.fake.tokens.expire_access_tokens()
    env.gateway.read("Account", "1")
    assert env.fake.request_counts()["token_refresh"] == 2
    assert env.secrets.version_count(REFRESH_TOKEN_NAME) == 1


def test_token_rotated_by_another_instance() -> None:
    clock = ManualClock()
    with qbo_env(clock=clock) as env:
        other = env.new_gateway(clock=clock)
        env.gateway.read("Account", "1")
        other.read("Account", "1")  # rotates again, from the token the first one stored
        clock.advance(600)  # every superseded token is past its grace now
        env.fake.tokens.expire_access_tokens()
        env.gateway.read("Account", "1")  # refreshes with the newest stored token
        assert env.fake.request_counts().get("token_refused", 0) == 0


def test_revoked_token_needs_a_person(env: QboEnv) -> None:
    env.gateway.read("Account", "1")
    token = env.refresh_token
    env.server.revoke_tokens()
    with pytest.raises(AuthenticationError) as excinfo:
        env.gateway.read("Account", "1")
    message = str(excinfo.value)
    assert "reconnect" in message
    assert token not in message and CLIENT_SECRET not in message


def test_revoked_before_first_use() -> None:
    with qbo_env() as env:
        env.server.revoke_tokens()
        with pytest.raises(AuthenticationError):
            env.gateway.create("Customer", {"DisplayName": "X"}, "cus-rev")


def hammer(env: QboEnv, threads: int, per_thread: int) -> int:
    """Read from ``threads`` threads at once; the number of ThrottledErrors seen."""
    throttled: list[int] = []
    failures: list[BaseException] = []

    def worker() -> None:
        for _ in range(per_thread):
            try:
                env.gateway.read("Account", "1")
            except ThrottledError:
                throttled.append(1)
            except BaseException as exc:
                failures.append(exc)
                return

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    assert failures == []
    return len(throttled)


@pytest.mark.parametrize(("paced", "time_scale"), [(True, 30.0), (False, 10.0)])
def test_limiter_keeps_the_fake_from_throttling(paced: bool, time_scale: float) -> None:
    # Real limits (500/min, 10/s, 10 concurrent) on a sped-up clock: at 30x a "minute" lasts 2 s, so
    # 800 requests from 20 threads need two windows. The unpaced control runs at 10x (a 6 s
    # window) so that even a slow machine overruns it.
    fake = FakeQbo(clock=SystemClock(), time_scale=time_scale)
    window = 60.0 / time_scale
    limiter = (
        RateLimiter(500, 10, window_seconds=window, requests_per_second=10)
        if paced
        else RateLimiter(1_000_000, 20, window_seconds=window)
    )
    with qbo_env(fake, limiter=limiter) as env:
        throttled = hammer(env, threads=20, per_thread=40)
        counts = env.fake.request_counts()
    if paced:
        assert throttled == 0
        assert counts.get("throttled", 0) == 0
        assert counts["read"] == 800
        assert limiter.waits > 0  # the limiter, not the server, did the pacing
    else:
        assert throttled > 0
        assert counts["throttled"] == throttled


def test_attach_a_pdf_to_an_invoice(env: QboEnv) -> None:
    customer = env.gateway.create("Customer", {"DisplayName": "Pdf"}, "cus-pdf")
    created = env.gateway.create("Invoice", invoice(env, customer["Id"], "3.00", "P-1"), "inv-p")
    content = b"%PDF-1.4\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"
    attachable = env.gateway.attach("Invoice", created["Id"], "statement.pdf", content, "att-p")
    assert attachable["AttachableRef"][0]["EntityRef"] == {
        "type": "Invoice",
        "value": created["Id"],
    }
    assert attachable["Size"] == len(content)
    assert env.fake.file(attachable["Id"]) == content
    again = env.gateway.attach("Invoice", created["Id"], "statement.pdf", content, "att-p")
    assert again["Id"] == attachable["Id"]
    assert len(env.server.state_json()["Attachable"]) == 1
    with pytest.raises(ValidationFailedError) as excinfo:
        env.gateway.attach("Invoice", "999", "statement.pdf", content, "att-missing")
    assert excinfo.value.code == "2500"


def test_a_file_over_qbos_upload_limit_is_refused(
    env: QboEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("local_emulator.fakes.qbo.engine.MAX_UPLOAD_BYTES", 1000)
    customer = env.gateway.create("Customer", {"DisplayName": "Big"}, "cus-big")
    created = env.gateway.create("Invoice", invoice(env, customer["Id"], "3.00", "B-1"), "inv-b")
    with pytest.raises(ValidationFailedError):
        env.gateway.attach("Invoice", created["Id"], "big.pdf", b"x" * 1001, "att-big")
    assert "Attachable" not in env.server.state_json()
    env.gateway.attach("Invoice", created["Id"], "small.pdf", b"x" * 1000, "att-small")
