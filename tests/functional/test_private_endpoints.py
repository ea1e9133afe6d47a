"""Private endpoints over HTTP: without a valid token 401/403, and nothing happens (no rows, no
tasks, no QBO or Stripe calls). The webhook enforces signature tolerance and a body limit."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from local_emulator.fakes.stripe.webhooks import sign_payload
from local_emulator.generator.stripe_objects import event_object
from local_emulator.harness.stack import WEBHOOK_SECRET, LocalStack
from shared import bootstrap
from shared.config import reset_settings
from tests.functional.test_worker_function import seed_invoice

PRIVATE = {
    "sync_worker": {"object_type": "invoice", "object_id": "in_0801"},
    "settlement_poll": {},
    "replay": {"object_type": "invoice"},
    "catch_up": {},
    "sync_health": {},
}
TABLES = ("stripe_events", "sync_links", "sync_log", "settlement_invoice_links")
SERVICE_ACCOUNT = "tasks@project.iam.gserviceaccount.com"


@pytest.fixture
def armed(stack: LocalStack) -> Iterator[LocalStack]:
    """Work that any of the endpoints would do if let in: an invoice and a recent event."""
    seed_invoice(stack, "in_0801")
    invoice = stack.fake_stripe.get_object("in_0801")
    assert invoice is not None
    stack.fake_stripe.seed_object(
        event_object("evt_0801", "invoice.finalized", int(time.time()), invoice)
    )
    yield stack


def nothing_happened(stack: LocalStack, stripe_before: dict[str, int]) -> None:
    for table in TABLES:
        assert bootstrap.warehouse().query(f"SELECT * FROM {table}") == [], table  # noqa: S608
    assert stack.queue.pending_count() == 0
    assert stack.fake_qbo.request_counts() == {}
    assert stack.fake_stripe.request_counts() == stripe_before


def platform_token(**claims: Any) -> str:
    """An ID token as Cloud Run hands it on after checking it (signature stripped)."""

    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    body = {
        "iss": "https://accounts.google.com",
        "aud": "https://example.run.app/private",
        "email": SERVICE_ACCOUNT,
        "email_verified": True,
        "exp": time.time() + 600,
        **claims,
    }
    return f"{part({'alg': 'RS256'})}.{part(body)}.SIGNATURE_REMOVED_BY_GOOGLE"


@pytest.mark.parametrize("name", sorted(PRIVATE))
@pytest.mark.parametrize(
    ("authorization", "status"),
    [(None, 401), ("Basic dXNlcjpwdw==", 401), ("Bearer wrong", 403), ("Bearer ", 403)],
)
def test_local_mode_refuses_without_the_shared_token(
    armed: LocalStack, name: str, authorization: str | None, status: int
) -> None:
    before = armed.fake_stripe.request_counts()
    headers = {"Authorization": authorization} if authorization is not None else {}
    response = requests.post(
        armed.host.url_for(name), json=PRIVATE[name], headers=headers, timeout=10
    )
    assert response.status_code == status
    nothing_happened(armed, before)


@pytest.fixture
def oidc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Production's auth mode: the function accepts its own invoker's tokens only."""
    monkeypatch.setenv("SYNC_AUTH_MODE", "oidc")
    monkeypatch.setenv("SYNC_OIDC_AUDIENCE", "https://example.run.app/private")
    monkeypatch.setenv("SYNC_OIDC_ALLOWED_SERVICE_ACCOUNTS", SERVICE_ACCOUNT)
    reset_settings()
    yield
    monkeypatch.undo()
    reset_settings()


def raw_token(claims: object) -> str:
    """A stripped token whose payload is any JSON, however wrong."""
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"eyJhbGciOiJSUzI1NiJ9.{payload}.SIGNATURE_REMOVED_BY_GOOGLE"


@pytest.mark.parametrize("name", sorted(PRIVATE))
@pytest.mark.parametrize(
    ("token", "status"),
    [
        ("local-dev-token", 401),  # the local secret means nothing in production
        (platform_token(aud="https://example.run.app/other"), 403),
        (platform_token(email="intruder@evil.example"), 403),
        (platform_token(email_verified=False), 403),
        (platform_token(exp=time.time() - 60), 403),
        (platform_token(iss="https://evil.example"), 403),
        # Malformed claims: refused, never a 500.
        (platform_token(exp="soon"), 401),
        (platform_token(email=["a@b"]), 401),
        (platform_token(aud={"x": 1}), 401),
        (raw_token([1, 2, 3]), 401),
        ("a.@@@.SIGNATURE_REMOVED_BY_GOOGLE", 401),
    ],
)
def test_oidc_mode_refuses_tokens_of_other_callers_and_malformed_ones(
    armed: LocalStack, oidc: None, name: str, token: str, status: int
) -> None:
    before = armed.fake_stripe.request_counts()
    for header in ("Authorization", "X-Serverless-Authorization"):
        response = requests.post(
            armed.host.url_for(name),
            json=PRIVATE[name],
            headers={header: f"Bearer {token}"},
            timeout=10,
        )
        assert response.status_code == status, (header, response.text)
    nothing_happened(armed, before)


def test_oidc_mode_admits_the_configured_service_account(armed: LocalStack, oidc: None) -> None:
    response = requests.post(
        armed.host.url_for("replay"),
        json={"object_type": "invoice", "dry_run": True},
        headers={"Authorization": f"Bearer {platform_token()}"},
        timeout=10,
    )
    assert response.status_code == 200


@pytest.mark.parametrize("name", sorted(PRIVATE))
def test_x_serverless_authorization_decides_when_present(
    armed: LocalStack, oidc: None, name: str
) -> None:
    """Cloud Run checks X-Serverless-Authorization when present; Authorization is then the
    caller's own header, unchecked: a valid-looking one there must not let a stranger in."""
    before = armed.fake_stripe.request_counts()
    stranger = platform_token(email="intruder@evil.example")
    response = requests.post(
        armed.host.url_for(name),
        json=PRIVATE[name],
        headers={
            "X-Serverless-Authorization": f"Bearer {stranger}",
            "Authorization": f"Bearer {platform_token()}",
        },
        timeout=10,
    )
    assert response.status_code == 403
    nothing_happened(armed, before)
    admitted = requests.post(
        armed.host.url_for("replay"),
        json={"object_type": "invoice", "dry_run": True},
        headers={
            "X-Serverless-Authorization": f"Bearer {platform_token()}",
            "Authorization": "Bearer the-apps-own-token",
        },
        timeout=10,
    )
    assert admitted.status_code == 200


def test_webhook_enforces_signature_tolerance_and_body_limit(armed: LocalStack) -> None:
    url = armed.host.url_for("stripe_webhook")
    event = armed.fake_stripe.get_object("evt_0801")
    body = json.dumps(event).encode()
    stale = sign_payload(body, WEBHOOK_SECRET, int(time.time()) - 301)
    response = requests.post(url, data=body, headers={"Stripe-Signature": stale}, timeout=10)
    assert response.status_code == 400
    huge = body + b" " * bootstrap.settings().webhook_max_body_bytes
    fresh = sign_payload(huge, WEBHOOK_SECRET, int(time.time()))
    response = requests.post(url, data=huge, headers={"Stripe-Signature": fresh}, timeout=10)
    assert response.status_code in (400, 413)
    assert bootstrap.warehouse().query("SELECT * FROM stripe_events") == []
    assert armed.queue.pending_count() == 0
