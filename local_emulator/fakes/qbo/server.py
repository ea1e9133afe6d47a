"""FakeQboServer: the fake QBO app on 127.0.0.1 in a background thread (werkzeug, threaded)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Self

from local_emulator.fakes.qbo.app import DISCOVERY_PATH, FakeQboApp
from local_emulator.fakes.qbo.books import JsonDict
from local_emulator.fakes.qbo.engine import FakeQbo
from local_emulator.fakes.serving import LocalServer


class FakeQboServer(LocalServer):
    """Serve a FakeQbo over HTTP; ``base_url`` is what python-quickbooks' api_url_v3 wants."""

    def __init__(
        self,
        fake: FakeQbo | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        others: Sequence[FakeQbo] = (),
    ) -> None:
        self.fake = fake or FakeQbo()
        self.qbo_app = FakeQboApp(self.fake, others=others)
        super().__init__(self.qbo_app, name="fake-qbo", host=host, port=port)

    @property
    def base_url(self) -> str:
        return self.root_url + "/v3"

    @property
    def discovery_url(self) -> str:
        return self.root_url + DISCOVERY_PATH

    @property
    def realm_id(self) -> str:
        return self.fake.realm_id

    def start(self) -> Self:
        super().start()
        self.qbo_app.public_url = self.root_url
        return self

    # --- conveniences over the FakeQbo ------------------------------------------------------

    def register_client(
        self, client_id: str, client_secret: str, refresh_token: str | None = None
    ) -> str:
        return self.fake.register_client(client_id, client_secret, refresh_token)

    def revoke_tokens(self) -> None:
        self.fake.revoke_tokens()

    def state_json(self) -> dict[str, list[JsonDict]]:
        return self.fake.state_json()

    def request_counts(self) -> dict[str, int]:
        return self.fake.request_counts()
