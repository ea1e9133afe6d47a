"""The fake's sign_payload against the real verifier: what passes and why the rest fails."""

from __future__ import annotations

import json
import time

import pytest

from local_emulator.fake_stripe import sign_payload
from shared.adapters.stripe_webhook_verifier import StripeWebhookVerifier
from shared.config import Settings
from shared.errors import InvalidSignatureError

SECRET = "whsec_test_secret"
BODY = json.dumps({"id": "evt_1", "object": "event", "type": "invoice.paid"}).encode()


@pytest.fixture
def verifier() -> StripeWebhookVerifier:
    return StripeWebhookVerifier(tolerance_seconds=300)


def _now() -> int:
    return int(time.time())


def _fails(verifier: StripeWebhookVerifier, body: bytes, header: str, secret: str = SECRET) -> str:
    with pytest.raises(InvalidSignatureError) as caught:
        verifier.verify(body, header, secret)
    assert SECRET not in caught.value.message
    return caught.value.code


def test_header_shape_and_hmac_follow_stripe() -> None:
    header = sign_payload(b"{}", "whsec_x", 1700000000)
    timestamp, signature = header.split(",")
    assert timestamp == "t=1700000000"
    assert signature.startswith("v1=") and len(signature) == 3 + 64
    # the published construction: HMAC-SHA256 over "<t>.<body>" with the endpoint secret
    import hashlib
    import hmac

    expected = hmac.new(b"whsec_x", b"1700000000.{}", hashlib.sha256).hexdigest()
    assert signature == f"v1={expected}"


def test_signed_payload_verifies(verifier: StripeWebhookVerifier) -> None:
    verifier.verify(BODY, sign_payload(BODY, SECRET, _now()), SECRET)


def test_tampered_body_is_refused(verifier: StripeWebhookVerifier) -> None:
    header = sign_payload(BODY, SECRET, _now())
    code = _fails(verifier, BODY.replace(b"invoice.paid", b"invoice.void"), header)
    assert code == "signature_mismatch"


def test_wrong_secret_is_refused(verifier: StripeWebhookVerifier) -> None:
    header = sign_payload(BODY, "whsec_other", _now())
    assert _fails(verifier, BODY, header) == "signature_mismatch"


def test_stale_timestamp_is_refused(verifier: StripeWebhookVerifier) -> None:
    header = sign_payload(BODY, SECRET, _now() - 301 - 5)
    with pytest.raises(InvalidSignatureError, match="outside the tolerance"):
        verifier.verify(BODY, header, SECRET)


def test_tolerance_comes_from_settings() -> None:
    lenient = StripeWebhookVerifier.from_settings(Settings(webhook_tolerance_seconds=3600))
    lenient.verify(BODY, sign_payload(BODY, SECRET, _now() - 1800), SECRET)
    strict = StripeWebhookVerifier.from_settings(Settings(webhook_tolerance_seconds=60))
    with pytest.raises(InvalidSignatureError, match="outside the tolerance"):
        strict.verify(BODY, sign_payload(BODY, SECRET, _now() - 120), SECRET)


def test_missing_header_is_refused(verifier: StripeWebhookVerifier) -> None:
    with pytest.raises(InvalidSignatureError, match="missing") as caught:
        verifier.verify(BODY, "", SECRET)
    assert caught.value.code == "signature_missing"


@pytest.mark.parametrize(
    "header",
    ["garbage", "t=notanumber,v1=abc", "v1=abcdef", "t=1700000000", "t=1700000000,v0=abc"],
)
def test_garbled_header_is_refused(verifier: StripeWebhookVerifier, header: str) -> None:
    with pytest.raises(InvalidSignatureError, match=r"malformed|no v1 signature") as caught:
        verifier.verify(BODY, header, SECRET)
    assert caught.value.code == "signature_malformed"


def test_one_matching_v1_among_several_is_enough(verifier: StripeWebhookVerifier) -> None:
    timestamp = _now()
    good = sign_payload(BODY, SECRET, timestamp).split(",")[1]
    bad = sign_payload(BODY, "whsec_rotated_out", timestamp).split(",")[1]
    verifier.verify(BODY, f"t={timestamp},{bad},{good},v0=deadbeef", SECRET)


def test_error_is_a_bad_request_not_a_retry(verifier: StripeWebhookVerifier) -> None:
    from shared.errors import BadRequestError, PermanentError

    with pytest.raises(InvalidSignatureError) as caught:
        verifier.verify(BODY, "garbage", SECRET)
    assert isinstance(caught.value, BadRequestError)
    assert isinstance(caught.value, PermanentError)
