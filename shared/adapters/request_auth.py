"""Who may call a private endpoint: an OIDC token from an allowed service account, or locally a
shared bearer token."""

from __future__ import annotations

import hmac
from typing import Any

from shared.config import Settings
from shared.errors import UnauthorizedError


def bearer_token(authorization: str | None) -> str:
    if not authorization or not authorization.startswith("Bearer "):
        raise UnauthorizedError("missing bearer token", code="unauthorized")
    return authorization.removeprefix("Bearer ").strip()


def _verify_google_id_token(token: str, audience: str) -> dict[str, Any]:
    from google.auth.exceptions import GoogleAuthError  # noqa: PLC0415 - only private endpoints
    from google.auth.transport import requests as google_requests  # noqa: PLC0415
    from google.oauth2 import id_token  # noqa: PLC0415

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
    claims = _verify_google_id_token(token, settings.oidc_audience or settings.worker_url)
    allowed = {e.strip() for e in settings.oidc_allowed_service_accounts.split(",") if e.strip()}
    if not claims.get("email_verified") or claims.get("email") not in allowed:
        raise UnauthorizedError("caller is not an allowed service account", code="forbidden")
