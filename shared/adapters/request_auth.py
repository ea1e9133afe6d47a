"""Who may call a private endpoint: an OIDC token from an allowed service account, or locally a
shared bearer token."""

from __future__ import annotations

import base64
import hmac
import json
import time
from typing import Any

from shared.config import Settings
from shared.errors import UnauthorizedError


def bearer_token(authorization: str | None) -> str:
    if not authorization or not authorization.startswith("Bearer "):
        raise UnauthorizedError("missing bearer token", code="unauthorized")
    return authorization.removeprefix("Bearer ").strip()


# Cloud Run checks the ID token of a private service itself, then hands the request on with the
# token's signature replaced; such a token can only reach code behind the IAM invoker check.
STRIPPED_SIGNATURES = frozenset({"", "SIGNATURE_REMOVED_BY_GOOGLE"})
GOOGLE_ISSUERS = frozenset({"https://accounts.google.com", "accounts.google.com"})


def _claims_of_platform_checked_token(token: str, audience: str, now: float) -> dict[str, Any]:
    try:
        payload = token.split(".")[1]
        claims: dict[str, Any] = json.loads(
            base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        )
    except (IndexError, ValueError):
        raise UnauthorizedError("malformed OIDC token", code="forbidden") from None
    if claims.get("iss") not in GOOGLE_ISSUERS or claims.get("aud") != audience:
        raise UnauthorizedError("OIDC token for another issuer or audience", code="forbidden")
    if float(claims.get("exp", 0)) < now:
        raise UnauthorizedError("expired OIDC token", code="forbidden")
    return claims


def _verify_google_id_token(token: str, audience: str) -> dict[str, Any]:
    from google.auth.exceptions import GoogleAuthError
    from google.auth.transport import requests as google_requests
    from google.oauth2 import id_token

    try:
        claims: dict[str, Any] = id_token.verify_oauth2_token(  # type: ignore[no-untyped-call]
            token, google_requests.Request(), audience=audience
        )
    except (GoogleAuthError, ValueError):
        raise UnauthorizedError("invalid OIDC token", code="forbidden") from None
    return claims


def authorize_private_request(authorization: str | None, settings: Settings) -> None:
    """Raise UnauthorizedError unless the caller may use private endpoints."""
    token = bearer_token(authorization)
    if settings.auth_mode == "local":
        if not hmac.compare_digest(token.encode(), settings.local_auth_token.encode()):
            raise UnauthorizedError("invalid local token", code="forbidden")
        return
    audience = settings.oidc_audience or settings.worker_url
    parts = token.split(".")
    if len(parts) == 3 and parts[2] in STRIPPED_SIGNATURES:
        claims = _claims_of_platform_checked_token(token, audience, time.time())
    else:
        claims = _verify_google_id_token(token, audience)
    allowed = {e.strip() for e in settings.oidc_allowed_service_accounts.split(",") if e.strip()}
    if not claims.get("email_verified") or claims.get("email") not in allowed:
        raise UnauthorizedError("caller is not an allowed service account", code="forbidden")
