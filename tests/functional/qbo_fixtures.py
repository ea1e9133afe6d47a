"""Helpers for QBO tests: a fake QBO server on localhost and a real gateway pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from local_emulator.fakes.qbo import FakeQbo, FakeQboServer
from shared.adapters.local_secrets import InMemorySecretStore
from shared.adapters.qbo_gateway import QuickBooksGateway
from shared.adapters.rate_limiter import RateLimiter
from shared.config import Settings
from shared.ports import Clock

CLIENT_ID = "fake-client-id"
CLIENT_SECRET = "fake-client-secret-value"
REFRESH_TOKEN_NAME = "qbo-refresh-token"


@dataclass
class QboEnv:
    server: FakeQboServer
    fake: FakeQbo
    secrets: InMemorySecretStore
    settings: Settings
    gateway: QuickBooksGateway

    def new_gateway(self, **kwargs: Any) -> QuickBooksGateway:
        return QuickBooksGateway(self.settings, self.secrets, **kwargs)

    @property
    def refresh_token(self) -> str:
        return self.secrets.get(REFRESH_TOKEN_NAME)


def qbo_settings(server: FakeQboServer, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "qbo_base_url": server.base_url,
        "qbo_discovery_url": server.discovery_url,
        "qbo_realm_id": server.realm_id,
        "qbo_timeout_seconds": 5.0,
        **overrides,
    }
    return Settings(**values)


@contextmanager
def qbo_env(
    fake: FakeQbo | None = None,
    *,
    clock: Clock | None = None,
    limiter: RateLimiter | None = None,
    **settings: Any,
) -> Iterator[QboEnv]:
    """Start a fake QBO, register an app, and build a gateway with an in-memory secret store."""
    with FakeQboServer(fake or FakeQbo(clock=clock)) as server:
        refresh_token = server.register_client(CLIENT_ID, CLIENT_SECRET)
        secrets = InMemorySecretStore(
            {
                "qbo-client-id": CLIENT_ID,
                "qbo-client-secret": CLIENT_SECRET,
                REFRESH_TOKEN_NAME: refresh_token,
            }
        )
        config = qbo_settings(server, **settings)
        gateway = QuickBooksGateway(config, secrets, clock=clock, limiter=limiter)
        yield QboEnv(server, server.fake, secrets, config, gateway)
