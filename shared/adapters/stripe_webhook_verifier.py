"""WebhookVerifier: Stripe's documented signature scheme, checked with hmac alone.

The scheme (``t=<unix>,v1=<hex>[,v1=…]``, HMAC-SHA256 over ``"<t>.<raw body>"``, any v1 may
match, other schemes ignored, timestamp at most ``tolerance`` seconds old) is small enough to
check without importing the stripe package, which the webhook would otherwise load at every cold
start only for this. A test holds this verdict equal to ``stripe.WebhookSignature``'s.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from shared.errors import InvalidSignatureError

if TYPE_CHECKING:
    from shared.config import Settings

DEFAULT_TOLERANCE_SECONDS = 300
SCHEME = "v1"


class StripeWebhookVerifier:
    """Checks ``Stripe-Signature`` on the raw body; the timestamp must be within tolerance."""

    def __init__(
        self,
        tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS,
        now: Callable[[], float] = time.time,
    ) -> None:
        self._tolerance = tolerance_seconds
        self._now = now

    @classmethod
    def from_settings(cls, settings: Settings) -> StripeWebhookVerifier:
        return cls(settings.webhook_tolerance_seconds)

    def verify(self, payload: bytes, signature_header: str, secret: str) -> None:
        header = signature_header or ""
        if not header.strip():
            raise InvalidSignatureError(
                "Stripe-Signature header is missing", code="signature_missing"
            )
        if not secret:
            raise InvalidSignatureError("the webhook secret is empty", code="secret_missing")
        try:
            payload.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidSignatureError("body is not UTF-8", code="body_not_utf8") from None
        timestamp, signatures = _parse(header)
        if timestamp is None:
            raise InvalidSignatureError(
                "Stripe-Signature header is malformed (needs t=<timestamp> and v1=<signature>)",
                code="signature_malformed",
            )
        if not signatures:
            raise InvalidSignatureError(
                "Stripe-Signature header has no v1 signature", code="signature_malformed"
            )
        expected = hmac.new(
            secret.encode("utf-8"), str(timestamp).encode() + b"." + payload, hashlib.sha256
        ).hexdigest()
        if not _any_matches(expected, signatures):
            raise InvalidSignatureError(
                "no Stripe-Signature v1 signature matched the body", code="signature_mismatch"
            )
        if self._tolerance and timestamp < self._now() - self._tolerance:
            raise InvalidSignatureError(
                "Stripe-Signature timestamp is outside the tolerance", code="signature_too_old"
            )


def _any_matches(expected: str, signatures: list[str]) -> bool:
    """In header order, as stripe-python checks; a non-ASCII one met first refuses the header."""
    for candidate in signatures:
        if not candidate.isascii():
            raise InvalidSignatureError(
                "Stripe-Signature header has a non-ASCII signature", code="signature_malformed"
            )
        if hmac.compare_digest(expected, candidate):
            return True
    return False


def _parse(header: str) -> tuple[int | None, list[str]]:
    """The first timestamp (None if absent or not an integer) and every v1 signature.

    Parsed as stripe-python does: items split on ``=`` at most twice, keys taken as they are.
    """
    items = [item.split("=", 2) for item in header.split(",")]
    try:
        # every t and v1 item must have a value, as stripe-python reads them all
        timestamps = [i[1] for i in items if i[0] == "t"]
        signatures = [i[1] for i in items if i[0] == SCHEME]
        timestamp = int(timestamps[0])
    except (IndexError, ValueError):
        return None, []
    return timestamp, signatures
