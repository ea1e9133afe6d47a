"""Who may call a private endpoint: an OIDC token of the function's own invoker service account,
or locally a shared bearer token.

Cloud Run checks the ID token of a private service before the request reaches us. It reads
``X-Serverless-Authorization`` when that header is present (then ``Authorization`` is the app's
own, passed on unchecked) and ``Authorization`` otherwise, and hands the checked token on with its
signature removed (Cloud Run: "Authenticating service-to-service"; GoogleCloudPlatform
cloud-run-proxy #25). So the checked token is the one to read: ``X-Serverless-Authorization``
first. Every refusal is a 401 (no token, or one that is not a well-formed ID token) or a 403 (a
well-formed token of another caller, audience or time), never a 500: claims are untrusted input.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import math
import time
from collections.abc import Mapping
from typing import Any, Protocol

from shared.config import Settings
from shared.errors import UnauthorizedError, UpstreamUnavailableError

SERVERLESS_AUTHORIZATION = "X-Serverless-Authorization"
AUTHORIZATION = "Authorization"
# The signature Cloud Run leaves on a token it checked (or none at all).
STRIPPED_SIGNATURES = frozenset({"", "SIGNATURE_REMOVED_BY_GOOGLE"})
GOOGLE_ISSUERS = frozenset({"https://accounts.google.com", "accounts.google.com"})
MAX_TOKEN_CHARS = 16_384  # Google ID tokens are about 1 KB; anything far larger is not one


class Headers(Protocol):
    """A request's headers: Flask's (any case) or a dict (the worker's, lower-case names)."""

    def get(self, key: str, /) -> str | None: ...


def _malformed(why: str) -> UnauthorizedError:
    return UnauthorizedError(f"malformed OIDC token: {why}", code="unauthorized")


def _forbidden(why: str) -> UnauthorizedError:
    return UnauthorizedError(why, code="forbidden")


def _header(headers: Headers, name: str) -> str | None:
    """A header by name, whatever the case of the mapping's keys (Flask's or a plain dict)."""
    value = headers.get(name)
    if value is None:
        value = headers.get(name.lower())
    return value


def presented_token(headers: Headers) -> str:
    """The bearer token Cloud Run checked: ``X-Serverless-Authorization`` when present."""
    authorization = _header(headers, SERVERLESS_AUTHORIZATION) or _header(headers, AUTHORIZATION)
    if not authorization or not authorization.startswith("Bearer "):
        raise UnauthorizedError("missing bearer token", code="unauthorized")
    return authorization.removeprefix("Bearer ").strip()


def claims_of(token: str) -> dict[str, Any]:
    """The payload of a JWT, unverified; 401 for anything that is not a JSON object in one."""
    if len(token) > MAX_TOKEN_CHARS:
        raise _malformed("too long")
    parts = token.split(".")
    if len(parts) != 3:
        raise _malformed("not three dot-separated parts")
    payload = parts[1]
    try:
        decoded = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        claims = json.loads(decoded)
    except (binascii.Error, ValueError, RecursionError):
        raise _malformed("payload is not base64url JSON") from None
    if not isinstance(claims, dict):
        raise _malformed("payload is not a JSON object")
    return claims


def check_claims(
    claims: Mapping[str, Any], audience: str, allowed: frozenset[str], now: float
) -> None:
    """403 unless the claims name Google, this audience, an allowed verified service account,
    and a time that has not passed; 401 when a claim has the wrong type."""
    issuer, aud, email = claims.get("iss"), claims.get("aud"), claims.get("email")
    expires, verified = claims.get("exp"), claims.get("email_verified")
    if not isinstance(issuer, str) or not isinstance(email, str):
        raise _malformed("iss and email must be strings")
    audiences = [aud] if isinstance(aud, str) else aud
    if not isinstance(audiences, list) or not all(isinstance(a, str) for a in audiences):
        raise _malformed("aud must be a string or a list of strings")
    if isinstance(expires, bool) or not isinstance(expires, int | float):
        raise _malformed("exp must be a number")
    if not math.isfinite(expires):  # Python's json reads NaN and Infinity
        raise _malformed("exp must be a finite number")
    if not isinstance(verified, bool | str | type(None)):
        raise _malformed("email_verified must be a boolean")
    if issuer not in GOOGLE_ISSUERS:
        raise _forbidden("OIDC token of another issuer")
    if audience not in audiences:
        raise _forbidden("OIDC token for another audience")
    if expires < now:
        raise _forbidden("expired OIDC token")
    # Google writes email_verified as a JSON boolean (older tokens: the string "true").
    if verified not in (True, "true") or email not in allowed:
        raise _forbidden("caller is not this function's invoker service account")


def _verified_claims(token: str, audience: str, transport: Any | None) -> dict[str, Any]:
    """Claims of a token Cloud Run did not check (its signature intact): verified here against
    Google's certificates, fetched through ``transport`` (a google.auth transport Request; None:
    HTTP). A failure to fetch them is ours, not the caller's: 503."""
    from google.auth import exceptions as auth_exceptions
    from google.auth.transport import requests as google_requests
    from google.oauth2 import id_token

    claims_of(token)  # a 401 for what is not a JWT at all, before any network call
    try:
        verified = id_token.verify_oauth2_token(  # type: ignore[no-untyped-call]
            token, transport or google_requests.Request(), audience=audience
        )
    except auth_exceptions.TransportError:
        raise UpstreamUnavailableError(
            "Google's ID token certificates could not be fetched", code="oidc_certs"
        ) from None
    except Exception:  # the token is untrusted input: any failure to verify it is a refusal
        # google-auth raises ValueError or GoogleAuthError, its pyjwt path jwt's own errors.
        raise _forbidden("OIDC token does not verify") from None
    if not isinstance(verified, Mapping):
        raise _malformed("payload is not a JSON object")
    return dict(verified)


def allowed_callers(settings: Settings) -> frozenset[str]:
    return frozenset(
        e.strip() for e in settings.oidc_allowed_service_accounts.split(",") if e.strip()
    )


def authorize_private_request(
    headers: Headers, settings: Settings, *, transport: Any | None = None
) -> None:
    """Raise UnauthorizedError (401/403) unless the caller may use this private endpoint.

    ``headers``: the request's headers (Flask's, or a dict with lower-case names). ``transport``
    fetches Google's certificates for a token whose signature is still on it (tests pass a fake).
    """
    token = presented_token(headers)
    if settings.auth_mode == "local":
        if not hmac.compare_digest(token.encode(), settings.local_auth_token.encode()):
            raise _forbidden("invalid local token")
        return
    audience = settings.oidc_audience or settings.worker_url
    parts = token.split(".")
    if len(parts) == 3 and parts[2] in STRIPPED_SIGNATURES:
        claims = claims_of(token)
    else:
        claims = _verified_claims(token, audience, transport)
    check_claims(claims, audience, allowed_callers(settings), time.time())
