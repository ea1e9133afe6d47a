"""Local secret stores: in memory, or a JSON file with environment overrides."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Mapping
from pathlib import Path

from shared.errors import NotFoundError


def _env_name(name: str) -> str:
    return "SYNC_SECRET_" + name.upper().replace("-", "_")


class InMemorySecretStore:
    """Keeps every version, like Secret Manager; ``get`` returns the newest."""

    def __init__(self, initial: Mapping[str, str] | None = None) -> None:
        self._versions: dict[str, list[str]] = {k: [v] for k, v in (initial or {}).items()}
        self._lock = threading.Lock()

    def get(self, name: str) -> str:
        with self._lock:
            versions = self._versions.get(name)
            if not versions:
                raise NotFoundError(f"secret {name!r} has no version", code="secret_not_found")
            return versions[-1]

    def refresh(self, name: str) -> str:
        return self.get(name)

    def put(self, name: str, value: str) -> None:
        with self._lock:
            self._versions.setdefault(name, []).append(value)

    def version_count(self, name: str) -> int:
        with self._lock:
            return len(self._versions.get(name, []))


class FileSecretStore:
    """A JSON object file; ``SYNC_SECRET_<NAME>`` in the environment wins over the file."""

    def __init__(self, path: Path, defaults: Mapping[str, str] | None = None) -> None:
        self._path = path
        self._defaults = dict(defaults or {})
        self._lock = threading.Lock()

    def _read(self) -> dict[str, str]:
        if not self._path.exists():
            return {}
        data = json.loads(self._path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise NotFoundError(f"{self._path.name} is not a JSON object", code="secret_file")
        return {str(k): str(v) for k, v in data.items()}

    def get(self, name: str) -> str:
        from_env = os.environ.get(_env_name(name))
        if from_env is not None:
            return from_env
        with self._lock:
            stored = self._read()
        if name in stored:
            return stored[name]
        if name in self._defaults:
            return self._defaults[name]
        raise NotFoundError(
            f"secret {name!r} is not set: add it to {self._path.name} or set {_env_name(name)}",
            code="secret_not_found",
        )

    def refresh(self, name: str) -> str:
        return self.get(name)  # the file is read on every get: nothing cached

    def put(self, name: str, value: str) -> None:
        with self._lock:
            stored = self._read()
            stored[name] = value
            self._path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self._path.with_suffix(".tmp")
            tmp.write_text(json.dumps(stored, indent=2, sort_keys=True), encoding="utf-8")
            tmp.replace(self._path)
