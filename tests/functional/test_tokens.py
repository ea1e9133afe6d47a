"""QBO tokens: rotation written back as a new version; instances refreshing at once never lose
the token; a revoked token fails loudly, once per instance, and the worker stops (FAILED, 2xx,
replayable after a person reconnects) instead of spinning."""

from __future__ import annotations

import logging
import threading
from typing import Any

import pytest
from flask.testing import FlaskClient

from local_emulator.harness.stack import LocalStack
from shared.adapters.clock import ManualClock
from shared.errors import AuthenticationError
from tests.functional.qbo_fixtures import CLIENT_ID, REFRESH_TOKEN_NAME, qbo_env
from tests.functional.test_worker_function import (
    current_link,
    invoice_task,
    run_task,
    seed_invoice,
)


def test_concurrent_refreshes_of_instances_sharing_the_store_never_lose_the_token() -> None:
    clock = ManualClock()
    with qbo_env(clock=clock) as env:
        gateways = [env.gateway, *(env.new_gateway(clock=clock) for _ in range(5))]
        for round_ in range(3):
            env.fake.tokens.expire_access_tokens()
            clock.advance(3600)  # every access token is due, and old refresh tokens past grace
            barrier = threading.Barrier(len(gateways))
            errors: list[BaseException] = []

            def read(
                gateway: object, barrier: threading.Barrier = barrier, errors: list[Any] = errors
            ) -> None:
                barrier.wait()
                try:
                    gateway.read("Account", "1")  # type: ignore[attr-defined]
                except Exception as error:
                    errors.append(error)

            threads = [threading.Thread(target=read, args=(g,)) for g in gateways]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert errors == [], (round_, errors)
        # The newest stored version still works for a brand-new instance, long after.
        clock.advance(3600)
        assert env.new_gateway(clock=clock).read("Account", "1")["Id"] == "1"
        assert env.secrets.version_count(REFRESH_TOKEN_NAME) > 1


def test_a_refused_token_is_not_sent_again_until_a_new_version_is_stored(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with qbo_env() as env:
        env.gateway.read("Account", "1")
        env.server.revoke_tokens()
        env.fake.tokens.expire_access_tokens()
        with caplog.at_level(logging.ERROR, logger="sync"):
            for _ in range(5):
                with pytest.raises(AuthenticationError) as excinfo:
                    env.gateway.read("Account", "1")
        assert "reconnect" in str(excinfo.value)
        refreshes = env.fake.request_counts()["token_refresh"]
        assert refreshes <= 3  # the first failure tried its candidates; the rest failed fast
        loud = [r for r in caplog.records if "reconnects QuickBooks" in r.getMessage()]
        assert len(loud) == 1
        # A person reconnects: a new grant's refresh token is stored as a new version.
        env.secrets.put(REFRESH_TOKEN_NAME, env.fake.tokens.issue_refresh_token(CLIENT_ID))
        assert env.gateway.read("Account", "1")["Id"] == "1"


def test_worker_with_a_revoked_token_records_failed_and_answers_200(
    stack: LocalStack, client: FlaskClient
) -> None:
    seed_invoice(stack, "in_0901")
    stack.fake_qbo.tokens.revoke_all()
    for retry in range(3):
        response = run_task(client, invoice_task("in_0901"), retry=retry, name=f"evt-{retry}")
        assert response.status_code == 200
        assert response.get_json()["outcome"] == "FAILED"
    link = current_link("in_0901")
    assert (link["status"], link["last_error_code"]) == ("FAILED", "invalid_grant")
    assert "reconnect" in link["last_error"]
    assert stack.fake_qbo.request_counts().get("token_refresh", 0) <= 3
