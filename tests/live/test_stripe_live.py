"""The live Stripe check (``make live-test``): every billing flow of issue 16 made through the
real API in test mode, the objects and events Stripe returns recorded, and their shapes compared
with what the fake Stripe serves. The real one wins: a field the fake serves that Stripe does not
have, or a type it does not use, fails the check and the fake is fixed first.

Needs ``STRIPE_TEST_SECRET_KEY`` (a test-mode ``sk_test_``/``rk_test_`` key; a live-mode key is
refused). Optional: ``STRIPE_TEST_RESTRICTED_KEY``, a test-mode restricted key without *Products:
read*, to record what Stripe answers it; ``SYNC_LIVE_OUT`` (default ``out/live``) for the record.
Skipped, with the reason, without a key.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import pytest
import stripe

from local_emulator import scenarios
from local_emulator.live.fake_side import served_by_fake
from local_emulator.live.shapes import compare, report, shapes_of
from local_emulator.live.stripe_flows import FLOWS, Recorder, events_of, run_flows
from shared.config import STRIPE_API_VERSION

pytestmark = pytest.mark.live
KEY = os.environ.get("STRIPE_TEST_SECRET_KEY", "")
RESTRICTED = os.environ.get("STRIPE_TEST_RESTRICTED_KEY", "")
LIBRARY = Path(scenarios.__file__).resolve().parent
# flows a test account may not be able to run (billing meters and credit grants are products
# an account must have): their failure is reported, not fatal
OPTIONAL = {"billing_credits"}


def _client(key: str) -> stripe.StripeClient:
    return stripe.StripeClient(key, stripe_version=STRIPE_API_VERSION, max_network_retries=2)


@pytest.fixture(scope="module")
def live_key() -> str:
    if not KEY:
        pytest.skip("STRIPE_TEST_SECRET_KEY is not set: the live Stripe check needs a test key")
    if not KEY.startswith(("sk_test_", "rk_test_")):
        pytest.fail("STRIPE_TEST_SECRET_KEY must be a test-mode key (sk_test_ or rk_test_)")
    return KEY


def test_stripe_serves_what_the_fake_serves(live_key: str) -> None:
    recorder = Recorder(_client(live_key), run=uuid.uuid4().hex)
    outcomes = run_flows(recorder, list(FLOWS))
    if RESTRICTED.startswith("rk_test_"):
        try:
            _client(RESTRICTED).v1.products.list({"limit": 1})
            recorder.observations["restricted_product_read"] = {"status": 200}
        except stripe.StripeError as error:
            recorder.observations["restricted_product_read"] = {
                "status": error.http_status,
                "type": type(error).__name__,
                "message_names_permission": "rak_product_read" in str(error.user_message),
            }
    events = events_of(recorder)
    fake_objects, fake_outcomes = served_by_fake(LIBRARY)
    stripe_shapes = shapes_of([*recorder.objects, *events])
    fake_shapes = shapes_of(fake_objects)
    differences = compare(stripe_shapes, fake_shapes)
    summary = report(stripe_shapes, fake_shapes, differences)
    out = Path(os.environ.get("SYNC_LIVE_OUT", "out/live")) / "stripe" / recorder.run
    out.mkdir(parents=True, exist_ok=True)
    (out / "objects.json").write_text(json.dumps(recorder.objects, indent=1, default=str))
    (out / "events.json").write_text(json.dumps(events, indent=1, default=str))
    (out / "observations.json").write_text(
        json.dumps(
            {"flows": outcomes, "fake_flows": fake_outcomes, **recorder.observations}, indent=1
        )
    )
    (out / "shapes.json").write_text(json.dumps(summary, indent=1))
    failed = {name: why for name, why in outcomes.items() if why != "ok" and name not in OPTIONAL}
    assert not failed, f"flows failed against Stripe: {failed} (record in {out})"
    faults = [f"{d.kind}: {fault}" for d in differences for fault in d.faults]
    assert not faults, (
        f"the fake serves what Stripe does not ({out / 'shapes.json'}): {faults[:20]}"
    )
