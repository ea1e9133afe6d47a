"""WebhookVerifier with stripe's own signature check; imports only what verification needs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from stripe import SignatureVerificationError, WebhookSignature

from shared.errors import InvalidSignatureError

if TYPE_CHECKING:
    from shared.config import Settings

DEFAULT_TOLERANCE_SECONDS = 300


class StripeWebhookVerifier:
    """Checks ``Stripe-Signature`` on the raw body; the timestamp must be within tolerance."""

    def __init__(self, tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS) -> None:
        self._tolerance = tolerance_seconds

    @classmethod
    def from_settings(cls, settings: Settings) -> StripeWebhookVerifier:
        return cls(settings.webhook_tolerance_seconds)

    def verify(self, payload: bytes, signature_header: str, secret: str) -> None:
        header = (signature_header or "").strip()
        if not header:
            raise InvalidSignatureError(
                "Stripe-Signature header is missing", code="signature_missing"
            )
        try:
            WebhookSignature.verify_header(payload, header, secret, self._tolerance)
        except SignatureVerificationError as error:
            raise _explain(str(error.user_message or "")) from None
        except UnicodeDecodeError:
            raise InvalidSignatureError("body is not UTF-8", code="body_not_utf8") from None


def _explain(reason: str) -> InvalidSignatureError:
    """Name the failure without echoing the header or the body."""
    if reason.startswith("Timestamp outside the tolerance zone"):
        return InvalidSignatureError(
            "Stripe-Signature timestamp is outside the tolerance", code="signature_too_old"
        )
    if reason.startswith("No signatures found matching"):
        return InvalidSignatureError(
            "no Stripe-Signature v1 signature matched the body", code="signature_mismatch"
        )
    if reason.startswith("No signatures found with expected scheme"):
        return InvalidSignatureError(
            "Stripe-Signature header has no v1 signature", code="signature_malformed"
        )
    if reason.startswith("No webhook secret"):
        return InvalidSignatureError("the webhook secret is empty", code="secret_missing")
    if reason.startswith("No Stripe-Signature header"):
        return InvalidSignatureError("Stripe-Signature header is missing", code="signature_missing")
    return InvalidSignatureError(
        "Stripe-Signature header is malformed (needs t=<timestamp> and v1=<signature>)",
        code="signature_malformed",
    )
