"""The Stripe adapters against the fake server: plain dicts out, shared errors only."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from local_emulator.fakes.stripe import FakeStripe, FakeStripeServer
from shared.adapters.clock import ManualClock
from shared.adapters.local_secrets import InMemorySecretStore
from shared.adapters.stripe_billing import StripeApiBilling
from shared.adapters.stripe_gateway import SERVICES, StripeApiGateway
from shared.errors import (
    AuthenticationError,
    MappingGapError,
    NotFoundError,
    SyncError,
    ThrottledError,
    TransientError,
    UpstreamUnavailableError,
    ValidationFailedError,
)
from shared.ports import StripeBilling, StripeGateway
from tests.functional.stripe_fixtures import (
    reference_fixtures,
    running_fake,
    secrets_for,
    seed_invoice_with_lines,
    settings_for,
)

Fake = tuple[FakeStripe, FakeStripeServer, ManualClock]
PREFIXES = {
    "customer": "cus",
    "invoice": "in",
    "invoiceitem": "ii",
    "invoice_payment": "inpay",
    "charge": "ch",
    "payment_intent": "pi",
    "refund": "re",
    "credit_note": "cn",
    "dispute": "dp",
    "payout": "po",
    "balance_transaction": "txn",
    "product": "prod",
    "price": "price",
    "payment_record": "pr",
    "tax_rate": "txr",
    "event": "evt",
}


@pytest.fixture
def env() -> Iterator[Fake]:
    with running_fake() as running:
        yield running


@pytest.fixture
def gateway(env: Fake) -> StripeApiGateway:
    return StripeApiGateway(settings_for(env[1]), secrets_for(env[0]))


@pytest.fixture
def billing(env: Fake) -> StripeApiBilling:
    return StripeApiBilling(settings_for(env[1]), secrets_for(env[0]))


def _only_plain(value: Any) -> None:
    assert type(value) in (dict, list, str, int, bool, float, type(None)), type(value)
    if isinstance(value, dict):
        for item in value.values():
            _only_plain(item)
    elif isinstance(value, list):
        for item in value:
            _only_plain(item)


def test_adapters_satisfy_the_ports(gateway: StripeApiGateway, billing: StripeApiBilling) -> None:
    as_gateway: StripeGateway = gateway
    as_billing: StripeBilling = billing
    assert as_gateway is gateway and as_billing is billing
    assert set(PREFIXES) == set(SERVICES)


@pytest.mark.parametrize("object_type", sorted(PREFIXES))
def test_retrieve_each_type_as_plain_dicts(
    env: Fake, gateway: StripeApiGateway, object_type: str
) -> None:
    object_id = f"{PREFIXES[object_type]}_T1"
    env[0].seed_object(
        {
            "id": object_id,
            "object": object_type,
            "amount": 1234,
            "metadata": {"k": "v"},
            "nested": {"list": [{"a": 1}, {"b": [2, 3]}]},
            "data": {"object": {"id": "cus_x", "object": "customer"}},
        }
    )
    found = gateway.retrieve(object_type, object_id)
    assert found["id"] == object_id and found["object"] == object_type
    assert found["amount"] == 1234 and found["metadata"] == {"k": "v"}
    assert found["nested"] == {"list": [{"a": 1}, {"b": [2, 3]}]}
    _only_plain(found)


def test_retrieve_stripes_reference_fixtures(env: Fake, gateway: StripeApiGateway) -> None:
    fixtures = reference_fixtures()  # skips, saying why, without ../shared/reference
    assert fixtures, "the reference folder holds no Stripe fixtures"
    env[0].events_retention_days = None  # the fixtures date from 2009
    for name, obj in fixtures.items():
        if obj.get("object") not in SERVICES or name == "invoice_payment":
            continue  # the invoice_payment fixture uses a placeholder id shared with others
        env[0].seed_object(obj)
        found = gateway.retrieve(obj["object"], obj["id"])
        _only_plain(found)
        if obj["object"] != "invoice":  # the fake adds livemode where the fixture omits it
            assert {**found, "livemode": None} == {**obj, "livemode": None}
    invoice = fixtures["invoice"]
    lines = gateway.list_invoice_lines(invoice["id"])
    assert lines == invoice["lines"]["data"]


def test_list_invoice_lines_across_pages(env: Fake, gateway: StripeApiGateway) -> None:
    seed_invoice_with_lines(env[0], "in_big", 250)
    before = env[0].request_counts().get("invoice.lines", 0)
    lines = gateway.list_invoice_lines("in_big")
    assert [line["id"] for line in lines] == [f"il_in_big_{i:04d}" for i in range(250)]
    assert sum(line["amount"] for line in lines) == sum(100 + i for i in range(250))
    assert env[0].request_counts()["invoice.lines"] - before == 3  # pages of 100
    with pytest.raises(NotFoundError):
        gateway.list_invoice_lines("in_absent")


def test_list_events_filters_oldest_first(env: Fake, gateway: StripeApiGateway) -> None:
    fake, _, clock = env
    t0 = fake.now()
    for i in range(130):
        kind = ("invoice.paid", "invoice.finalized", "customer.created")[i % 3]
        fake.emit_event(kind, {"id": f"obj_{i}", "object": "x"})
        clock.advance(10 if i % 2 else 0)
    every = gateway.list_events()
    assert [e["data"]["object"]["id"] for e in every] == [f"obj_{i}" for i in range(130)]
    _only_plain(every)
    paid = gateway.list_events(types=["invoice.paid"])
    assert len(paid) == 44 and {e["type"] for e in paid} == {"invoice.paid"}
    both = gateway.list_events(types=["invoice.*", "customer.created"])
    assert len(both) == 130
    assert [e["created"] for e in both] == sorted(e["created"] for e in both)
    window = gateway.list_events(created_gte=t0 + 100, created_lte=t0 + 200)
    assert window and all(t0 + 100 <= e["created"] <= t0 + 200 for e in window)
    assert gateway.list_events(delivery_success=False) == []
    assert len(gateway.list_events(delivery_success=True)) == 130
    many_types = [f"type.{i}" for i in range(25)] + ["customer.created"]
    assert len(gateway.list_events(types=many_types)) == 43  # split into queries of 20


def test_not_found_and_unknown_type(gateway: StripeApiGateway) -> None:
    with pytest.raises(NotFoundError) as caught:
        gateway.retrieve("invoice", "in_missing")
    assert "in_missing" in caught.value.message
    with pytest.raises(NotFoundError):
        gateway.retrieve("customer", "cus_missing")
    with pytest.raises(MappingGapError):
        gateway.retrieve("subscription_schedule", "sub_sched_1")


def test_wrong_key_is_an_authentication_error(env: Fake) -> None:
    secrets = InMemorySecretStore({"stripe-secret-key": "sk_test_revoked_key_123456"})
    gateway = StripeApiGateway(settings_for(env[1]), secrets)
    with pytest.raises(AuthenticationError) as caught:
        gateway.retrieve("customer", "cus_1")
    assert "sk_test" not in caught.value.message


def test_each_adapter_reads_stripe_with_its_own_key(env: Fake) -> None:
    """The read key for the gateway, the invoicing key for the one function that writes: with
    only the invoicing key valid, billing works and the gateway is refused, and the other way."""
    fake, server = env[0], env[1]
    fake.seed_object({"id": "cus_1", "object": "customer", "created": 1})
    only_invoicing = InMemorySecretStore(
        {"stripe-secret-key": "sk_test_revoked_key_123456", "stripe-invoicing-key": fake.api_key}
    )
    assert StripeApiBilling(settings_for(server), only_invoicing).list_invoices("cus_1") == []
    with pytest.raises(AuthenticationError):
        StripeApiGateway(settings_for(server), only_invoicing).retrieve("customer", "cus_1")
    only_read = InMemorySecretStore({"stripe-secret-key": fake.api_key})
    assert StripeApiGateway(settings_for(server), only_read).retrieve("customer", "cus_1")
    with pytest.raises(NotFoundError):  # no invoicing key in this store: billing cannot start
        StripeApiBilling(settings_for(server), only_read).list_invoices("cus_1")


def test_missing_key_secret_is_not_found(env: Fake) -> None:
    gateway = StripeApiGateway(settings_for(env[1]), InMemorySecretStore())
    with pytest.raises(NotFoundError):
        gateway.retrieve("customer", "cus_1")


def test_throttling_and_5xx_and_outage_are_transient(env: Fake, gateway: StripeApiGateway) -> None:
    fake = env[0]
    fake.seed_object({"id": "cus_ok", "object": "customer"})
    fake.fail_next("stripe_429")
    with pytest.raises(ThrottledError):
        gateway.retrieve("customer", "cus_ok")
    fake.fail_next("stripe_5xx")
    with pytest.raises(UpstreamUnavailableError) as caught:
        gateway.list_events()
    assert caught.value.code == "stripe_500"
    fake.set_faults(outage=True)
    for call in (
        lambda: gateway.retrieve("customer", "cus_ok"),
        lambda: gateway.list_invoice_lines("in_x"),
    ):
        with pytest.raises(UpstreamUnavailableError) as caught:
            call()
        assert caught.value.code == "stripe_503" and isinstance(caught.value, TransientError)
    fake.set_faults(outage=False)
    assert gateway.retrieve("customer", "cus_ok")["id"] == "cus_ok"


def test_connection_refused_is_unavailable(env: Fake) -> None:
    fake, server, _ = env
    settings = settings_for(server)
    server.stop()
    gateway = StripeApiGateway(settings, secrets_for(fake))
    with pytest.raises(UpstreamUnavailableError):
        gateway.retrieve("customer", "cus_1")


def test_client_is_built_once(env: Fake) -> None:
    class CountingSecrets(InMemorySecretStore):
        reads = 0

        def get(self, name: str) -> str:
            CountingSecrets.reads += 1
            return super().get(name)

    env[0].seed_object({"id": "cus_1", "object": "customer"})
    gateway = StripeApiGateway(
        settings_for(env[1]), CountingSecrets({"stripe-secret-key": env[0].api_key})
    )
    for _ in range(3):
        gateway.retrieve("customer", "cus_1")
    assert CountingSecrets.reads == 1


# --- the settlement flow's writes --------------------------------------------------------------


def _customer(env: Fake) -> str:
    env[0].seed_object({"id": "cus_set", "object": "customer", "invoice_prefix": "ABCD1234"})
    return "cus_set"


def test_billing_creates_an_invoice_idempotently(env: Fake, billing: StripeApiBilling) -> None:
    fake, customer = env[0], _customer(env)
    params = {
        "customer": customer,
        "collection_method": "send_invoice",
        "days_until_due": 14,
        "metadata": {"settlement_id": "set_42"},
        "custom_fields": [{"name": "Settlement", "value": "set_42"}],
    }
    draft = billing.create_invoice(params, "set_42:invoice")
    assert billing.create_invoice(params, "set_42:invoice")["id"] == draft["id"]
    item = {"customer": customer, "invoice": draft["id"], "amount": 9_900, "currency": "usd"}
    first = billing.create_invoice_item(item, "set_42:item:0")
    assert billing.create_invoice_item(item, "set_42:item:0")["id"] == first["id"]
    final = billing.finalize_invoice(draft["id"], "set_42:finalize")
    assert final["number"] == "ABCD1234-0001" and final["total"] == 9_900
    assert billing.finalize_invoice(draft["id"], "set_42:finalize")["number"] == final["number"]
    assert billing.send_invoice(draft["id"], "set_42:send")["status"] == "open"
    fetched = billing.retrieve_invoice(draft["id"])
    assert fetched["status"] == "open" and fetched["lines"]["data"][0]["amount"] == 9_900
    _only_plain(fetched)
    invoice_events = [e["type"] for e in fake.events() if e["type"].startswith("invoice.")]
    assert invoice_events == ["invoice.created", "invoice.finalized", "invoice.sent"]


def test_billing_reused_key_with_other_params_is_a_validation_error(
    env: Fake, billing: StripeApiBilling
) -> None:
    customer = _customer(env)
    billing.create_invoice({"customer": customer}, "k1")
    with pytest.raises(ValidationFailedError) as caught:
        billing.create_invoice({"customer": customer, "description": "other"}, "k1")
    assert caught.value.code == "stripe_idempotency"
    with pytest.raises(ValidationFailedError) as invalid:
        billing.create_invoice_item({"customer": customer, "amount": 5}, "k2")  # no currency
    assert invalid.value.code == "parameter_missing" and "currency" in invalid.value.message
    with pytest.raises(NotFoundError):
        billing.create_invoice({"customer": "cus_gone"}, "k3")
    with pytest.raises(NotFoundError):
        billing.retrieve_invoice("in_gone")


def test_billing_lists_invoices_by_settlement(env: Fake, billing: StripeApiBilling) -> None:
    customer = _customer(env)
    env[0].seed_object({"id": "cus_other", "object": "customer"})
    for i in range(105):
        billing.create_invoice(
            {"customer": customer, "metadata": {"settlement_id": f"set_{i % 3}"}}, f"inv-{i}"
        )
    billing.create_invoice({"customer": "cus_other", "metadata": {"settlement_id": "set_0"}}, "x")
    assert len(billing.list_invoices(customer)) == 105
    found = billing.list_invoices(customer, metadata_settlement_id="set_0")
    assert len(found) == 35 and all(i["customer"] == customer for i in found)
    assert billing.list_invoices(customer, metadata_settlement_id="set_9") == []


def test_billing_faults_are_transient(env: Fake, billing: StripeApiBilling) -> None:
    customer = _customer(env)
    env[0].fail_next("stripe_429")
    with pytest.raises(ThrottledError):
        billing.create_invoice({"customer": customer}, "k")
    env[0].set_faults(outage=True)
    with pytest.raises(UpstreamUnavailableError):
        billing.finalize_invoice("in_x", "k2")
    env[0].set_faults(outage=False)
    # the throttled attempt never ran, so the same key now creates the invoice
    assert billing.create_invoice({"customer": customer}, "k")["customer"] == customer


def test_no_stripe_exception_escapes(env: Fake, billing: StripeApiBilling) -> None:
    env[0].set_faults(stripe_5xx=1.0)
    try:
        billing.list_invoices("cus_x")
    except SyncError:
        pass
    else:
        pytest.fail("expected a SyncError")
