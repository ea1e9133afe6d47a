"""Serve a FakeStripe over HTTP on 127.0.0.1 in a background thread."""

from __future__ import annotations

from collections.abc import Mapping

from local_emulator.fakes.serving import LocalServer

from .app import FakeStripeApp
from .state import FakeStripe


class FakeStripeServer(LocalServer):
    """Serves ``fake``; use ``base_url`` as the stripe client's ``base_addresses["api"]``."""

    def __init__(
        self,
        fake: FakeStripe | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        accounts: Mapping[str, FakeStripe] | None = None,
    ):
        self.fake = fake or FakeStripe()
        self.app = FakeStripeApp(self.fake, accounts)
        super().__init__(self.app, name="fake-stripe", host=host, port=port)

    @property
    def base_url(self) -> str:
        return self.root_url
