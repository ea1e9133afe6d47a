"""The live suite's connection to a real QBO sandbox company, from environment variables only.

Without them every live test is skipped, with the reason. With them (``make live-test``):

    SYNC_LIVE_QBO_CLIENT_ID, SYNC_LIVE_QBO_CLIENT_SECRET   the Intuit app's development keys
    SYNC_LIVE_QBO_REALM_ID                                 the sandbox company's realm id
    SYNC_LIVE_QBO_REFRESH_TOKEN_FILE                       a file holding a refresh token;
                                                           the rotated token is written back
    SYNC_LIVE_QBO_BASE_URL      default https://sandbox-quickbooks.api.intuit.com/v3
    SYNC_LIVE_QBO_DISCOVERY_URL default Intuit's sandbox OpenID discovery document
    SYNC_LIVE_RECORD            where the answers go (default out/live/qbo-live-answers.json)
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from shared.adapters.qbo_auth import QboTokens
from shared.adapters.qbo_gateway import QuickBooksGateway
from shared.adapters.qbo_json import dumps
from shared.config import Settings
from shared.ports import SecretStore
from tests.live.probes import parsed

REQUIRED = (
    "SYNC_LIVE_QBO_CLIENT_ID",
    "SYNC_LIVE_QBO_CLIENT_SECRET",
    "SYNC_LIVE_QBO_REALM_ID",
    "SYNC_LIVE_QBO_REFRESH_TOKEN_FILE",
)
SANDBOX = "https://sandbox-quickbooks.api.intuit.com/v3"
DISCOVERY = "https://developer.api.intuit.com/.well-known/openid_sandbox_configuration"
JsonDict = dict[str, Any]


class TokenFileStore:
    """The app's keys from the environment; the refresh token in the developer's own file,
    rewritten when Intuit rotates it (never printed, never in the repository)."""

    def __init__(self, token_file: Path) -> None:
        self.token_file = token_file
        self.values = {
            "qbo-client-id": os.environ["SYNC_LIVE_QBO_CLIENT_ID"],
            "qbo-client-secret": os.environ["SYNC_LIVE_QBO_CLIENT_SECRET"],
        }

    def get(self, name: str) -> str:
        if name == "qbo-refresh-token":
            return self.token_file.read_text(encoding="utf-8").strip()
        return self.values[name]

    def put(self, name: str, value: str) -> None:
        if name == "qbo-refresh-token":
            self.token_file.write_text(value + "\n", encoding="utf-8")


@dataclass
class Sandbox:
    settings: Settings
    secrets: SecretStore
    gateway: QuickBooksGateway
    record: Path


class RealRaw:
    """The sandbox's v3 API through plain requests (the probes send wrong forms on purpose)."""

    def __init__(self, sandbox: Sandbox) -> None:
        s = sandbox.settings
        self.base = f"{s.qbo_base_url.rstrip('/')}/company/{s.qbo_realm_id}"
        self.tokens: QboTokens = sandbox.gateway.tokens
        self.session = requests.Session()

    def send(
        self, method: str, path: str, body: JsonDict | None = None, **params: str
    ) -> tuple[int, JsonDict]:
        headers = {
            "Authorization": f"Bearer {self.tokens.access_token()}",
            "Accept": "application/json",
            "Content-Type": "application/json",
        }
        response = self.session.request(
            method,
            f"{self.base}/{path}",
            params={**params, "minorversion": "75"},
            data=None if body is None else dumps(body),
            headers=headers,
            timeout=60,
        )
        return response.status_code, parsed(response.content)


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Sandbox]:
    missing = [name for name in REQUIRED if not os.environ.get(name)]
    if missing:
        pytest.skip(
            "live QBO suite: no sandbox credentials (set " + ", ".join(missing) + "; "
            "see README, 'The live suite')"
        )
    settings = Settings(
        qbo_base_url=os.environ.get("SYNC_LIVE_QBO_BASE_URL", SANDBOX),
        qbo_discovery_url=os.environ.get("SYNC_LIVE_QBO_DISCOVERY_URL", DISCOVERY),
        qbo_realm_id=os.environ["SYNC_LIVE_QBO_REALM_ID"],
    )
    secrets = TokenFileStore(Path(os.environ["SYNC_LIVE_QBO_REFRESH_TOKEN_FILE"]))
    record = Path(os.environ.get("SYNC_LIVE_RECORD", "out/live/qbo-live-answers.json"))
    yield Sandbox(settings, secrets, QuickBooksGateway(settings, secrets), record)
