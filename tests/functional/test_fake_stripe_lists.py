"""The fake Stripe lists what a backfill reads, by ``created`` range and page, as Stripe does;
through the real stripe client and our gateway's ``list_page``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import stripe

from local_emulator.fakes.stripe import FakeStripe, FakeStripeServer
from shared.adapters.stripe_gateway import StripeApiGateway
from shared.contracts.models import BACKFILL_TYPES
from tests.functional.stripe_fixtures import client_for, running_fake, secrets_for, settings_for

T0 = 1_767_225_600  # 2026-01-01


@pytest.fixture
def served() -> Iterator[tuple[FakeStripe, FakeStripeServer]]:
    with running_fake() as (fake, server, _):
        yield fake, server


def _seed(fake: FakeStripe, object_type: str, count: int, **fields: Any) -> list[str]:
    prefix = object_type[:3]
    ids = [f"{prefix}_{object_type}{i:03d}" for i in range(count)]
    for i, object_id in enumerate(ids):
        fake.seed_object({"id": object_id, "object": object_type, "created": T0 + i, **fields})
    return ids


@pytest.mark.parametrize("object_type", BACKFILL_TYPES)
def test_each_backfill_type_pages_through_a_created_range_newest_first(
    served: tuple[FakeStripe, FakeStripeServer], object_type: str
) -> None:
    fake, server = served
    ids = _seed(fake, object_type, 130)
    gateway = StripeApiGateway(settings_for(server), secrets_for(fake))
    window = {"created": {"gte": T0 + 10, "lte": T0 + 119}}
    seen: list[str] = []
    cursor = None
    while True:
        page = gateway.list_page(object_type, window, starting_after=cursor, limit=100)
        seen.extend(o["id"] for o in page.objects)
        if not page.has_more:
            break
        cursor = page.objects[-1]["id"]
    assert seen == list(reversed(ids[10:120]))


def test_other_range_and_field_filters_stripe_declares(
    served: tuple[FakeStripe, FakeStripeServer],
) -> None:
    fake, server = served
    client = client_for(server)
    for i, arrival in enumerate((T0 + 86_400, T0 + 5 * 86_400)):
        fake.seed_object({"id": f"po_{i}", "object": "payout", "arrival_date": arrival})
    late = client.v1.payouts.list({"arrival_date": {"gt": T0 + 2 * 86_400}})
    assert [p.id for p in late.data] == ["po_1"]
    _seed(fake, "product", 3)
    chosen = client.v1.products.list({"ids": ["pro_product000", "pro_product002"]})
    assert sorted(p.id for p in chosen.data) == ["pro_product000", "pro_product002"]
    fake.seed_object({"id": "cus_gone", "object": "customer", "deleted": True})
    assert "cus_gone" not in [c.id for c in client.v1.customers.list().data]
    with pytest.raises(stripe.InvalidRequestError, match="unknown parameter: arrival_date"):
        client.v1.charges.list({"arrival_date": {"gt": 1}})  # type: ignore[typeddict-unknown-key]
    with pytest.raises(stripe.InvalidRequestError, match="Invalid integer: soon"):
        client.v1.charges.list({"created": {"gte": "soon"}})  # type: ignore[typeddict-item]


def test_an_invoice_includes_its_payments_only_when_asked(
    served: tuple[FakeStripe, FakeStripeServer],
) -> None:
    fake, server = served
    fake.seed_object({"id": "in_1", "object": "invoice", "status": "paid", "lines": []})
    for i in range(12):
        fake.seed_object(
            {"id": f"inpay_{i:02d}", "object": "invoice_payment", "invoice": "in_1", "created": i}
        )
    fake.seed_object({"id": "inpay_other", "object": "invoice_payment", "invoice": "in_2"})
    gateway = StripeApiGateway(settings_for(server), secrets_for(fake))
    assert "payments" not in gateway.retrieve("invoice", "in_1")
    payments = gateway.retrieve("invoice", "in_1", expand=["payments"])["payments"]
    assert payments["has_more"] is True
    assert [p["id"] for p in payments["data"]] == [f"inpay_{i:02d}" for i in range(11, 1, -1)]


def test_listing_by_a_manual_payout_is_refused() -> None:
    """``payout``: "For automatic Stripe payouts only" (stripe-python's list params)."""
    with running_fake() as (fake, server, _clock):
        fake.seed_object({"id": "po_auto", "object": "payout", "automatic": True, "created": T0})
        fake.seed_object({"id": "po_man", "object": "payout", "automatic": False, "created": T0})
        client = client_for(server)
        assert client.v1.balance_transactions.list({"payout": "po_auto"}).data == []
        with pytest.raises(stripe.InvalidRequestError) as refused:
            client.v1.balance_transactions.list({"payout": "po_man"})
        assert refused.value.http_status == 400
        assert refused.value.param == "payout"
        assert "automatic" in str(refused.value.user_message)
