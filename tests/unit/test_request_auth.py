"""Who may call private endpoints: the local token, or the function's own invoker service
account's OIDC token, read from X-Serverless-Authorization first. Malformed tokens and claims are
401/403 (UnauthorizedError), never another exception."""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import json
import time
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from google.auth import crypt, jwt
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.adapters.request_auth import authorize_private_request
from shared.config import Settings
from shared.errors import UnauthorizedError, UpstreamUnavailableError

SA = "inv-sync-worker@project.iam.gserviceaccount.com"
AUD = "https://us-central1-project.cloudfunctions.net/sync-worker"
OIDC = Settings(auth_mode="oidc", oidc_audience=AUD, oidc_allowed_service_accounts=SA)


def part(obj: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")


def claims(**overrides: object) -> dict[str, object]:
    return {"iss": "https://accounts.google.com", "aud": AUD, "email": SA,
            "email_verified": True, "exp": time.time() + 300, "iat": time.time() - 5,
            **overrides}  # fmt: skip


def stripped_token(**overrides: object) -> str:
    """A token as Cloud Run hands it on after checking it: the signature removed."""
    return f"{part({'alg': 'RS256'})}.{part(claims(**overrides))}.SIGNATURE_REMOVED_BY_GOOGLE"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class Keys:
    """An RSA key and its self-signed certificate, published as Google publishes its own."""

    def __init__(self, kid: str = "key-1") -> None:
        self.kid = kid
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test")])
        now = dt.datetime.now(dt.UTC)
        cert = (
            x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(self.private.public_key()).serial_number(1)
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .sign(self.private, hashes.SHA256())
        )  # fmt: skip
        self.cert_pem = cert.public_bytes(serialization.Encoding.PEM).decode()
        pem = self.private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        self.signer = crypt.RSASigner.from_string(pem, key_id=kid)

    def sign(self, **overrides: object) -> str:
        body = claims(**overrides)
        body.update(exp=int(time.time()) + 300, iat=int(time.time()) - 5)
        return jwt.encode(self.signer, body).decode()


class Response:
    def __init__(self, status: int, data: bytes) -> None:
        self.status = status
        self.data = data
        self.headers: dict[str, str] = {}


class CertsTransport:
    """A google.auth transport Request answering the certificates URL from memory."""

    def __init__(self, keys: Keys | None, status: int = 200) -> None:
        self.certs = {keys.kid: keys.cert_pem} if keys else {}
        self.status = status
        self.urls: list[str] = []

    def __call__(self, url: str, method: str = "GET", **kwargs: Any) -> Response:
        self.urls.append(url)
        return Response(self.status, json.dumps(self.certs).encode())


@pytest.fixture(scope="module")
def keys() -> Keys:
    return Keys()


def test_local_token() -> None:
    local = Settings(auth_mode="local", local_auth_token="secret-1")
    authorize_private_request(bearer("secret-1"), local)
    with pytest.raises(UnauthorizedError) as missing:
        authorize_private_request({}, local)
    assert missing.value.code == "unauthorized"
    with pytest.raises(UnauthorizedError) as wrong:
        authorize_private_request(bearer("secret-2"), local)
    assert wrong.value.code == "forbidden"


def test_platform_checked_token_of_the_invoker_passes() -> None:
    authorize_private_request(bearer(stripped_token()), OIDC)
    # A list audience (RFC 7519 allows one) that names ours.
    authorize_private_request(bearer(stripped_token(aud=["https://other", AUD])), OIDC)


def test_x_serverless_authorization_is_preferred_when_present() -> None:
    """Cloud Run checks X-Serverless-Authorization when present and passes Authorization on
    unchecked (the app's own): the checked one decides, whatever Authorization holds."""
    headers = {"X-Serverless-Authorization": f"Bearer {stripped_token()}",
               "Authorization": "Bearer some-app-token"}  # fmt: skip
    authorize_private_request(headers, OIDC)
    lower = {k.lower(): v for k, v in headers.items()}  # the worker passes lower-case names
    authorize_private_request(lower, OIDC)
    stranger = stripped_token(email="x@p.iam.gserviceaccount.com")
    other = {"X-Serverless-Authorization": f"Bearer {stranger}",
             "Authorization": f"Bearer {stripped_token()}"}  # fmt: skip
    with pytest.raises(UnauthorizedError) as refused:
        authorize_private_request(other, OIDC)
    assert refused.value.code == "forbidden"


@pytest.mark.parametrize(
    "overrides",
    [{"email": "other@project.iam.gserviceaccount.com"}, {"aud": "https://elsewhere"},
     {"aud": ["https://elsewhere"]}, {"exp": time.time() - 10}, {"iss": "https://evil.example"},
     {"email_verified": False}, {"email_verified": None}, {"email_verified": "false"}],
)  # fmt: skip
def test_platform_checked_token_of_another_caller_is_403(overrides: dict[str, object]) -> None:
    with pytest.raises(UnauthorizedError) as refused:
        authorize_private_request(bearer(stripped_token(**overrides)), OIDC)
    assert refused.value.code == "forbidden"


DEEP = base64.urlsafe_b64encode(b"[" * 5000 + b"]" * 5000).decode()
NOT_UTF8 = base64.urlsafe_b64encode(bytes([0xFF, 0xFE])).decode()
MALFORMED = {
    "not a jwt": "local-dev-token",
    "two parts": f"{part({'alg': 'RS256'})}.{part(claims())}",
    "four parts": stripped_token() + ".x",
    "payload not base64": f"{part({})}.@@@.SIGNATURE_REMOVED_BY_GOOGLE",
    "payload not json": f"{part({})}.{base64.urlsafe_b64encode(b'{nope').decode()}.",
    "payload not utf-8": f"{part({})}.{NOT_UTF8}.",
    "payload a list": f"{part({})}.{part([1, 2])}.",
    "payload a string": f"{part({})}.{part('claims')}.",
    "email a list": stripped_token(email=[SA]),
    "email missing": stripped_token(email=None),
    "aud a number": stripped_token(aud=7),
    "aud a list of numbers": stripped_token(aud=[7]),
    "exp a string": stripped_token(exp="tomorrow"),
    "exp a bool": stripped_token(exp=True),
    "exp missing": stripped_token(exp=None),
    "exp an object": stripped_token(exp={"n": 1}),
    "email_verified a number": stripped_token(email_verified=1),
    "iss a list": stripped_token(iss=["https://accounts.google.com"]),
    "deeply nested": f"{part({})}.{DEEP}.",
    "huge": "a." + "b" * 20_000 + ".",
}


@pytest.mark.parametrize("token", list(MALFORMED.values()), ids=list(MALFORMED))
def test_malformed_tokens_and_claims_are_401_or_403_never_an_error(token: str) -> None:
    with pytest.raises(UnauthorizedError) as refused:
        authorize_private_request(bearer(token), OIDC)
    assert refused.value.code in ("unauthorized", "forbidden")


def test_nan_and_infinite_expiry_are_refused() -> None:
    for value in ("NaN", "Infinity"):
        body = json.dumps(claims(exp=0)).replace('"exp": 0', f'"exp": {value}')
        payload = base64.urlsafe_b64encode(body.encode()).decode().rstrip("=")
        with pytest.raises(UnauthorizedError):
            authorize_private_request(bearer(f"{part({})}.{payload}."), OIDC)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300), st.sampled_from(["Authorization", "X-Serverless-Authorization"]))
