"""Serves every function module on one local port, each under /<name>, as Cloud Run would."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import functions_framework
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Response

FUNCTIONS_DIR = Path(__file__).resolve().parent.parent / "functions"


def function_names(directory: Path = FUNCTIONS_DIR) -> list[str]:
    """Every deployable function: a module in functions/ defining a function of its own name."""
    names = []
    for path in sorted(directory.glob("*.py")):
        if path.stem.startswith("_"):
            continue
        if f"def {path.stem}(" in path.read_text(encoding="utf-8"):
            names.append(path.stem)
    return names


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """One line per request would drown the demo's output; the functions log for themselves."""


def _not_found(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    response = Response("no such function\n", status=404, mimetype="text/plain")
    return response(environ, start_response)


def _at_root(app: Any) -> Any:
    """Cloud Run serves a function at its own root: ``/name`` reaches the app as ``/``."""

    def wsgi(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if not environ.get("PATH_INFO"):
            environ["PATH_INFO"] = "/"
        result: Iterable[bytes] = app(environ, start_response)
        return result

    return wsgi


def build_host_app(names: list[str] | None = None) -> DispatcherMiddleware:
    mounts = {
        f"/{name}": _at_root(
            functions_framework.create_app(  # type: ignore[no-untyped-call]
                target=name, source=str(FUNCTIONS_DIR / f"{name}.py")
            )
        )
        for name in (names if names is not None else function_names())
    }
    return DispatcherMiddleware(_not_found, mounts)


class FunctionHost:
    """The functions on 127.0.0.1 in a background thread; ``url_for(name)`` gives each URL."""

    def __init__(self, port: int = 0, names: list[str] | None = None) -> None:
        self._app = build_host_app(names)
        self._server: BaseWSGIServer = make_server(
            "127.0.0.1", port, self._app, threaded=True, request_handler=_QuietHandler
        )
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def url_for(self, name: str) -> str:
        return f"{self.base_url}/{name}"

    def start(self) -> FunctionHost:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FunctionHost:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
