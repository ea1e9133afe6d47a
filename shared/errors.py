"""Error hierarchy: the class of an error decides whether the work is retried."""

from __future__ import annotations


class SyncError(Exception):
    """Base of every error the library raises on purpose.

    ``code`` is a short stable identifier (a vendor error code or our own) that lands in the sync
    log and the failed view; ``message`` must never contain secrets or personal data.
    """

    default_code = "sync_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.where: str | None = None  # the QBO write in progress when it happened, if any

    @property
    def error_class(self) -> str:
        return type(self).__name__


class TransientError(SyncError):
    """Worth retrying later: throttling, 5xx, network faults, a stale SyncToken."""

    default_code = "transient"

    def __init__(
        self, message: str, *, code: str | None = None, retry_after_seconds: float | None = None
    ) -> None:
        super().__init__(message, code=code)
        self.retry_after_seconds = retry_after_seconds


class PermanentError(SyncError):
    """Retrying the same input cannot succeed: record FAILED, answer 2xx, replay after a fix."""

    default_code = "permanent"


# --- transient -------------------------------------------------------------------------------


class ThrottledError(TransientError):
    """The remote asked us to slow down (QBO 429 / 3001, Stripe 429)."""

    default_code = "throttled"


class UpstreamUnavailableError(TransientError):
    """5xx, timeout, dropped connection, or a service that is down for a while."""

    default_code = "unavailable"


class StaleObjectError(TransientError):
    """QBO 5010: our SyncToken is behind; re-read and try again."""

    default_code = "5010"


class ConflictError(TransientError):
    """Another worker holds the same object right now."""

    default_code = "conflict"


class LeaseHeldError(ConflictError):
    """The lease of the object's family is another worker's: try again in a few seconds."""

    default_code = "lease_held"


class InfrastructureError(TransientError):
    """A dependency failed (warehouse, queue, secret store): answered 5xx so the sender retries.

    ``needs_person``: it failed in a way retrying alone will not fix (permission, a missing
    queue or secret version): logged at ERROR, which alerts.
    """

    default_code = "infrastructure"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        needs_person: bool = True,
        cause_code: str | None = None,
    ) -> None:
        super().__init__(message, code=code)
        self.needs_person = needs_person
        self.cause_code = cause_code


class UnexpectedError(TransientError):
    """Not one of ours: an exception of a bug. Retried a few times (a rare race), recorded
    FAILED with the exception's class from the first attempt, then given up with an alert."""

    default_code = "unexpected"


# --- permanent -------------------------------------------------------------------------------


class ValidationFailedError(PermanentError):
    """The remote refused the document as invalid (QBO ValidationFault, Stripe 400)."""

    default_code = "validation"


class DuplicateNameError(ValidationFailedError):
    """QBO 6240: DisplayName already used by a customer, vendor or employee."""

    default_code = "6240"


class NotFoundError(PermanentError):
    """The object does not exist (or no longer exists) on the remote side."""

    default_code = "not_found"


class ForeignDocumentError(PermanentError):
    """QBO holds a document with the number or name we would use, but we did not write it."""

    default_code = "foreign_document"


class MappingGapError(PermanentError):
    """Our posting model has no rule for this input yet."""

    default_code = "mapping_gap"


class TaxMappingGapError(MappingGapError):
    """A Stripe tax that no QBO tax code matches unambiguously: the message names the Stripe
    tax rate and the books-file entry to add; replay after adding it."""

    default_code = "tax_mapping"


class TaxOverrideRefusedError(PermanentError):
    """QBO kept its own tax instead of the tax Stripe charged (automated sales tax without
    "allow apps to override"): the document's total differs from Stripe's."""

    default_code = "tax_override_refused"


class AuthenticationError(PermanentError):
    """Credentials were refused (revoked or expired refresh token, bad API key): needs a person."""

    default_code = "auth"


class PermissionDeniedError(AuthenticationError):
    """The credentials are good but lack a permission (a Stripe restricted key, HTTP 403)."""

    default_code = "permission"


class BadRequestError(PermanentError):
    """An inbound request we refuse: malformed, too large, or not for us."""

    default_code = "bad_request"


class InvalidSignatureError(BadRequestError):
    """A webhook whose Stripe-Signature does not verify, or whose timestamp is out of tolerance."""

    default_code = "bad_signature"


class UnstorableEventError(BadRequestError):
    """A body Stripe signed that the archive cannot store (a byte order mark, a time out of
    range, JSON nested too deeply): refused with 4xx and logged at ERROR for a person."""

    default_code = "unstorable_event"


class UnauthorizedError(BadRequestError):
    """A private endpoint called without a valid token."""

    default_code = "unauthorized"
