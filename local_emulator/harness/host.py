"""Serves every function module on one local port, each under /<name>, as Cloud Run would."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import functions_framework
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.wrappers import Response

from local_emulator.fakes.serving import LocalServer

FUNCTIONS_DIR = Path(__file__).resolve().parents[2] / "functions"


def function_names(directory: Path = FUNCTIONS_DIR) -> list[str]:
    """Every deployable function: a module in functions/ defining a function of its own name."""
    names = []
    for path in sorted(directory.glob("*.py")):
        if path.stem.startswith("_"):
            continue
        if f"def {path.stem}(" in path.read_text(encoding="utf-8"):
            names.append(path.stem)
    return names


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


class FunctionHost(LocalServer):
    """The functions on 127.0.0.1 in a background thread; ``url_for(name)`` gives each URL."""

    def __init__(self, port: int = 0, names: list[str] | None = None) -> None:
        super().__init__(build_host_app(names), name="function-host", port=port)

    @property
    def base_url(self) -> str:
        return self.root_url

    def url_for(self, name: str) -> str:
        return f"{self.base_url}/{name}"
