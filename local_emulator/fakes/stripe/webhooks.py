"""Webhook signing and delivery, with seeded duplicate and out-of-order knobs."""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from .state import FakeStripe, JsonDict

# (url, body, headers) -> HTTP status; the default POSTs over HTTP with urllib
Transport = Callable[[str, bytes, Mapping[str, str]], int]


def sign_payload(payload: bytes, secret: str, timestamp: int) -> str:
    """Stripe's header: ``t=<ts>,v1=<hex HMAC-SHA256 of "<ts>.<payload>">``."""
    signed = str(timestamp).encode() + b"." + payload
    digest = hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def http_transport(timeout: float = 10.0) -> Transport:
    def post(url: str, body: bytes, headers: Mapping[str, str]) -> int:
        if not url.startswith(("http://", "https://")):
            raise ValueError("webhook URLs are http(s)")
        request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                return int(response.status)
        except urllib.error.HTTPError as error:
            return int(error.code)
        except (urllib.error.URLError, TimeoutError, ConnectionError):
            return 0  # no answer: a failed delivery, like Stripe's

    return post


@dataclass
class DeliveryReport:
    """What one round of delivery did, in the order it did it."""

    attempts: list[tuple[str, int]] = field(default_factory=list)  # (event id, status)

    @property
    def delivered(self) -> list[str]:
        return [event_id for event_id, status in self.attempts if 200 <= status < 300]

    @property
    def failed(self) -> list[str]:
        return [event_id for event_id, status in self.attempts if not 200 <= status < 300]


class WebhookDeliverer:
    """POSTs events to one endpoint, signed with the fake's secret.

    ``duplicate``: probability that an event is sent a second time later in the round.
    ``out_of_order``: probability that an event is moved up to ``reorder_window`` places later.
    Both draw from a generator seeded with ``seed``, so a run can be repeated exactly.
    """

    def __init__(
        self,
        fake: FakeStripe,
        url: str,
        *,
        duplicate: float = 0.0,
        out_of_order: float = 0.0,
        reorder_window: int = 5,
        seed: int = 0,
        secret: str | None = None,
        transport: Transport | None = None,
        sign_time: Callable[[], int] | None = None,
    ) -> None:
        self.fake = fake
        self.url = url
        self.duplicate = duplicate
        self.out_of_order = out_of_order
        self.reorder_window = reorder_window
        self.secret = secret or fake.webhook_secret
        self._rng = random.Random(f"webhooks-{seed}")
        self._transport = transport or http_transport()
        # wall time by default: verifiers compare the signature's t= with their own clock
        self._sign_time = sign_time or (lambda: int(time.time()))
        fake.register_webhook_endpoint(url)

    def schedule(self, events: Sequence[JsonDict]) -> list[JsonDict]:
        """The order events go out in: with duplicates added and some moved later."""
        keyed: list[tuple[float, int, JsonDict]] = []
        for index, event in enumerate(events):
            keyed.append((self._position(index), len(keyed), event))
            if self.duplicate and self._rng.random() < self.duplicate:
                later = index + 1 + self._rng.random() * self.reorder_window
                keyed.append((later, len(keyed), event))
        return [event for _, _, event in sorted(keyed, key=lambda k: (k[0], k[1]))]

    def _position(self, index: int) -> float:
        if self.out_of_order and self._rng.random() < self.out_of_order:
            return index + 1 + self._rng.random() * self.reorder_window
        return float(index)

    def deliver(self, events: Sequence[JsonDict]) -> DeliveryReport:
        """Deliver these events (after the duplicate and reorder knobs)."""
        report = DeliveryReport()
        for event in self.schedule(events):
            status = self.send(event)
            report.attempts.append((event["id"], status))
        return report

    def deliver_pending(self) -> DeliveryReport:
        """Deliver every event this endpoint has not yet acknowledged, oldest first."""
        return self.deliver(self.fake.pending_for(self.url))

    def send(self, event: JsonDict) -> int:
        """One signed POST of one event, exactly as given; records the outcome."""
        body = json.dumps(event, indent=2).encode("utf-8")
        header = sign_payload(body, self.secret, self._sign_time())
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Stripe-Signature": header,
            "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        }
        status = self._transport(self.url, body, headers)
        self.fake.record_delivery(event["id"], self.url, 200 <= status < 300)
        return status
