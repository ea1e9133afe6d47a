"""The Stripe client both Stripe adapters share, and the one translation of stripe errors."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import stripe

from shared.config import Settings
from shared.errors import (
    AuthenticationError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    SyncError,
    ThrottledError,
    UpstreamUnavailableError,
    ValidationFailedError,
)
from shared.ports import JsonDict, SecretStore

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")


class CountingRequestsClient(stripe.RequestsClient):
    """stripe's requests-based HTTP client, counting the requests it sends (run counts)."""

    def __init__(self, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self.sent = 0
        self._count_lock = threading.Lock()

    def request(self, *args: Any, **kwargs: Any) -> Any:
        with self._count_lock:
            self.sent += 1
        return super().request(*args, **kwargs)


class StripeClientFactory:
    """Builds one StripeClient on first use (key from the SecretStore) and keeps it.

    The client keeps a requests session per thread, so connections are reused. Retries belong
    to Cloud Tasks by default (``max_network_retries=0``): the task's backoff is the retry.
    """

    def __init__(
        self,
        settings: Settings,
        secrets: SecretStore,
        *,
        key_name: str | None = None,
        max_network_retries: int = 0,
        timeout_seconds: float = 30.0,
    ) -> None:
        self._key_name = key_name or settings.stripe_secret_key_name
        self._settings = settings
        self._secrets = secrets
        self._max_network_retries = max_network_retries
        self._timeout_seconds = timeout_seconds
        self._client: stripe.StripeClient | None = None
        self._lock = threading.Lock()
        self.http = CountingRequestsClient(timeout_seconds)

    def get(self) -> stripe.StripeClient:
        with self._lock:
            if self._client is None:
                self._client = self._build()
            return self._client

    def _build(self) -> stripe.StripeClient:
        api_key = self._secrets.get(self._key_name)
        base = self._settings.stripe_api_base.rstrip("/")
        return stripe.StripeClient(
            api_key,
            stripe_version=self._settings.stripe_api_version,
            base_addresses={"api": base, "connect": base, "files": base},
            max_network_retries=self._max_network_retries,
            http_client=self.http,
            # A connected account's tenant: every request on its behalf (Stripe Connect).
            stripe_account=self._settings.stripe_account or None,
        )


class StripeAdapter:
    """Base of the Stripe adapters: one lazily built client per adapter instance, with the key
    of the setting ``key_setting`` names (each adapter its own key: least privilege)."""

    key_setting = "stripe_secret_key_name"

    def __init__(
        self,
        settings: Settings,
        secrets: SecretStore,
        *,
        max_network_retries: int = 0,
        timeout_seconds: float = 30.0,
    ) -> None:
        self._clients = StripeClientFactory(
            settings,
            secrets,
            key_name=str(getattr(settings, self.key_setting)),
            max_network_retries=max_network_retries,
            timeout_seconds=timeout_seconds,
        )

    @property
    def _v1(self) -> Any:
        return self._clients.get().v1

    @property
    def requests_sent(self) -> int:
        """HTTP requests sent to Stripe so far (retries included)."""
        return self._clients.http.sent


def to_plain(value: Any) -> Any:
    """A StripeObject (or list of them) as plain dicts and lists, all the way down."""
    if isinstance(value, stripe.StripeObject):
        return value.to_dict(recursive=True, for_json=True)
    if isinstance(value, list):
        return [to_plain(v) for v in value]
    return value


def to_dict(value: Any) -> JsonDict:
    plain = to_plain(value)
    if not isinstance(plain, dict):
        raise ValidationFailedError("Stripe answered with something that is not an object")
    return plain


def _scrub(message: str | None) -> str:
    return _EMAIL.sub("<email>", message or "")[:300]


def _retry_after(error: stripe.StripeError) -> float | None:
    value = (error.headers or {}).get("retry-after") or (error.headers or {}).get("Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def translate(error: stripe.StripeError, operation: str) -> SyncError:  # noqa: PLR0911
    """Our error for a stripe one; messages hold ids and codes, never keys or emails."""
    status = error.http_status
    where = f"Stripe {operation}"
    if isinstance(error, stripe.RateLimitError):
        return ThrottledError(
            f"{where}: rate limited",
            code="stripe_rate_limit",
            retry_after_seconds=_retry_after(error),
        )
    if isinstance(error, stripe.APIConnectionError):
        return UpstreamUnavailableError(f"{where}: connection failed", code="stripe_connection")
    if isinstance(error, stripe.AuthenticationError):
        return AuthenticationError(f"{where}: API key refused (401)", code="stripe_auth")
    if isinstance(error, stripe.PermissionError):
        return PermissionDeniedError(f"{where}: permission denied (403)", code="stripe_permission")
    if isinstance(error, stripe.InvalidRequestError) and (
        status == 404 or error.code == "resource_missing"
    ):
        return NotFoundError(f"{where}: {_scrub(error.user_message)}", code="resource_missing")
    if isinstance(error, stripe.IdempotencyError):
        return ValidationFailedError(
            f"{where}: idempotency key reused with other parameters", code="stripe_idempotency"
        )
    if status is not None and status >= 500:
        return UpstreamUnavailableError(f"{where}: HTTP {status}", code=f"stripe_{status}")
    if status == 409:
        return ConflictError(f"{where}: conflict (409)", code="stripe_409")
    if isinstance(error, stripe.InvalidRequestError | stripe.CardError):
        code = error.code or "invalid_request"
        param = f" [{error.param}]" if error.param else ""
        return ValidationFailedError(f"{where}: {_scrub(error.user_message)}{param}", code=code)
    if status is None:
        return UpstreamUnavailableError(f"{where}: no HTTP answer", code="stripe_unknown")
    return ValidationFailedError(f"{where}: HTTP {status}", code=f"stripe_{status}")


@contextmanager
def stripe_errors(operation: str) -> Iterator[None]:
    """Run a Stripe call; any stripe error leaves as the matching shared.errors error."""
    try:
        yield
    except stripe.StripeError as error:
        raise translate(error, operation) from error
