"""The fake Intuit OAuth 2.0 authority: clients, rotating refresh tokens, access tokens."""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass

from shared.ports import Clock

ACCESS_TOKEN_SECONDS = 3600
REFRESH_TOKEN_SECONDS = 8_726_400  # 101 days, as Intuit reports in x_refresh_token_expires_in


class OAuthError(Exception):
    """An OAuth error response: ``{"error": code}`` with an HTTP status."""

    def __init__(self, error: str, status: int = 400) -> None:
        super().__init__(error)
        self.error = error
        self.status = status


@dataclass
class _Refresh:
    client_id: str
    grant: int
    expires_at: float
    superseded_at: float | None = None


@dataclass
class _Access:
    client_id: str
    grant: int
    expires_at: float


class TokenAuthority:
    """Every refresh rotates the refresh token; the old one lives on for ``grace_seconds``."""

    def __init__(self, clock: Clock, grace_seconds: float = 120.0) -> None:
        self._clock = clock
        self.grace_seconds = grace_seconds
        # Intuit hands back the same refresh token for about a day, then a new one; the fake
        # rotates on every refresh unless told not to.
        self.rotate = True
        self._clients: dict[str, str] = {}
        self._refresh: dict[str, _Refresh] = {}
        self._access: dict[str, _Access] = {}
        self._revoked_grants: set[int] = set()
        self._next_grant = 1
        self._lock = threading.Lock()

    def _now(self) -> float:
        return self._clock.now().timestamp()

    def register_client(self, client_id: str, client_secret: str) -> None:
        with self._lock:
            self._clients[client_id] = client_secret

    def issue_refresh_token(self, client_id: str, token: str | None = None) -> str:
        """Start a grant (what the consent screen would do) and return its refresh token."""
        with self._lock:
            if client_id not in self._clients:
                raise KeyError(f"unknown client {client_id!r}")
            value = token or "RT1-" + secrets.token_urlsafe(24)
            grant = self._next_grant
            self._next_grant += 1
            self._refresh[value] = _Refresh(client_id, grant, self._now() + REFRESH_TOKEN_SECONDS)
            return value

    def check_client(self, client_id: str, client_secret: str) -> None:
        with self._lock:
            if self._clients.get(client_id) != client_secret or not client_id:
                raise OAuthError("invalid_client", status=401)

    def refresh(self, client_id: str, refresh_token: str) -> dict[str, object]:
        now = self._now()
        with self._lock:
            record = self._refresh.get(refresh_token)
            if (
                record is None
                or record.client_id != client_id
                or record.grant in self._revoked_grants
                or record.expires_at <= now
                or (
                    record.superseded_at is not None
                    and record.superseded_at + self.grace_seconds <= now
                )
            ):
                raise OAuthError("invalid_grant")
            if self.rotate:
                if record.superseded_at is None:
                    record.superseded_at = now
                new_refresh = "RT1-" + secrets.token_urlsafe(24)
                self._refresh[new_refresh] = _Refresh(
                    client_id, record.grant, now + REFRESH_TOKEN_SECONDS
                )
            else:
                new_refresh = refresh_token
            access = "eyJ-fake-" + secrets.token_urlsafe(32)
            self._access[access] = _Access(client_id, record.grant, now + ACCESS_TOKEN_SECONDS)
            return {
                "token_type": "bearer",
                "access_token": access,
                "expires_in": ACCESS_TOKEN_SECONDS,
                "refresh_token": new_refresh,
                "x_refresh_token_expires_in": REFRESH_TOKEN_SECONDS,
            }

    def revoke(self, token: str) -> None:
        """Revoke the whole grant a refresh or access token belongs to (as Intuit does)."""
        with self._lock:
            record: _Refresh | _Access | None = self._refresh.get(token) or self._access.get(token)
            if record is not None:
                self._revoked_grants.add(record.grant)

    def revoke_all(self) -> None:
        with self._lock:
            self._revoked_grants.update(r.grant for r in self._refresh.values())

    def expire_access_tokens(self) -> None:
        """Make every access token expired now (exercises the 401-refresh-retry path)."""
        with self._lock:
            for record in self._access.values():
                record.expires_at = 0.0

    def knows(self, refresh_token: str) -> bool:
        """Whether this company's grants ever issued the refresh token (a realm per grant)."""
        with self._lock:
            return refresh_token in self._refresh

    def client_of(self, token: str) -> str:
        """The app (client id) an access token was issued to; "" if unknown."""
        with self._lock:
            record = self._access.get(token)
            return record.client_id if record is not None else ""

    def access_valid(self, token: str) -> bool:
        now = self._now()
        with self._lock:
            record = self._access.get(token)
            return (
                record is not None
                and record.expires_at > now
                and record.grant not in self._revoked_grants
            )
