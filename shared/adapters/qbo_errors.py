"""Translate python-quickbooks / intuitlib / requests exceptions into shared.errors, by QBO code."""

from __future__ import annotations

import requests
from intuitlib.exceptions import AuthClientError
from quickbooks.exceptions import QuickbooksException

from shared.errors import (
    AuthenticationError,
    DuplicateNameError,
    NotFoundError,
    StaleObjectError,
    SyncError,
    ThrottledError,
    UpstreamUnavailableError,
    ValidationFailedError,
)

THROTTLE_RETRY_AFTER_SECONDS = 60.0
# Codes whose Detail names fields and limits only (no customer data), so it may be logged and
# stored. Not 2010, 4000 or 4001: their Detail echoes what was submitted ("Property Name:... is
# unsupported or invalid: <value>", "QueryValidationError: value 0 is too small", the query text
# with a DisplayName in it), and what is submitted can be a customer's name or email.
_SAFE_DETAIL_CODES = frozenset({2020, 2050, 2070, 2500, 6070})
_AUTH_CODES = frozenset({100, 120, 401, 3100, 3200})
RECONNECT_HINT = (
    "a person must reconnect the QuickBooks app (OAuth consent for this company) and store the "
    "new refresh token in Secret Manager"
)


class ThrottleAnswer(Exception):  # noqa: N818 - an answer, raised inside the adapter only
    """QBO throttled the request, in whichever form: HTTP 429 (its body is XML, which
    python-quickbooks cannot read), or the older HTTP 403 whose Fault says ThrottleExceeded
    (quickbooks-ruby spec/fixtures too_many_requests_error.xml, throttle_exceeded_error.xml)."""

    def __init__(self, status: int, retry_after_seconds: float) -> None:
        super().__init__(f"QBO throttled the request (HTTP {status})")
        self.status = status
        self.retry_after_seconds = retry_after_seconds


def throttle_answer(status: int, body: bytes, retry_after: str | None) -> ThrottleAnswer | None:
    """The throttle in an HTTP answer, or None. A 403 is a throttle only when it says so: any
    other 403 is an authorization failure."""
    if status == 429 or (status == 403 and b"ThrottleExceeded" in body):
        try:
            wait = float(retry_after) if retry_after else THROTTLE_RETRY_AFTER_SECONDS
        except ValueError:
            wait = THROTTLE_RETRY_AFTER_SECONDS
        return ThrottleAnswer(status, max(wait, 1.0))
    return None


def translate_throttle(exc: ThrottleAnswer, what: str) -> SyncError:
    return ThrottledError(
        f"QBO {what} failed: 3001 ThrottleExceeded (HTTP {exc.status})",
        code="3001",
        retry_after_seconds=exc.retry_after_seconds,
    )


def error_code(exc: QuickbooksException) -> int:
    try:
        return int(exc.error_code)
    except (TypeError, ValueError):
        return 0


def _describe(exc: QuickbooksException, code: int, what: str) -> str:
    message = str(exc.message or "").splitlines()[0][:200] if exc.message else ""
    if code == 10000 and message.startswith("Error "):
        message = "unexpected response"  # python-quickbooks puts the whole body in this one
    text = f"QBO {what} failed: {code} {message}".rstrip()
    if code in _SAFE_DETAIL_CODES and exc.detail:
        text += f" ({str(exc.detail)[:200]})"
    return text


def translate_quickbooks(exc: QuickbooksException, what: str) -> SyncError:  # noqa: PLR0911
    """Dispatch on the QBO error code, not the class: python-quickbooks' classes follow code
    ranges (a 429/3001 arrives as ValidationException, a 6240 as a plain QuickbooksException)."""
    code = error_code(exc)
    text = _describe(exc, code, what)
    if code in (3001, 429) or "ThrottleExceeded" in str(exc.message):
        return ThrottledError(text, code="3001", retry_after_seconds=THROTTLE_RETRY_AFTER_SECONDS)
    if code == 5010:
        return StaleObjectError(text)
    if code == 6240:
        return DuplicateNameError(text)
    if code == 610:
        return NotFoundError(text, code="610")
    if code in _AUTH_CODES:
        return AuthenticationError(f"{text}; {RECONNECT_HINT}", code=str(code))
    if code >= 10000 or code == 0:
        return UpstreamUnavailableError(text, code=str(code or "unknown"))
    return ValidationFailedError(text, code=str(code))


def translate_transport(exc: requests.RequestException, what: str) -> SyncError:
    """Connection refused or reset, timeouts, a truncated body: all worth a retry."""
    kind = type(exc).__name__
    return UpstreamUnavailableError(f"QBO {what} failed: network error ({kind})", code="network")


def translate_auth(exc: AuthClientError, what: str) -> SyncError:
    status = int(getattr(exc, "status_code", 0) or 0)
    if status >= 500 or status == 429:
        return UpstreamUnavailableError(
            f"QBO {what} failed: the token endpoint answered HTTP {status}", code=str(status)
        )
    return AuthenticationError(
        f"QBO {what} failed: Intuit refused the refresh token (HTTP {status}); {RECONNECT_HINT}",
        code="invalid_grant",
    )
