"""The real stripe client against the fake Stripe server on localhost."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, cast

import pytest
import requests
import stripe

from local_emulator.fakes.stripe import FakeStripe, FakeStripeServer, decode_form
from shared.adapters.clock import ManualClock
from tests.functional.stripe_fixtures import client_for, running_fake, seed_invoice_with_lines

Fake = tuple[FakeStripe, FakeStripeServer, ManualClock]


@pytest.fixture
def env() -> Iterator[Fake]:
    with running_fake() as running:
        yield running


@pytest.fixture
def client(env: Fake) -> stripe.StripeClient:
    return client_for(env[1])


def _draft(client: stripe.StripeClient, customer: str, *amounts: int) -> Any:
    invoice = client.v1.invoices.create(
        {
            "customer": customer,
            "collection_method": "send_invoice",
            "days_until_due": 30,
            "custom_fields": [{"name": "Settlement", "value": "S-2026-02"}],
            "metadata": {"settlement_id": "set_1"},
            "description": "February success fee",
            "footer": "Thank you",
        }
    )
    for amount in amounts:
        client.v1.invoice_items.create(
            {"customer": customer, "invoice": invoice.id, "amount": amount, "currency": "usd"}
        )
    return invoice


def test_form_decoding_matches_stripe_python_encoding() -> None:
    pairs = [
        ("metadata[k]", "v"),
        ("metadata[0]", "zero"),
        ("items[0][price]", "price_1"),
        ("items[1][price]", "price_2"),
        ("expand[]", "a"),
        ("expand[]", "b"),
        ("created[gte]", "5"),
        ("plain", "x"),
    ]
    assert decode_form(pairs) == {
        "metadata": {"k": "v", "0": "zero"},
        "items": [{"price": "price_1"}, {"price": "price_2"}],
        "expand": ["a", "b"],
        "created": {"gte": "5"},
        "plain": "x",
    }


def test_invoice_lifecycle(env: Fake, client: stripe.StripeClient) -> None:
    fake, _, clock = env
    customer = client.v1.customers.create(
        {"name": "Acme GmbH", "email": "billing@acme.test", "metadata": {"ledger_id": "L1"}}
    )
    assert customer.id.startswith("cus_") and customer.metadata.to_dict() == {"ledger_id": "L1"}
    invoice = _draft(client, customer.id, 125_000, 2_500)
    client.v1.invoice_items.create(
        {
            "customer": customer.id,
            "invoice": invoice.id,
            "unit_amount_decimal": "333",
            "quantity": 3,
            "currency": "usd",
            "description": "hours",
        }
    )
    assert invoice.status == "draft" and invoice.number is None
    clock.advance(60)
    finalized = client.v1.invoices.finalize_invoice(invoice.id)
    assert re.fullmatch(r"[0-9A-F]{8}-0001", finalized.number)
    assert finalized.number.startswith(customer.invoice_prefix)
    assert finalized.status == "open"
    assert finalized.subtotal == finalized.total == finalized.amount_due == 125_000 + 2_500 + 999
    assert finalized.amount_remaining == finalized.total and finalized.amount_paid == 0
    assert finalized.due_date == invoice.created + 30 * 86_400
    assert finalized.hosted_invoice_url.startswith("https://")
    assert finalized.status_transitions.finalized_at == invoice.created + 60
    assert [line.amount for line in finalized.lines.data] == [125_000, 2_500, 999]
    assert finalized.custom_fields[0].value == "S-2026-02"

    sent = client.v1.invoices.send_invoice(invoice.id)
    assert sent.status == "open"
    paid = client.v1.invoices.pay(invoice.id)
    assert paid.status == "paid" and paid.amount_paid == paid.total and paid.amount_remaining == 0
    (payment,) = client.v1.invoice_payments.list({"invoice": invoice.id}).data
    intent = client.v1.payment_intents.retrieve(payment.payment.payment_intent)
    charge = client.v1.charges.retrieve(intent.latest_charge)
    txn = client.v1.balance_transactions.retrieve(charge.balance_transaction)
    assert charge.amount == paid.total and txn.net == txn.amount - txn.fee and txn.fee > 0
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.invoices.pay(invoice.id)

    second = _draft(client, customer.id, 1_000)
    assert client.v1.invoices.finalize_invoice(second.id).number.endswith("-0002")
    voided = client.v1.invoices.void_invoice(second.id)
    assert voided.status == "void" and voided.status_transitions.voided_at is not None
    third = _draft(client, customer.id, 700)
    client.v1.invoices.finalize_invoice(third.id)
    bad_debt = client.v1.invoices.mark_uncollectible(third.id)
    assert bad_debt.status == "uncollectible"
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.invoices.void_invoice(_draft(client, customer.id, 1).id)

    types = [e["type"] for e in fake.events() if e["data"]["object"].get("id") == invoice.id]
    assert types == [
        "invoice.created",
        "invoice.finalized",
        "invoice.sent",
        "invoice.paid",
        "invoice.payment_succeeded",
    ]
    finalized_event = next(e for e in fake.events() if e["type"] == "invoice.finalized")
    assert finalized_event["data"]["object"]["status"] == "open"  # a snapshot, not live state
    assert finalized_event["request"]["id"].startswith("req_")
    assert finalized_event["request"]["idempotency_key"]  # stripe-python sends one on POST
    assert finalized_event["api_version"] and finalized_event["livemode"] is False
    assert {"charge.succeeded", "payment_intent.succeeded", "customer.created"} <= {
        e["type"] for e in fake.events()
    }


def test_updates_record_previous_attributes(env: Fake, client: stripe.StripeClient) -> None:
    fake = env[0]
    customer = client.v1.customers.create({"name": "Old", "metadata": {"a": "1", "b": "2"}})
    updated = client.v1.customers.update(customer.id, {"name": "New", "metadata": {"a": ""}})
    assert updated.name == "New" and updated.metadata.to_dict() == {"b": "2"}
    event = fake.events()[-1]
    assert event["type"] == "customer.updated"
    assert event["data"]["previous_attributes"] == {
        "name": "Old",
        "metadata": {"a": "1", "b": "2"},
    }
    invoice = _draft(client, customer.id, 100)
    client.v1.invoices.finalize_invoice(invoice.id)
    client.v1.invoices.update(invoice.id, {"metadata": {"qbo": "1"}})
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.invoices.update(invoice.id, {"days_until_due": 5})


def test_pending_items_join_a_draft_only_when_asked(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create({"name": "P"})
    client.v1.invoice_items.create({"customer": customer.id, "amount": 500, "currency": "usd"})
    excluded = client.v1.invoices.create({"customer": customer.id})
    assert excluded.total == 0 and len(excluded.lines.data) == 0
    included = client.v1.invoices.create(
        {"customer": customer.id, "pending_invoice_items_behavior": "include"}
    )
    assert included.total == 500 and len(included.lines.data) == 1


def test_out_of_band_and_zero_invoices(env: Fake, client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create({"name": "O"})
    invoice = _draft(client, customer.id, 4_200)
    client.v1.invoices.finalize_invoice(invoice.id)
    paid = client.v1.invoices.pay(invoice.id, {"paid_out_of_band": True})
    assert paid.status == "paid" and paid.amount_paid == 4_200
    assert len(client.v1.invoice_payments.list({"invoice": invoice.id}).data) == 0
    zero = client.v1.invoices.create({"customer": customer.id})
    assert client.v1.invoices.finalize_invoice(zero.id).status == "paid"


def test_validation_errors(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.invoices.create({"customer": "cus_missing"})
    assert caught.value.code == "resource_missing" and caught.value.param == "customer"
    customer = client.v1.customers.create({})
    with pytest.raises(stripe.InvalidRequestError, match="days_until_due"):
        client.v1.invoices.create({"customer": customer.id, "collection_method": "send_invoice"})
    with pytest.raises(stripe.InvalidRequestError, match="unknown parameter"):
        client.v1.customers.create(cast(Any, {"nonsense": "x"}))


def test_idempotency_replay_and_mismatch(env: Fake, client: stripe.StripeClient) -> None:
    fake = env[0]
    first = client.v1.customers.create({"name": "Once"}, {"idempotency_key": "key-1"})
    again = client.v1.customers.create({"name": "Once"}, {"idempotency_key": "key-1"})
    assert again.id == first.id
    assert again.last_response is not None
    assert again.last_response.headers.get("Idempotent-Replayed") == "true"
    assert first.last_response is not None
    assert "Idempotent-Replayed" not in first.last_response.headers
    assert [e["type"] for e in fake.events()] == ["customer.created"]
    with pytest.raises(stripe.IdempotencyError):
        client.v1.customers.create({"name": "Twice"}, {"idempotency_key": "key-1"})
    # an error answer is replayed too: the first outcome is the outcome
    for _ in range(2):
        with pytest.raises(stripe.InvalidRequestError):
            client.v1.invoices.create({"customer": "cus_nope"}, {"idempotency_key": "key-2"})
    invoice = _draft(client, first.id, 100)
    a = client.v1.invoices.finalize_invoice(invoice.id, None, {"idempotency_key": "fin-1"})
    b = client.v1.invoices.finalize_invoice(invoice.id, None, {"idempotency_key": "fin-1"})
    assert a.number == b.number


def test_list_pagination_over_150_objects(env: Fake, client: stripe.StripeClient) -> None:
    fake, _, clock = env
    for i in range(150):
        fake.seed_object({"id": f"cus_{i:03d}", "object": "customer", "name": f"c{i}"})
        clock.advance(1 if i % 3 else 0)  # some share a second: insertion order breaks ties
    first = client.v1.customers.list({"limit": 100})
    assert len(first.data) == 100 and first.has_more and first.url == "/v1/customers"
    assert first.data[0].id == "cus_149" and first.data[-1].id == "cus_050"
    second = client.v1.customers.list({"limit": 100, "starting_after": first.data[-1].id})
    assert [c.id for c in second.data] == [f"cus_{i:03d}" for i in range(49, -1, -1)]
    assert not second.has_more
    back = client.v1.customers.list({"limit": 10, "ending_before": "cus_050"})
    assert [c.id for c in back.data] == [f"cus_{i:03d}" for i in range(60, 50, -1)]
    assert back.has_more
    everything = [c.id for c in client.v1.customers.list({"limit": 7}).auto_paging_iter()]
    assert everything == [f"cus_{i:03d}" for i in range(149, -1, -1)]
    backwards = client.v1.customers.list({"limit": 9, "ending_before": "cus_100"})
    assert [c.id for c in backwards.auto_paging_iter()] == [f"cus_{i:03d}" for i in range(101, 150)]
    assert len(client.v1.customers.list().data) == 10
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.customers.list({"limit": 101})


def test_invoice_lines_paginate(env: Fake, client: stripe.StripeClient) -> None:
    seed_invoice_with_lines(env[0], "in_many", 23)
    invoice = client.v1.invoices.retrieve("in_many")
    assert len(invoice.lines.data) == 10 and invoice.lines.has_more
    page = client.v1.invoices.line_items.list("in_many", {"limit": 10})
    assert page.has_more and page.url == "/v1/invoices/in_many/lines"
    ids = [line.id for line in page.auto_paging_iter()]
    assert ids == [f"il_in_many_{i:04d}" for i in range(23)]


def test_invoice_list_filters(client: stripe.StripeClient) -> None:
    a = client.v1.customers.create({"name": "A"})
    b = client.v1.customers.create({"name": "B"})
    open_a = _draft(client, a.id, 100)
    client.v1.invoices.finalize_invoice(open_a.id)
    _draft(client, a.id, 200)
    _draft(client, b.id, 300)
    assert len(client.v1.invoices.list({"customer": a.id}).data) == 2
    only_open = client.v1.invoices.list({"customer": a.id, "status": "open"}).data
    assert [i.id for i in only_open] == [open_a.id]


def test_events_filters(env: Fake, client: stripe.StripeClient) -> None:
    fake, _, clock = env
    customer = client.v1.customers.create({"name": "E"})  # t0
    t0 = fake.now()
    clock.advance(100)
    invoice = _draft(client, customer.id, 100)  # t0+100: invoice.created, invoiceitem.created
    clock.advance(100)
    client.v1.invoices.finalize_invoice(invoice.id)  # t0+200
    window = client.v1.events.list({"created": {"gte": t0 + 50, "lte": t0 + 150}})
    assert sorted(e.type for e in window.data) == ["invoice.created", "invoiceitem.created"]
    after = client.v1.events.list({"created": {"gt": t0 + 100}})
    assert [e.type for e in after.data] == ["invoice.finalized"]
    before = client.v1.events.list({"created": {"lt": t0 + 100}})
    assert [e.type for e in before.data] == ["customer.created"]
    wildcard = client.v1.events.list({"type": "invoice.*"})
    assert [e.type for e in wildcard.data] == ["invoice.finalized", "invoice.created"]
    several = client.v1.events.list({"types": ["customer.created", "invoice.finalized"]})
    assert [e.type for e in several.data] == ["invoice.finalized", "customer.created"]
    one = client.v1.events.retrieve(several.data[0].id)
    assert one.data.object.id == invoice.id
    # no endpoint was registered: nothing is pending
    assert len(client.v1.events.list({"delivery_success": False}).data) == 0


def test_balance_transactions_of_a_payout(env: Fake, client: stripe.StripeClient) -> None:
    fake = env[0]
    fake.seed_object(
        {"id": "po_1", "object": "payout", "amount": 900, "balance_transaction": "txn_po"}
    )
    fake.seed_object({"id": "txn_po", "object": "balance_transaction", "amount": -900})
    for i in range(3):
        fake.seed_object(
            {"id": f"txn_{i}", "object": "balance_transaction", "amount": 300, "payout": "po_1"}
        )
    fake.seed_object({"id": "txn_other", "object": "balance_transaction", "payout": "po_2"})
    found = client.v1.balance_transactions.list({"payout": "po_1", "limit": 2})
    ids = {t.id for t in found.auto_paging_iter()}
    assert ids == {"txn_0", "txn_1", "txn_2", "txn_po"}
    assert sum(t.amount for t in found.auto_paging_iter()) == 0


def test_wrong_key_is_401_in_stripes_shape(env: Fake) -> None:
    server = env[1]
    with pytest.raises(stripe.AuthenticationError):
        client_for(server, api_key="sk_test_wrong").v1.customers.list()
    raw = requests.get(f"{server.base_url}/v1/customers", timeout=5)
    assert raw.status_code == 401
    assert raw.json()["error"]["type"] == "invalid_request_error"
    basic = requests.get(f"{server.base_url}/v1/customers", auth=(env[0].api_key, ""), timeout=5)
    assert basic.status_code == 200 and basic.json()["object"] == "list"


def test_unknown_id_is_404_resource_missing(env: Fake, client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.invoices.retrieve("in_missing")
    assert caught.value.http_status == 404 and caught.value.code == "resource_missing"
    raw = requests.get(f"{env[1].base_url}/v1/nothing_here", auth=(env[0].api_key, ""), timeout=5)
    assert raw.status_code == 404 and "Unrecognized request URL" in raw.json()["error"]["message"]


def test_fault_knobs(env: Fake, client: stripe.StripeClient) -> None:
    fake = env[0]
    fake.fail_next("stripe_429")
    with pytest.raises(stripe.RateLimitError):
        client.v1.customers.list()
    fake.fail_next("stripe_5xx", 2)
    for _ in range(2):
        with pytest.raises(stripe.APIError) as caught:
            client.v1.customers.list()
        assert caught.value.http_status == 500
    client.v1.customers.list()
    fake.set_faults(outage=True)
    for _ in range(3):
        with pytest.raises(stripe.APIError) as caught:
            client.v1.customers.list()
        assert caught.value.http_status == 503
    fake.set_faults(outage=False)
    client.v1.customers.list()
    counts = fake.request_counts()
    assert counts["customer.list"] == 8
    assert counts["fault.stripe_429"] == 1 and counts["fault.outage"] == 3


def test_seeded_fault_probability_is_repeatable() -> None:
    def run() -> list[str | None]:
        fake = FakeStripe(seed=3)
        fake.set_faults(stripe_429=0.3, stripe_5xx=0.2)
        return [fake.draw_fault() for _ in range(200)]

    first = run()
    assert first == run()
    assert 30 < first.count("stripe_429") < 90 and 15 < first.count("stripe_5xx") < 70


def test_ids_are_deterministic_for_a_seed() -> None:
    def ids(seed: int) -> list[str]:
        with running_fake(seed=seed) as (_, server, _clock):
            client = client_for(server)
            customer = client.v1.customers.create({"name": "x"})
            invoice = client.v1.invoices.create({"customer": customer.id})
            return [customer.id, invoice.id]

    assert ids(11) == ids(11) != ids(12)
    assert ids(11)[1].startswith("in_")


def test_expand_replaces_ids_with_objects(env: Fake, client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create({"name": "X"})
    invoice = _draft(client, customer.id, 300)
    client.v1.invoices.finalize_invoice(invoice.id)
    client.v1.invoices.pay(invoice.id)
    payment = client.v1.invoice_payments.list(
        {"invoice": invoice.id, "expand": ["data.payment.payment_intent"]}
    ).data[0]
    intent = payment.payment.payment_intent
    assert not isinstance(intent, str) and intent.object == "payment_intent"
    expanded = client.v1.invoices.retrieve(invoice.id, {"expand": ["customer"]})
    assert not isinstance(expanded.customer, str) and expanded.customer.id == customer.id
    assert isinstance(client.v1.invoices.retrieve(invoice.id).customer, str)


def test_events_older_than_30_days_leave_the_events_api(
    env: Fake, client: stripe.StripeClient
) -> None:
    fake, _, clock = env
    old = fake.emit_event("payout.paid", {"id": "po_old", "object": "payout"})
    clock.advance(29 * 86_400)
    recent = fake.emit_event("payout.paid", {"id": "po_new", "object": "payout"})
    assert len(client.v1.events.list().data) == 2
    clock.advance(2 * 86_400)
    assert [e.id for e in client.v1.events.list().data] == [recent["id"]]
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.events.retrieve(old["id"])
    assert len(fake.events()) == 2  # still known to the fake itself


def test_listeners_run_outside_the_lock(env: Fake, client: stripe.StripeClient) -> None:
    fake, server, _ = env
    fetched: list[str] = []

    def fetch_back(event: dict[str, Any]) -> None:
        # what a webhook handler does: read the object fresh, from another connection
        other = client_for(server)
        fetched.append(other.v1.customers.retrieve(event["data"]["object"]["id"]).id)

    fake.on_event(fetch_back)
    customer = client.v1.customers.create({"name": "L"})
    assert fetched == [customer.id]


def test_concurrent_requests_with_one_key_create_once(env: Fake) -> None:
    from concurrent.futures import ThreadPoolExecutor

    fake, server, _ = env

    def create(_: int) -> str:
        client = client_for(server)
        return str(client.v1.customers.create({"name": "C"}, {"idempotency_key": "same"}).id)

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = set(pool.map(create, range(16)))
    assert len(ids) == 1
    assert [e["type"] for e in fake.events()] == ["customer.created"]


def test_a_fault_inside_the_fake_is_a_stripe_shaped_500(
    env: Fake, client: stripe.StripeClient
) -> None:
    fake = env[0]
    fake.seed_object({"id": "cus_b", "object": "customer"})
    fake.seed_object(
        {
            "id": "in_broken",
            "object": "invoice",
            "customer": "cus_b",
            "status": "draft",
            "currency": "usd",
            "amount_paid": 0,
            "lines": [{"description": "a seeded line without an amount"}],
        }
    )
    assert fake.get_object("in_broken")["lines"]["data"][0]["id"].startswith("il_")  # type: ignore[index]
    with pytest.raises(stripe.APIError) as caught:
        client.v1.invoice_items.create(
            {"customer": "cus_b", "invoice": "in_broken", "amount": 1, "currency": "usd"}
        )
    assert caught.value.http_status == 500 and "KeyError" in str(caught.value)


def test_a_refused_update_changes_nothing(env: Fake, client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create({"name": "A"})
    invoice = client.v1.invoices.create({"customer": customer.id})
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.invoices.update(invoice.id, {"metadata": {"x": "1"}, "days_until_due": 3})
    assert env[0].get_object(invoice.id)["metadata"] == {}  # type: ignore[index]
    assert [e["type"] for e in env[0].events()][-1] == "invoice.created"


def test_a_charge_settles_in_the_default_currency_at_a_stated_rate(
    env: Fake, client: stripe.StripeClient
) -> None:
    """No bank account in EUR: the EUR payment's balance transaction is in USD, converted at
    the rate it states (Stripe's own example: 10.00 EUR -> 1234 usd, exchange_rate 1.234)."""
    from local_emulator.fakes.stripe.fx import Settlement, convert

    env[0].settlement = Settlement("usd", frozenset({"gbp"}))
    customer = client.v1.customers.create({"name": "X"})
    invoice = client.v1.invoices.create(
        {
            "customer": customer.id,
            "collection_method": "send_invoice",
            "days_until_due": 30,
            "currency": "eur",
        }
    )
    client.v1.invoice_items.create(
        {"customer": customer.id, "invoice": invoice.id, "amount": 10_000, "currency": "eur"}
    )
    client.v1.invoices.finalize_invoice(invoice.id)
    client.v1.invoices.pay(invoice.id)
    (charge,) = client.v1.charges.list({"customer": customer.id}).data
    txn = client.v1.balance_transactions.retrieve(str(charge.balance_transaction))
    expected, rate = convert(10_000, "eur", "usd", int(charge.created))
    assert (charge.currency, charge.amount) == ("eur", 10_000)
    assert (txn.currency, txn.amount, txn.exchange_rate) == ("usd", expected, float(rate))
    assert 10_000 < expected < 11_300 and txn.net == expected - txn.fee
    assert {d["currency"] for d in txn.fee_details} == {"usd"}
    assert Settlement("usd", frozenset({"gbp"})).currency_for("gbp") == "gbp"  # a bank account
