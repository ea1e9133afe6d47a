"""The fake Stripe's billing flows through the real stripe client: the customer balance, shipping,
payments attached to invoices, payment records; its one API version; restricted keys."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
import stripe

from local_emulator.fakes.stripe import FakeStripe, FakeStripeServer
from local_emulator.fakes.stripe.versions import API_VERSION
from shared.adapters.clock import ManualClock
from tests.functional.stripe_fixtures import client_for, running_fake

Fake = tuple[FakeStripe, FakeStripeServer, ManualClock]


@pytest.fixture
def env() -> Iterator[Fake]:
    with running_fake() as running:
        yield running


@pytest.fixture
def client(env: Fake) -> stripe.StripeClient:
    return client_for(env[1])


def invoice_of(client: stripe.StripeClient, customer: str, amount: int, **extra: Any) -> Any:
    invoice = client.v1.invoices.create(
        {"customer": customer, "collection_method": "send_invoice", "days_until_due": 30, **extra}
    )
    client.v1.invoice_items.create(
        {"customer": customer, "invoice": invoice.id, "amount": amount, "currency": "usd"}
    )
    return invoice


def test_the_customer_balance_pays_what_it_can_at_finalization(
    client: stripe.StripeClient,
) -> None:
    customer = client.v1.customers.create({"name": "B"})
    credit = client.v1.customers.balance_transactions.create(
        customer.id, {"amount": -5_000, "currency": "usd", "description": "Goodwill"}
    )
    assert (credit.type, credit.ending_balance) == ("adjustment", -5_000)
    covered = client.v1.invoices.finalize_invoice(invoice_of(client, customer.id, 3_000).id)
    assert (covered.status, covered.amount_due, covered.amount_paid) == ("paid", 0, 0)
    assert (covered.starting_balance, covered.ending_balance) == (-5_000, -2_000)
    partly = client.v1.invoices.finalize_invoice(invoice_of(client, customer.id, 4_500).id)
    assert (partly.status, partly.amount_due, partly.amount_remaining) == ("open", 2_500, 2_500)
    assert (partly.starting_balance, partly.ending_balance) == (-2_000, 0)
    assert client.v1.customers.retrieve(customer.id).balance == 0
    applied = client.v1.customers.balance_transactions.list(
        customer.id, {"invoice": partly.id}
    ).data
    assert [(t.type, t.amount) for t in applied] == [("applied_to_invoice", 2_000)]
    listed = client.v1.customers.balance_transactions.list(customer.id).data
    assert [t.type for t in listed] == ["applied_to_invoice", "applied_to_invoice", "adjustment"]
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.customers.balance_transactions.create(
            customer.id, {"amount": 5, "currency": "eur"}
        )
    assert caught.value.param == "currency"


def test_shipping_is_part_of_the_total(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create({"name": "S"})
    rate = {"display_name": "Ground", "fixed_amount": {"amount": 900, "currency": "usd"}}
    invoice = invoice_of(client, customer.id, 4_000, shipping_cost={"shipping_rate_data": rate})
    invoice = client.v1.invoices.retrieve(invoice.id)
    assert (invoice.subtotal, invoice.amount_shipping, invoice.total) == (4_000, 900, 4_900)
    assert invoice.shipping_cost.amount_total == 900
    assert invoice.shipping_cost.shipping_rate.startswith("shr_")
    finalized = client.v1.invoices.finalize_invoice(invoice.id)
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.invoices.update(finalized.id, {"shipping_cost": {"shipping_rate": "shr_x"}})


def test_a_payment_intent_paid_alone_then_attached(env: Fake, client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create({"name": "A"})
    invoice = client.v1.invoices.finalize_invoice(invoice_of(client, customer.id, 10_000).id)
    intent = client.v1.payment_intents.create(
        {
            "amount": 4_000,
            "currency": "usd",
            "customer": customer.id,
            "payment_method": "pm_card_visa",
            "confirm": True,
        }
    )
    assert intent.status == "succeeded" and intent.latest_charge
    attached = client.v1.invoices.attach_payment(invoice.id, {"payment_intent": intent.id})
    assert (attached.status, attached.amount_paid, attached.amount_remaining) == (
        "open",
        4_000,
        6_000,
    )
    (payment,) = client.v1.invoice_payments.list(
        {"invoice": invoice.id, "expand": ["data.payment.payment_intent"]}
    ).data
    assert payment.is_default is False and payment.payment.type == "payment_intent"
    assert payment.payment.payment_intent.latest_charge == intent.latest_charge
    types = [e["type"] for e in env[0].events()]
    assert types[-2:] == ["invoice_payment.paid", "invoice.updated"]
    with pytest.raises(stripe.InvalidRequestError):  # more than what remains
        big = client.v1.payment_intents.create(
            {"amount": 9_000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True}
        )
        client.v1.invoices.attach_payment(invoice.id, {"payment_intent": big.id})


def test_a_payment_recorded_outside_stripe(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create({"name": "R"})
    invoice = client.v1.invoices.finalize_invoice(invoice_of(client, customer.id, 7_000).id)
    record = client.v1.payment_records.report_payment(
        {
            "amount_requested": {"currency": "usd", "value": 7_000},
            "initiated_at": 1_772_000_000,
            "outcome": "guaranteed",
            "guaranteed": {"guaranteed_at": 1_772_000_100},
            "payment_method_details": {"custom": {"display_name": "Wire"}, "type": "custom"},
            "processor_details": {"custom": {"payment_reference": "W-1"}, "type": "custom"},
            "customer_details": {"customer": customer.id},
        }
    )
    assert record.reported_by == "self" and record.amount.value == 7_000
    paid = client.v1.invoices.attach_payment(invoice.id, {"payment_record": record.id})
    assert paid.status == "paid"
    (payment,) = client.v1.invoice_payments.list({"invoice": invoice.id}).data
    assert payment.payment.type == "payment_record" and payment.payment.payment_record == record.id
    refunded = client.v1.payment_records.report_refund(
        record.id,
        {
            "amount": {"currency": "usd", "value": 2_000},
            "outcome": "refunded",
            "processor_details": {"custom": {"refund_reference": "R-1"}, "type": "custom"},
        },
    )
    assert refunded.amount_refunded.value == 2_000
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.payment_records.report_refund(
            record.id,
            {
                "amount": {"currency": "usd", "value": 5_001},
                "outcome": "refunded",
                "processor_details": {"custom": {"refund_reference": "R-2"}, "type": "custom"},
            },
        )


def test_one_api_version_is_served(env: Fake) -> None:
    fake, server, _ = env
    assert fake.api_version == API_VERSION == stripe.api_version
    headers = {"Authorization": f"Bearer {fake.api_key}"}
    url = f"{server.base_url}/v1/customers"
    assert requests.get(url, headers=headers, timeout=5).status_code == 200
    pinned = requests.get(url, headers={**headers, "Stripe-Version": API_VERSION}, timeout=5)
    assert pinned.status_code == 200
    older = requests.get(url, headers={**headers, "Stripe-Version": "2025-03-31.basil"}, timeout=5)
    assert older.status_code == 400
    assert older.json()["error"]["code"] == "api_version_unsupported"
    garbled = requests.get(url, headers={**headers, "Stripe-Version": "last-tuesday"}, timeout=5)
    assert garbled.status_code == 400
    assert garbled.json()["error"]["message"] == "Invalid Stripe API version: last-tuesday"
    client = stripe.StripeClient(
        fake.api_key,
        base_addresses={"api": server.base_url},
        max_network_retries=0,
        stripe_version="2024-06-20",
    )
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.customers.list()


def test_a_restricted_key_is_refused_outside_its_permissions(env: Fake) -> None:
    fake, server, _ = env
    fake.add_restricted_key("rk_test_readonly_invoices", read={"invoice", "customer"})
    fake.seed_object({"id": "prod_1", "object": "product", "name": "Kit", "active": True})
    client = client_for(server, "rk_test_readonly_invoices")
    assert client.v1.customers.list().data == []
    with pytest.raises(stripe.PermissionError) as caught:
        client.v1.products.retrieve("prod_1")
    assert caught.value.http_status == 403
    assert "'rak_product_read' permission" in str(caught.value.user_message)
    with pytest.raises(stripe.PermissionError):  # read only: no writes
        client.v1.customers.create({"name": "X"})


def test_removed_fields_are_never_seeded_and_deleted_products_are_gone(env: Fake) -> None:
    fake, server, _ = env
    with pytest.raises(ValueError, match="paid_out_of_band"):
        fake.seed_object({"id": "in_old", "object": "invoice", "paid_out_of_band": True})
    line = {"id": "il_1", "object": "line_item", "amount": 5, "currency": "usd", "price": {}}
    with pytest.raises(ValueError, match=r"lines\[0\]\.price"):
        fake.seed_object({"id": "in_old2", "object": "invoice", "lines": [line]})
    fake.seed_object({"id": "prod_gone", "object": "product", "deleted": True})
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client_for(server).v1.products.retrieve("prod_gone")
    assert caught.value.http_status == 404 and caught.value.code == "resource_missing"
