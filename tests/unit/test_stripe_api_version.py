"""One Stripe API version, pinned in the code and visible everywhere it matters.

Upgrading the stripe library never changes the version silently: a library pinned to another
version fails here, so that raising STRIPE_API_VERSION (and the fake, the generator and the
Terraform default with it) is a deliberate change, made after reading Stripe's changelog.
"""

from __future__ import annotations

import pytest
import stripe
from pydantic import ValidationError

from local_emulator.fakes.stripe.versions import API_VERSION as FAKE_VERSION
from local_emulator.generator.objects import API_VERSION as GENERATOR_VERSION
from shared.adapters.local_secrets import InMemorySecretStore
from shared.adapters.stripe_common import StripeClientFactory
from shared.config import STRIPE_API_VERSION, Settings


def test_the_code_the_fake_and_the_generator_name_the_library_s_pinned_version() -> None:
    assert stripe.api_version == STRIPE_API_VERSION, (
        f"stripe {stripe.VERSION} pins {stripe.api_version}; the code is written for "
        f"{STRIPE_API_VERSION}: read the changelog, then move every pin together"
    )
    assert FAKE_VERSION == GENERATOR_VERSION == STRIPE_API_VERSION


def test_the_setting_defaults_to_the_pinned_version_and_refuses_nonsense() -> None:
    assert Settings().stripe_api_version == STRIPE_API_VERSION
    assert Settings(stripe_api_version="2025-03-31.basil").stripe_api_version.endswith("basil")
    for bad in ("", "latest", "2025-03-31 basil"):
        with pytest.raises(ValidationError):
            Settings(stripe_api_version=bad)


def test_every_request_names_the_version() -> None:
    secrets = InMemorySecretStore({"stripe-secret-key": "sk_test_x"})
    client = StripeClientFactory(Settings(), secrets).get()
    assert client._requestor._options.stripe_version == STRIPE_API_VERSION
