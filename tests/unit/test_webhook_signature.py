"""The fake's sign_payload against the real verifier: what passes and why the rest fails."""

from __future__ import annotations

import json
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from local_emulator.fakes.stripe import sign_payload
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


# --- the hmac verifier agrees with stripe-python's own check ------------------------------------

PARITY_SECRET = "whsec_parity"
PARITY_NOW = 1_767_225_600


def stripe_verdict(payload: bytes, header: str) -> bool:
    from unittest import mock

    import stripe

    with mock.patch("time.time", return_value=PARITY_NOW):
        try:
            stripe.WebhookSignature.verify_header(payload.decode(), header, PARITY_SECRET, 300)
        except stripe.SignatureVerificationError:
            return False
        except TypeError:  # stripe-python's compare_digest on non-ASCII: it crashes, we refuse
            return False
    return True


def our_verdict(payload: bytes, header: str) -> bool:
    from shared.adapters.stripe_webhook_verifier import StripeWebhookVerifier
    from shared.errors import InvalidSignatureError

    try:
        StripeWebhookVerifier(300, now=lambda: PARITY_NOW).verify(payload, header, PARITY_SECRET)
    except InvalidSignatureError:
        return False
    return True


def _utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


header_part = st.one_of(
    st.builds(lambda t: f"t={t}", st.integers(PARITY_NOW - 600, PARITY_NOW + 600)),
    st.just("v1=SIGNED"),
    st.just("v0=SIGNED"),
    st.builds(lambda h: f"v1={h}", st.text("0123456789abcdef", max_size=64)),
    st.builds(lambda h: f"v1={h}", st.text(max_size=8)),
    st.sampled_from(["t=", "t=x", "v1", "t", " v1=SIGNED", "t=1=2", "", "=", "v1=SIGNED=x"]),
)


@settings(max_examples=1000, deadline=None)
@given(st.lists(header_part, max_size=5), st.binary(max_size=40).filter(_utf8))
def test_verdict_equals_stripe_python(parts: list[str], payload: bytes) -> None:
    timestamps = [p[2:] for p in parts if p.startswith("t=")]
    stamp = timestamps[0] if timestamps else str(PARITY_NOW)
    good = sign_payload(payload, PARITY_SECRET, int(stamp)) if stamp.isdigit() else "v1=x"
    header = ",".join(p.replace("SIGNED", good.split("v1=")[-1]) for p in parts)
    assert our_verdict(payload, header) == stripe_verdict(payload, header), header
