"""Intuit OAuth for the QBO adapter: lazy access tokens, refresh-token rotation written back."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import requests
from intuitlib.client import AuthClient
from intuitlib.exceptions import AuthClientError
from requests.adapters import HTTPAdapter

from shared.adapters.qbo_errors import (
    RECONNECT_HINT,
    throttle_answer,
    translate_auth,
    translate_transport,
)
from shared.errors import (
    AuthenticationError,
    NotFoundError,
    SyncError,
    TransientError,
    UpstreamUnavailableError,
)
from shared.logging import get_logger, log_event
from shared.ports import Clock, SecretStore

_log = get_logger("qbo_auth")
# Refresh this long before the access token's stated expiry (clock skew, slow requests).
EXPIRY_MARGIN = timedelta(minutes=5)
# Seconds before each try of storing a rotated refresh token (about 7 s in all).
STORE_RETRY_DELAYS = (0.0, 0.5, 1.5, 5.0)
# Only used by the authorization-code flow, which this service never runs.
UNUSED_REDIRECT_URI = "https://localhost/qbo/oauth/callback"


class BearerSession(requests.Session):
    """The session python-quickbooks sends through: a swappable bearer token, pooled connections
    sized for the concurrency cap, and a default timeout (python-quickbooks passes none)."""

    def __init__(self, timeout_seconds: float, pool_size: int = 10) -> None:
        super().__init__()
        self.access_token = ""
        self.timeout_seconds = timeout_seconds
        adapter = HTTPAdapter(pool_connections=pool_size, pool_maxsize=pool_size)
        self.mount("http://", adapter)
        self.mount("https://", adapter)

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout_seconds
        response = super().request(method, url, *args, **kwargs)
        # A throttle is known by its HTTP status, before python-quickbooks reads the body
        # (an XML one would reach us as "Error reading json response", code 10000).
        throttled = throttle_answer(
            response.status_code, response.content, response.headers.get("Retry-After")
        )
        if throttled is not None:
            raise throttled
        return response


class _TimedAuthClient(AuthClient):  # type: ignore[misc]
    """intuitlib's AuthClient is a requests.Session that never passes a timeout; add one."""

    def __init__(self, timeout_seconds: float, *args: Any, **kwargs: Any) -> None:
        self.timeout_seconds = timeout_seconds  # set first: __init__ already fetches discovery
        super().__init__(*args, **kwargs)

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout_seconds
        return super().request(method, url, *args, **kwargs)


