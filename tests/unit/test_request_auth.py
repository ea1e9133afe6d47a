"""Who may call private endpoints: the local token, or an allowed service account's OIDC token."""

import base64
import json
import time

import pytest

from shared.adapters.request_auth import authorize_private_request
from shared.config import Settings
from shared.errors import UnauthorizedError

SA = "invoker@project.iam.gserviceaccount.com"
AUD = "https://us-central1-project.cloudfunctions.net/sync_worker"
OIDC = Settings(auth_mode="oidc", oidc_audience=AUD, oidc_allowed_service_accounts=SA)


def stripped_token(**overrides: object) -> str:
    claims = {"iss": "https://accounts.google.com", "aud": AUD, "email": SA,
              "email_verified": True, "exp": time.time() + 300, **overrides}  # fmt: skip

    def part(obj: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    return f"{part({'alg': 'RS256'})}.{part(claims)}.SIGNATURE_REMOVED_BY_GOOGLE"


def test_local_token() -> None:
    settings = Settings(auth_mode="local", local_auth_token="secret-1")
    authorize_private_request("Bearer secret-1", settings)
    with pytest.raises(UnauthorizedError) as missing:
        authorize_private_request(None, settings)
    assert missing.value.code == "unauthorized"
    with pytest.raises(UnauthorizedError) as wrong:
        authorize_private_request("Bearer secret-2", settings)
    assert wrong.value.code == "forbidden"


def test_platform_checked_token_of_the_allowed_account_passes() -> None:
    authorize_private_request(f"Bearer {stripped_token()}", OIDC)


@pytest.mark.parametrize(
    "overrides",
    [{"email": "other@project.iam.gserviceaccount.com"}, {"aud": "https://elsewhere"},
     {"exp": time.time() - 10}, {"iss": "https://evil.example"}, {"email_verified": False}],
)  # fmt: skip
def test_platform_checked_token_with_wrong_claims_is_refused(overrides: dict[str, object]) -> None:
    with pytest.raises(UnauthorizedError):
        authorize_private_request(f"Bearer {stripped_token(**overrides)}", OIDC)


def test_a_signed_token_that_does_not_verify_is_refused() -> None:
    forged = stripped_token().rsplit(".", 1)[0] + ".c2lnbmF0dXJl"
    with pytest.raises(UnauthorizedError):
        authorize_private_request(f"Bearer {forged}", OIDC)
