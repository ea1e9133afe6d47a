"""Secret rotation through the production SecretManagerStore (real client, in-process gRPC fake):
a webhook-secret roll reaches a warm instance at the first mismatch; instances racing to refresh
the QBO token never break its chain; a rotated token whose write fails is not used until stored."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import grpc
import pytest

from local_emulator.fakes.qbo import FakeQbo, FakeQboServer
from local_emulator.fakes.stripe.webhooks import sign_payload
from local_emulator.generator.stripe_objects import customer_object, event_object
from shared.adapters import qbo_auth
from shared.adapters.clock import ManualClock, SystemClock
from shared.adapters.qbo_gateway import QuickBooksGateway
from shared.adapters.secret_manager import SecretManagerStore
from shared.adapters.stripe_webhook_verifier import StripeWebhookVerifier
from shared.config import Settings
from shared.errors import TransientError
from shared.services.ingest_event import IngestDeps, ingest_webhook
from tests.contract.conftest import PROJECT
from tests.contract.fake_secret_manager import FakeSecretManager
from tests.fakes import InMemoryTaskQueue, RecordingWarehouse

TOKEN = "qbo-refresh-token"


def store(client: Any) -> SecretManagerStore:
    return SecretManagerStore(project=PROJECT, retry_deadline_seconds=0, client=client)


def test_a_rolled_webhook_secret_reaches_a_warm_instance(
    secrets_client: Any, secrets_fake: FakeSecretManager
) -> None:
    secrets_fake.create_secret("stripe-webhook-secret", "whsec_old")
    deps = IngestDeps(
        verifier=StripeWebhookVerifier(),
        secrets=store(secrets_client),  # caches for 5 minutes
        warehouse=RecordingWarehouse(),
        queue=InMemoryTaskQueue(),
        clock=SystemClock(),
        webhook_secret_name="stripe-webhook-secret",
        max_body_bytes=1_000_000,
    )

    def deliver(event_id: str, secret: str) -> str:
        obj = customer_object("cus_1", name="Acme", created=1_767_225_600)
        body = json.dumps(event_object(event_id, "customer.created", 1_767_225_600, obj)).encode()
        header = sign_payload(body, secret, int(time.time()))
        return ingest_webhook(body, header, deps).event_id

    assert deliver("evt_1", "whsec_old") == "evt_1"  # warms the cache
    secrets_fake.create_secret("stripe-webhook-secret", "whsec_new")  # the roll: a new version

    assert deliver("evt_2", "whsec_new") == "evt_2"
    assert secrets_fake.calls["AccessSecretVersion"] == 2  # one read on the mismatch, no more
    assert deliver("evt_3", "whsec_new") == "evt_3"
    assert secrets_fake.calls["AccessSecretVersion"] == 2


@pytest.fixture
def qbo() -> Iterator[tuple[FakeQboServer, str]]:
    clock = ManualClock()
    with FakeQboServer(FakeQbo(clock=clock, refresh_grace_seconds=60)) as server:
        yield server, server.register_client("cid", "csecret")


def gateway(server: FakeQboServer, client: Any, clock: Any) -> QuickBooksGateway:
    settings = Settings(
        qbo_base_url=server.base_url,
        qbo_discovery_url=server.discovery_url,
        qbo_realm_id=server.realm_id,
        qbo_timeout_seconds=5.0,
    )
    return QuickBooksGateway(settings, store(client), clock=clock)


def seed(fake: FakeSecretManager, refresh_token: str) -> None:
    fake.create_secret("qbo-client-id", "cid")
    fake.create_secret("qbo-client-secret", "csecret")
    fake.create_secret(TOKEN, refresh_token)


def test_instances_racing_to_refresh_never_break_the_token_chain(
    qbo: tuple[FakeQboServer, str], secrets_client: Any, secrets_fake: FakeSecretManager
) -> None:
    server, refresh_token = qbo
    seed(secrets_fake, refresh_token)
    clock = server.fake.clock
    instances = [gateway(server, secrets_client, clock) for _ in range(4)]
    for _ in range(3):
        server.fake.tokens.expire_access_tokens()
        clock.advance(3600)  # superseded refresh tokens are past their grace now
        start, errors = threading.Barrier(len(instances)), []

        def read(instance: QuickBooksGateway, start: Any = start, errors: Any = errors) -> None:
            start.wait()
            try:
                instance.read("Account", "1")
            except Exception as error:
                errors.append(error)

        threads = [threading.Thread(target=read, args=(i,)) for i in instances]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
    clock.advance(3600)
    assert gateway(server, secrets_client, clock).read("Account", "1")["Id"] == "1"


def test_a_rotated_token_is_not_used_until_it_is_stored(
    qbo: tuple[FakeQboServer, str],
    secrets_client: Any,
    secrets_fake: FakeSecretManager,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server, refresh_token = qbo
    seed(secrets_fake, refresh_token)
    monkeypatch.setattr(qbo_auth, "STORE_RETRY_DELAYS", (0.0, 0.0, 0.0))
    clock = server.fake.clock
    instance = gateway(server, secrets_client, clock)
    secrets_fake.inject("AddSecretVersion", grpc.StatusCode.UNAVAILABLE, times=3)
    api_calls = server.fake.request_counts().get("read", 0)

    with pytest.raises(TransientError) as unstored:
        instance.read("Account", "1")

    assert unstored.value.code == "token_store"
    assert server.fake.request_counts().get("read", 0) == api_calls  # no call with it
    assert secrets_fake.values(TOKEN) == [refresh_token]
    # The task's retry stores the newest token first; the chain holds for a new instance later.
    assert instance.read("Account", "1")["Id"] == "1"
    assert len(secrets_fake.values(TOKEN)) >= 2
    clock.advance(3600)
    assert gateway(server, secrets_client, clock).read("Account", "1")["Id"] == "1"
