"""SecretStore on Google Secret Manager, with a per-instance cache of the latest versions."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

import google_crc32c
from google.api_core import exceptions as gexc
from google.api_core import retry as gretry

from shared.errors import (
    AuthenticationError,
    NotFoundError,
    PermanentError,
    SyncError,
    ThrottledError,
    UpstreamUnavailableError,
)

if TYPE_CHECKING:
    from shared.config import Settings


DEFAULT_CACHE_TTL_SECONDS = 300.0


def crc32c(data: bytes) -> int:
    """CRC32C as Secret Manager's ``data_crc32c`` carries it."""
    return int(google_crc32c.value(data))


class SecretManagerStore:
    """Reads ``versions/latest`` and keeps it ``cache_ttl_seconds`` per instance (a rolled
    webhook secret or a rotated refresh token reaches warm instances by then); ``refresh`` reads
    at once, for a caller whose cached value was just refused; ``put`` adds a version.
    """

    def __init__(
        self,
        *,
        project: str,
        timeout_seconds: float = 10.0,
        retry_deadline_seconds: float = 10.0,
        cache_ttl_seconds: float | None = DEFAULT_CACHE_TTL_SECONDS,
        client: Any | None = None,
    ) -> None:
        self._project = project
        self._timeout = timeout_seconds
        self._retry: gretry.Retry | None = None
        if retry_deadline_seconds > 0:
            self._retry = gretry.Retry(
                initial=0.2,
                maximum=2.0,
                multiplier=2.0,
                predicate=gretry.if_exception_type(gexc.ServiceUnavailable, gexc.ResourceExhausted),
                timeout=retry_deadline_seconds,
            )
        self._ttl = cache_ttl_seconds
        self._client = client
        self._client_lock = threading.Lock()
        self._cache: dict[str, tuple[str, float]] = {}
        self._cache_lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings, client: Any | None = None) -> SecretManagerStore:
        return cls(
            project=settings.gcp_project,
            cache_ttl_seconds=settings.secret_cache_seconds,
            client=client,
        )

    def _get_client(self) -> Any:
        with self._client_lock:
            if self._client is None:
                from google.cloud import secretmanager

                self._client = secretmanager.SecretManagerServiceClient()
            return self._client

    def secret_path(self, name: str) -> str:
        return f"projects/{self._project}/secrets/{name}"

    def get(self, name: str) -> str:
        with self._cache_lock:
            cached = self._cache.get(name)
        if cached is not None and (self._ttl is None or time.monotonic() - cached[1] < self._ttl):
            return cached[0]
        value = self._access(name)
        self._remember(name, value)
        return value

    def refresh(self, name: str) -> str:
        value = self._access(name)
        self._remember(name, value)
        return value

    def put(self, name: str, value: str) -> None:
        data = value.encode("utf-8")
        try:
            self._get_client().add_secret_version(
                request={
                    "parent": self.secret_path(name),
                    "payload": {"data": data, "data_crc32c": crc32c(data)},
                },
                retry=self._retry,
                timeout=self._timeout,
            )
        except (gexc.GoogleAPICallError, gexc.RetryError) as exc:
            raise _translate(exc, name, "AddSecretVersion") from None
        self._remember(name, value)

    def invalidate(self, name: str) -> None:
        """Forget the cached value so the next ``get`` reads Secret Manager again."""
        with self._cache_lock:
            self._cache.pop(name, None)

    def _remember(self, name: str, value: str) -> None:
        with self._cache_lock:
            self._cache[name] = (value, time.monotonic())

    def _access(self, name: str) -> str:
        try:
            response = self._get_client().access_secret_version(
                request={"name": f"{self.secret_path(name)}/versions/latest"},
                retry=self._retry,
                timeout=self._timeout,
            )
        except (gexc.GoogleAPICallError, gexc.RetryError) as exc:
            # ``from None``: the gRPC error text is ours to choose, never chained into logs.
            raise _translate(exc, name, "AccessSecretVersion") from None
        data: bytes = response.payload.data
        if "data_crc32c" in response.payload and crc32c(data) != response.payload.data_crc32c:
            raise UpstreamUnavailableError(
                f"secret {name!r}: checksum mismatch on read", code="secret_corrupt"
            )
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise PermanentError(
                f"secret {name!r} is not UTF-8 text", code="secret_not_text"
            ) from None


def _translate(exc: Exception, name: str, method: str) -> SyncError:
    """Our error for a Secret Manager failure; the message names the secret, never its value."""
    kind = type(exc).__name__
    if isinstance(exc, gexc.NotFound | gexc.FailedPrecondition):
        return NotFoundError(
            f"secret {name!r} or an enabled version of it does not exist ({method})",
            code="secret_not_found",
        )
    if isinstance(exc, gexc.PermissionDenied | gexc.Unauthenticated | gexc.Unauthorized):
        return AuthenticationError(
            f"{method} on secret {name!r} refused ({kind}): "
            "check roles/secretmanager.secretAccessor and secretVersionAdder",
            code="secret_permission_denied",
        )
    if isinstance(exc, gexc.ResourceExhausted | gexc.TooManyRequests):
        return ThrottledError(f"{method} on secret {name!r} throttled", code="secret_throttled")
    if isinstance(exc, gexc.RetryError) or (
        isinstance(exc, gexc.GoogleAPICallError) and (not exc.code or int(exc.code) >= 500)
    ):
        return UpstreamUnavailableError(
            f"{method} on secret {name!r} failed ({kind})", code="secret_unavailable"
        )
    return PermanentError(f"{method} on secret {name!r} failed ({kind})", code="secret_error")
