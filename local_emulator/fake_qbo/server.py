"""FakeQboServer: the fake QBO app on 127.0.0.1 in a background thread (werkzeug, threaded)."""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from local_emulator.fake_qbo.app import DISCOVERY_PATH, FakeQboApp
from local_emulator.fake_qbo.books import JsonDict
from local_emulator.fake_qbo.engine import FakeQbo


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """No access log: request lines carry ids the fake's callers did not ask to print."""

    def log(self, type: str, message: str, *args: Any) -> None:
        if type == "error":
            super().log(type, message, *args)


class FakeQboServer:
    """Serve a FakeQbo over HTTP; ``base_url`` is what python-quickbooks' api_url_v3 wants."""

    def __init__(self, fake: FakeQbo | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.fake = fake or FakeQbo()
        self.app = FakeQboApp(self.fake)
        self._host = host
        self._port = port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def root_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the fake QBO server is not started")
        return f"http://{self._host}:{self._server.server_port}"

    @property
    def base_url(self) -> str:
        return self.root_url + "/v3"

    @property
    def discovery_url(self) -> str:
        return self.root_url + DISCOVERY_PATH

    @property
    def realm_id(self) -> str:
        return self.fake.realm_id

    def start(self) -> FakeQboServer:
        if self._server is not None:
            return self
        server = make_server(
            self._host, self._port, self.app, threaded=True, request_handler=_QuietHandler
        )
        self._server = server
        self.app.public_url = self.root_url
        self._thread = threading.Thread(
            target=server.serve_forever, name="fake-qbo", kwargs={"poll_interval": 0.05}
        )
        self._thread.daemon = True
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> FakeQboServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

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