def test_any_header_value_is_a_refusal_not_a_crash(value: str, header: str) -> None:
    transport = CertsTransport(None, status=500)
    try:
        authorize_private_request({header: value}, OIDC, transport=transport)
    except UnauthorizedError:
        pass
    except UpstreamUnavailableError:
        assert transport.urls, "503 only when the certificates could not be fetched"


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(max_size=20), st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=10), max_size=8))  # fmt: skip
def test_any_claims_are_a_refusal_or_a_pass_never_a_crash(extra: dict[str, Any]) -> None:
    token = f"{part({})}.{part({**claims(), **extra})}.SIGNATURE_REMOVED_BY_GOOGLE"
    with contextlib.suppress(UnauthorizedError):
        authorize_private_request(bearer(token), OIDC)


def test_a_signed_token_is_verified_against_googles_certificates(keys: Keys) -> None:
    transport = CertsTransport(keys)
    authorize_private_request(bearer(keys.sign()), OIDC, transport=transport)
    assert transport.urls, "the certificates were fetched"
    other = Keys("key-1")  # same key id, another key: the signature does not verify
    with pytest.raises(UnauthorizedError) as forged:
        authorize_private_request(bearer(other.sign()), OIDC, transport=transport)
    assert forged.value.code == "forbidden"
    with pytest.raises(UnauthorizedError) as tampered:
        signed = keys.sign().split(".")
        authorize_private_request(
            bearer(f"{signed[0]}.{part(claims(email='x@evil.example'))}.{signed[2]}"),
            OIDC,
            transport=transport,
        )
    assert tampered.value.code == "forbidden"
    with pytest.raises(UnauthorizedError):  # verified, but of another account
        authorize_private_request(
            bearer(keys.sign(email="y@p.iam.gserviceaccount.com")), OIDC, transport=transport
        )


def test_certificates_unreachable_is_ours_to_retry_not_the_callers_fault(keys: Keys) -> None:
    with pytest.raises(UpstreamUnavailableError):
        authorize_private_request(
            bearer(keys.sign()), OIDC, transport=CertsTransport(keys, status=503)
        )