class QboTokens:
    """Holds the current access token; refreshes it lazily, and on demand after a 401.

    The refresh token lives in the SecretStore; every refresh may rotate it, and a new value is
    written back (only when it changed). Another instance may have rotated it first, so a refused
    token is retried once with the newest stored version before giving up.
    """

    def __init__(
        self,
        secrets: SecretStore,
        *,
        discovery_url: str,
        client_id_name: str,
        client_secret_name: str,
        refresh_token_name: str,
        clock: Clock,
        timeout_seconds: float = 60.0,
    ) -> None:
        self._secrets = secrets
        self._discovery_url = discovery_url
        self._names = (client_id_name, client_secret_name)
        self._refresh_name = refresh_token_name
        self._clock = clock
        self._timeout = timeout_seconds
        self._client: AuthClient | None = None
        self._access: str | None = None
        self._expires_at: datetime | None = None
        self._latest_refresh: str | None = None  # newest we were given, even if put() failed
        # Refresh tokens Intuit refused: never sent again, so a revoked connection costs one
        # call per instance, not one per task; a new version in the store is tried at once.
        self._refused: set[str] = set()
        self._lock = threading.RLock()
        self.refresh_count = 0

    def _secret(self, name: str) -> str:
        try:
            return self._secrets.get(name)
        except NotFoundError:
            raise AuthenticationError(
                f"QBO credential secret {name!r} is missing; {RECONNECT_HINT}", code="auth_config"
            ) from None

    @property
    def auth_client(self) -> AuthClient:
        with self._lock:
            if self._client is None:
                client_id, client_secret = (self._secret(n) for n in self._names)
                try:
                    client = _TimedAuthClient(
                        self._timeout,
                        client_id,
                        client_secret,
                        UNUSED_REDIRECT_URI,
                        environment=self._discovery_url,
                    )
                except AuthClientError as exc:
                    raise UpstreamUnavailableError(
                        f"Intuit discovery document unavailable (HTTP {exc.status_code})",
                        code="discovery",
                    ) from None
                except requests.RequestException as exc:
                    raise translate_transport(exc, "discovery") from None
                self._client = client
            return self._client

    def access_token(self) -> str:
        """A valid access token, refreshing first if there is none or it is about to expire."""
        with self._lock:
            expires_at = self._expires_at
            if (
                self._access is None
                or expires_at is None
                or self._clock.now() >= expires_at - EXPIRY_MARGIN
            ):
                return self.refresh()
            return self._access

    def refresh(self, stale: str | None = None) -> str:
        """Get a new access token. With ``stale``, skip if someone replaced that token already."""
        with self._lock:
            if stale is not None and self._access is not None and self._access != stale:
                return self._access
            client = self.auth_client
            tried: set[str] = set()
            for token in self._candidates():
                if token in tried or token in self._refused:
                    continue
                tried.add(token)
                try:
                    client.refresh(refresh_token=token)
                except AuthClientError as exc:
                    error = translate_auth(exc, "token refresh")
                    if isinstance(error, AuthenticationError):
                        self._refused.add(token)
                        continue  # maybe rotated elsewhere: try the next candidate
                    raise error from None
                except requests.RequestException as exc:
                    raise translate_transport(exc, "token refresh") from None
                return self._accept(client, token)
            if tried:  # once per refused token: loud, for the alert; later calls fail fast
                log_event(_log, logging.ERROR, "QBO refresh token refused; sync stopped until "
                          "a person reconnects QuickBooks", error_code="invalid_grant",
                          severity_hint="page")  # fmt: skip
            raise AuthenticationError(
                f"Intuit refused the QBO refresh token (invalid_grant: revoked, expired or "
                f"superseded); {RECONNECT_HINT} under secret {self._refresh_name!r}",
                code="invalid_grant",
            )

    def _candidates(self) -> Iterator[str]:
        """The stored token; after a refusal the stored one read again past any cache (another
        instance may have rotated it meanwhile); the newest one we were handed (in case writing
        it back failed)."""
        yield self._secret(self._refresh_name)
        try:
            fresh: str | None = self._secrets.refresh(self._refresh_name)
        except NotFoundError:
            fresh = None
        if fresh:
            yield fresh
        if self._latest_refresh:
            yield self._latest_refresh

    def _accept(self, client: AuthClient, used: str) -> str:
        access = client.access_token
        if not access:
            raise UpstreamUnavailableError("Intuit returned no access token", code="token")
        self.refresh_count += 1
        rotated = client.refresh_token
        if rotated and rotated != used:
            # Intuit may have retired ``used``: the new token must be stored before anything
            # uses the new access token, or an instance dying now would break the chain.
            self._latest_refresh = str(rotated)
            self._store_rotated(str(rotated))
        self._access = str(access)
        self._expires_at = self._clock.now() + timedelta(seconds=int(client.expires_in or 3600))
        return self._access

    def _store_rotated(self, token: str) -> None:
        """Add the rotated token as a new version, retrying; TransientError if it never lands
        (the token stays in memory as a candidate, and the task's retry stores it)."""
        last: SyncError | None = None
        for delay in STORE_RETRY_DELAYS:
            if delay:
                time.sleep(delay)
            try:
                self._secrets.put(self._refresh_name, token)
                return
            except TransientError as failed:
                last = failed
            except SyncError as failed:  # refused (permission): retrying will not help
                last = failed
                break
        log_event(_log, logging.ERROR, "rotated QBO refresh token not stored; kept in memory "
                  "and not used until it is", error_code=last.code if last else None,
                  severity_hint="page")  # fmt: skip
        raise UpstreamUnavailableError(
            f"the rotated QBO refresh token could not be stored under {self._refresh_name!r}",
            code="token_store",
        )
