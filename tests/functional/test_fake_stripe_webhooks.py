"""Webhook delivery from the fake: signed POSTs, delivery_success, duplicate and out_of_order."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
import stripe
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from local_emulator.fakes.stripe import DEFAULT_WEBHOOK_SECRET, FakeStripe, WebhookDeliverer
from shared.adapters.stripe_webhook_verifier import StripeWebhookVerifier
from shared.errors import InvalidSignatureError
from tests.functional.stripe_fixtures import client_for, running_fake


class Receiver:
    """A local webhook endpoint that verifies signatures like stripe_webhook will."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.received: list[str] = []
        self.status = 200
        self._verifier = StripeWebhookVerifier()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        body = request.get_data()
        try:
            self._verifier.verify(body, request.headers.get("Stripe-Signature", ""), self.secret)
        except InvalidSignatureError:
            return Response("bad signature", status=400)(environ, start_response)
        self.received.append(json.loads(body)["id"])
        return Response("ok", status=self.status)(environ, start_response)


@pytest.fixture
def receiver_url() -> Iterator[tuple[Receiver, str]]:
    receiver = Receiver("")
    server = make_server("127.0.0.1", 0, receiver, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield receiver, f"http://127.0.0.1:{server.server_port}/stripe_webhook"
    finally:
        server.shutdown()
        thread.join()


def _make_events(fake: FakeStripe, count: int) -> list[str]:
    return [
        fake.emit_event("customer.created", {"id": f"cus_{i}", "object": "customer"})["id"]
        for i in range(count)
    ]


def test_signed_delivery_over_http_and_delivery_success(
    receiver_url: tuple[Receiver, str],
) -> None:
    receiver, url = receiver_url
    with running_fake() as (fake, server, _clock):
        receiver.secret = fake.webhook_secret
        deliverer = WebhookDeliverer(fake, url)
        client = client_for(server)
        customer = client.v1.customers.create({"name": "W"})
        client.v1.invoices.create({"customer": customer.id})
        pending = client.v1.events.list({"delivery_success": False})
        assert {e.type for e in pending.data} == {"customer.created", "invoice.created"}
        assert all(e.pending_webhooks == 1 for e in pending.data)

        receiver.status = 500
        report = deliverer.deliver_pending()
        assert len(report.failed) == 2 and report.delivered == []
        assert len(client.v1.events.list({"delivery_success": False}).data) == 2

        receiver.status = 200
        report = deliverer.deliver_pending()
        assert len(report.delivered) == 2
        assert receiver.received[-2:] == [e.id for e in reversed(pending.data)]  # oldest first
        assert len(client.v1.events.list({"delivery_success": False}).data) == 0
        delivered = client.v1.events.list({"delivery_success": True}).data
        assert len(delivered) == 2 and all(e.pending_webhooks == 0 for e in delivered)
        assert deliverer.deliver_pending().attempts == []


def test_wrong_secret_is_refused_by_the_endpoint(receiver_url: tuple[Receiver, str]) -> None:
    receiver, url = receiver_url
    fake = FakeStripe(webhook_secret="whsec_a")
    receiver.secret = "whsec_b"
    deliverer = WebhookDeliverer(fake, url)
    _make_events(fake, 1)
    report = deliverer.deliver_pending()
    assert [status for _, status in report.attempts] == [400]
    assert report.failed and fake.pending_for(url)


def test_events_before_an_endpoint_existed_are_not_pending_for_it() -> None:
    fake = FakeStripe()
    early = _make_events(fake, 1)
    deliverer = WebhookDeliverer(fake, "http://endpoint", transport=lambda *_: 200)
    late = _make_events(fake, 1)
    assert [e["id"] for e in fake.pending_for("http://endpoint")] == late
    assert deliverer.deliver([fake.get_object(early[0]) or {}]).delivered == early


def test_unreachable_endpoint_is_a_failed_delivery() -> None:
    fake = FakeStripe()
    deliverer = WebhookDeliverer(fake, "http://127.0.0.1:9/closed")
    _make_events(fake, 1)
    report = deliverer.deliver_pending()
    assert report.attempts[0][1] == 0 and len(fake.pending_for(deliverer.url)) == 1


def _capture() -> tuple[list[str], Any]:
    seen: list[str] = []

    def transport(url: str, body: bytes, headers: Mapping[str, str]) -> int:
        stripe.WebhookSignature.verify_header(
            body.decode(), headers["Stripe-Signature"], DEFAULT_WEBHOOK_SECRET, 300
        )
        seen.append(json.loads(body)["id"])
        return 200

    return seen, transport


def test_without_knobs_order_is_creation_order() -> None:
    fake = FakeStripe()
    seen, transport = _capture()
    deliverer = WebhookDeliverer(fake, "http://endpoint", transport=transport)
    ids = _make_events(fake, 30)
    deliverer.deliver_pending()
    assert seen == ids


def test_duplicate_knob_delivers_again_later() -> None:
    fake = FakeStripe()
    seen, transport = _capture()
    deliverer = WebhookDeliverer(fake, "http://endpoint", duplicate=1.0, transport=transport)
    ids = _make_events(fake, 20)
    deliverer.deliver_pending()
    assert sorted(seen) == sorted(ids * 2)
    for event_id in ids:
        first = seen.index(event_id)
        assert event_id in seen[first + 1 :]


def test_out_of_order_knob_shuffles_repeatably() -> None:
    def run(seed: int) -> tuple[list[str], list[str]]:
        fake = FakeStripe(seed=1)
        seen, transport = _capture()
        deliverer = WebhookDeliverer(
            fake,
            "http://endpoint",
            duplicate=0.2,
            out_of_order=0.5,
            seed=seed,
            transport=transport,
        )
        ids = _make_events(fake, 50)
        deliverer.deliver_pending()
        return seen, ids

    seen, ids = run(seed=5)
    assert seen != ids and set(seen) == set(ids) and len(seen) > len(ids)
    assert run(seed=5)[0] == seen
    assert run(seed=6)[0] != seen
    assert FakeStripe(seed=1).events() == []


def test_listeners_see_each_new_event() -> None:
    fake = FakeStripe()
    seen: list[str] = []
    fake.on_event(lambda event: seen.append(event["type"]))
    fake.emit_event("payout.paid", {"id": "po_1", "object": "payout"})
    assert seen == ["payout.paid"]
