"""An in-process gRPC fake of google.cloud.secretmanager.v1.SecretManagerService (a subset)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import google_crc32c
import grpc
from google.cloud.secretmanager_v1 import types

from tests.contract.grpc_fake import GrpcFake, Handler

_MAX_PAYLOAD_BYTES = 64 * 1024
_VERSION_NAME = re.compile(r"(projects/[^/]+/secrets/[^/]+)/versions/(latest|[1-9][0-9]*)")
State = types.SecretVersion.State


def crc32c(data: bytes) -> int:
    return int(google_crc32c.value(data))


@dataclass
class _Version:
    data: bytes
    state: State
    created: datetime


class FakeSecretManager(GrpcFake):
    """Secrets with numbered versions; ``latest`` is the newest version, as in the real service."""

    service_name = "google.cloud.secretmanager.v1.SecretManagerService"

    def __init__(self, project: str) -> None:
        super().__init__()
        self.project = project
        self.secrets: dict[str, list[_Version]] = {}

    def create_secret(self, secret_id: str, *values: str) -> None:
        """Set-up helper: a secret (as Terraform creates it) with optional initial versions."""
        with self.lock:
            versions = self.secrets.setdefault(f"projects/{self.project}/secrets/{secret_id}", [])
            now = datetime.now(UTC)
            versions.extend(_Version(v.encode(), State.ENABLED, now) for v in values)

    def disable(self, secret_id: str, version: int) -> None:
        with self.lock:
            self.secrets[f"projects/{self.project}/secrets/{secret_id}"][
                version - 1
            ].state = State.DISABLED

    def values(self, secret_id: str) -> list[str]:
        with self.lock:
            versions = self.secrets[f"projects/{self.project}/secrets/{secret_id}"]
            return [v.data.decode() for v in versions]

    def methods(self) -> dict[str, tuple[Handler, Any, Any]]:
        return {
            "GetSecret": (
                self._get_secret,
                types.GetSecretRequest.deserialize,
                types.Secret.serialize,
            ),
            "AccessSecretVersion": (
                self._access,
                types.AccessSecretVersionRequest.deserialize,
                types.AccessSecretVersionResponse.serialize,
            ),
            "AddSecretVersion": (
                self._add,
                types.AddSecretVersionRequest.deserialize,
                types.SecretVersion.serialize,
            ),
        }

    def _get_secret(self, request: types.GetSecretRequest, context: grpc.ServicerContext) -> Any:
        with self.lock:
            if request.name not in self.secrets:
                context.abort(grpc.StatusCode.NOT_FOUND, f"Secret [{request.name}] not found.")
        return types.Secret(
            name=request.name,
            replication=types.Replication(automatic=types.Replication.Automatic()),
        )

    def _access(
        self, request: types.AccessSecretVersionRequest, context: grpc.ServicerContext
    ) -> Any:
        match = _VERSION_NAME.fullmatch(request.name)
        if match is None:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "Invalid resource field value.")
        secret, which = match.group(1), match.group(2)
        with self.lock:
            versions = self.secrets.get(secret)
            if versions is None:
                context.abort(grpc.StatusCode.NOT_FOUND, f"Secret [{secret}] not found.")
            number = len(versions) if which == "latest" else int(which)
            if not 1 <= number <= len(versions):
                context.abort(
                    grpc.StatusCode.NOT_FOUND, f"Secret Version [{request.name}] not found."
                )
            version = versions[number - 1]
            if version.state != State.ENABLED:
                context.abort(
                    grpc.StatusCode.FAILED_PRECONDITION,
                    f"Secret Version [{secret}/versions/{number}] is {version.state.name}.",
                )
            data = version.data
        return types.AccessSecretVersionResponse(
            name=f"{secret}/versions/{number}",
            payload=types.SecretPayload(data=data, data_crc32c=crc32c(data)),
        )

    def _add(self, request: types.AddSecretVersionRequest, context: grpc.ServicerContext) -> Any:
        data = request.payload.data
        if len(data) > _MAX_PAYLOAD_BYTES:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "Secret payload too large.")
        if "data_crc32c" in request.payload and request.payload.data_crc32c != crc32c(data):
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "Checksum mismatch.")
        now = datetime.now(UTC)
        with self.lock:
            versions = self.secrets.get(request.parent)
            if versions is None:
                context.abort(grpc.StatusCode.NOT_FOUND, f"Secret [{request.parent}] not found.")
            versions.append(_Version(data, State.ENABLED, now))
            number = len(versions)
        return types.SecretVersion(
            name=f"{request.parent}/versions/{number}", state=State.ENABLED, create_time=now
        )
