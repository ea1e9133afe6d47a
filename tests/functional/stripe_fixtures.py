"""Helpers for the Stripe-side functional tests: a running fake, clients, seeded objects."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import stripe

from local_emulator.fakes.stripe import FakeStripe, FakeStripeServer
from shared.adapters.clock import ManualClock
from shared.adapters.local_secrets import InMemorySecretStore
from shared.config import Settings
from tests.reference import require_reference

START = datetime(2026, 3, 1, tzinfo=UTC)


@contextmanager
def running_fake(seed: int = 7) -> Iterator[tuple[FakeStripe, FakeStripeServer, ManualClock]]:
    clock = ManualClock(START)
    fake = FakeStripe(clock=clock, seed=seed)
    with FakeStripeServer(fake) as server:
        yield fake, server, clock


def client_for(server: FakeStripeServer, api_key: str | None = None) -> stripe.StripeClient:
    """The real stripe client, pointed at the fake; no retries, so no sleeping."""
    return stripe.StripeClient(
        api_key or server.fake.api_key,
        base_addresses={"api": server.base_url},
        max_network_retries=0,
    )


def settings_for(server: FakeStripeServer) -> Settings:
    return Settings(stripe_api_base=server.base_url)


def secrets_for(fake: FakeStripe, api_key: str | None = None) -> InMemorySecretStore:
    key = api_key or fake.api_key
    return InMemorySecretStore({"stripe-secret-key": key, "stripe-invoicing-key": key})


def reference_fixtures() -> dict[str, dict[str, Any]]:
    """Stripe's own API fixtures (MIT), by file stem, from ``../shared/reference`` beside the
    repository; the test skips, saying why, when that is absent."""
    fixtures = require_reference("stripe", "fixtures")
    return {
        path.stem: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(fixtures.glob("*.json"))
    }


def seed_invoice_with_lines(fake: FakeStripe, invoice_id: str, count: int) -> dict[str, Any]:
    lines = [
        {
            "id": f"il_{invoice_id}_{i:04d}",
            "object": "line_item",
            "amount": 100 + i,
            "currency": "usd",
            "description": f"line {i}",
            "invoice": invoice_id,
        }
        for i in range(count)
    ]
    return fake.seed_object(
        {
            "id": invoice_id,
            "object": "invoice",
            "customer": "cus_seeded",
            "status": "open",
            "currency": "usd",
            "lines": lines,
            "total": sum(x["amount"] for x in lines),
        }
    )
