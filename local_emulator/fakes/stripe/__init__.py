"""A faithful fake of the parts of Stripe's v1 API the sync uses, served over local HTTP."""

from .app import RESOURCES, FakeStripeApp
from .errors import StripeApiError
from .forms import decode_form
from .server import FakeStripeServer
from .state import (
    DEFAULT_API_KEY,
    DEFAULT_WEBHOOK_SECRET,
    FakeStripe,
    Faults,
    RequestContext,
)
from .versions import API_VERSION
from .webhooks import DeliveryReport, Transport, WebhookDeliverer, http_transport, sign_payload

__all__ = [
    "API_VERSION",
    "DEFAULT_API_KEY",
    "DEFAULT_WEBHOOK_SECRET",
    "RESOURCES",
    "DeliveryReport",
    "FakeStripe",
    "FakeStripeApp",
    "FakeStripeServer",
    "Faults",
    "RequestContext",
    "StripeApiError",
    "Transport",
    "WebhookDeliverer",
    "decode_form",
    "http_transport",
    "sign_payload",
]
