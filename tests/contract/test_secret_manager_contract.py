"""SecretManagerStore through the real secretmanager client against an in-process gRPC fake."""

from __future__ import annotations

import threading
from typing import Any

import grpc
import pytest
from google.cloud import secretmanager

from shared.adapters.secret_manager import SecretManagerStore, crc32c
from shared.config import Settings
from shared.errors import (
    AuthenticationError,
    NotFoundError,
    PermanentError,
    ThrottledError,
    TransientError,
    UpstreamUnavailableError,
)
from tests.contract.conftest import PROJECT
from tests.contract.fake_secret_manager import FakeSecretManager

TOKEN_NAME = "qbo-refresh-token"


def make_store(client: Any, **overrides: Any) -> SecretManagerStore:
    options: dict[str, Any] = {
        "project": PROJECT,
        "timeout_seconds": 5.0,
        "retry_deadline_seconds": 0,
        "client": client,
    }
    options.update(overrides)
    return SecretManagerStore(**options)


def test_crc32c_is_the_castagnoli_checksum() -> None:
    assert crc32c(b"123456789") == 0xE3069283


def test_get_reads_the_latest_version(secrets_client: Any, secrets_fake: FakeSecretManager) -> None:
    secrets_fake.create_secret(TOKEN_NAME, "rt-1", "rt-2")

    assert make_store(secrets_client).get(TOKEN_NAME) == "rt-2"
    assert secrets_fake.calls["AccessSecretVersion"] == 1


def test_put_adds_versions_and_get_sees_them(
    secrets_client: Any, secrets_fake: FakeSecretManager
) -> None:
    secrets_fake.create_secret(TOKEN_NAME, "rt-1")
    store = make_store(secrets_client)

    store.put(TOKEN_NAME, "rt-2")
    store.put(TOKEN_NAME, "rt-3 ünïcode")

    assert secrets_fake.values(TOKEN_NAME) == ["rt-1", "rt-2", "rt-3 ünïcode"]
    assert make_store(secrets_client).get(TOKEN_NAME) == "rt-3 ünïcode"
    path = f"projects/{PROJECT}/secrets/{TOKEN_NAME}"
    second = secrets_client.access_secret_version(name=f"{path}/versions/2", timeout=5.0)
    assert second.payload.data == b"rt-2"
    assert second.name == f"{path}/versions/2"


def test_second_get_is_served_from_the_cache(
    secrets_client: Any, secrets_fake: FakeSecretManager
) -> None:
    secrets_fake.create_secret("stripe-secret-key", "sk_test_1")
    store = make_store(secrets_client)

    assert store.get("stripe-secret-key") == "sk_test_1"
    assert store.get("stripe-secret-key") == "sk_test_1"

    assert secrets_fake.calls["AccessSecretVersion"] == 1


def test_put_refreshes_the_cache_without_a_read(
    secrets_client: Any, secrets_fake: FakeSecretManager
) -> None:
    secrets_fake.create_secret(TOKEN_NAME, "rt-1")
    store = make_store(secrets_client)
    store.get(TOKEN_NAME)

    store.put(TOKEN_NAME, "rt-2")

    assert store.get(TOKEN_NAME) == "rt-2"
    assert secrets_fake.calls["AccessSecretVersion"] == 1


def test_invalidate_rereads_a_value_rotated_elsewhere(
    secrets_client: Any, secrets_fake: FakeSecretManager
) -> None:
    secrets_fake.create_secret(TOKEN_NAME, "rt-1")
    mine, other = make_store(secrets_client), make_store(secrets_client)
    assert mine.get(TOKEN_NAME) == "rt-1"

    other.put(TOKEN_NAME, "rt-2")
    assert mine.get(TOKEN_NAME) == "rt-1"
    mine.invalidate(TOKEN_NAME)

    assert mine.get(TOKEN_NAME) == "rt-2"
    assert secrets_fake.calls["AccessSecretVersion"] == 2


def test_cache_ttl_expires(secrets_client: Any, secrets_fake: FakeSecretManager) -> None:
    secrets_fake.create_secret(TOKEN_NAME, "rt-1")
    store = make_store(secrets_client, cache_ttl_seconds=0.0)

    store.get(TOKEN_NAME)
    store.get(TOKEN_NAME)

    assert secrets_fake.calls["AccessSecretVersion"] == 2


def test_missing_secret_is_not_found(secrets_client: Any) -> None:
    with pytest.raises(NotFoundError) as raised:
        make_store(secrets_client).get("no-such-secret")

    assert isinstance(raised.value, PermanentError)
    assert "no-such-secret" in raised.value.message


def test_secret_without_versions_is_not_found(
    secrets_client: Any, secrets_fake: FakeSecretManager
) -> None:
    secrets_fake.create_secret("empty")

    with pytest.raises(NotFoundError):
        make_store(secrets_client).get("empty")


def test_disabled_latest_version_is_not_found(
    secrets_client: Any, secrets_fake: FakeSecretManager
) -> None:
    secrets_fake.create_secret(TOKEN_NAME, "rt-1", "rt-2")
    secrets_fake.disable(TOKEN_NAME, 2)

    with pytest.raises(NotFoundError):
        make_store(secrets_client).get(TOKEN_NAME)


def test_put_into_missing_secret_is_not_found(secrets_client: Any) -> None:
    with pytest.raises(NotFoundError):
        make_store(secrets_client).put("no-such-secret", "value")


def test_concurrent_puts_keep_every_version(
    secrets_client: Any, secrets_fake: FakeSecretManager
) -> None:
    secrets_fake.create_secret(TOKEN_NAME)
    store = make_store(secrets_client)
    values = [f"rt-{i}" for i in range(24)]
    start = threading.Barrier(len(values))

    def put(value: str) -> None:
        start.wait()
        store.put(TOKEN_NAME, value)

    threads = [threading.Thread(target=put, args=(v,)) for v in values]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    stored = secrets_fake.values(TOKEN_NAME)
    assert sorted(stored) == sorted(values)
    assert store.get(TOKEN_NAME) in values


@pytest.mark.parametrize(
    ("code", "error"),
    [
        (grpc.StatusCode.UNAVAILABLE, UpstreamUnavailableError),
        (grpc.StatusCode.DEADLINE_EXCEEDED, UpstreamUnavailableError),
        (grpc.StatusCode.INTERNAL, UpstreamUnavailableError),
        (grpc.StatusCode.RESOURCE_EXHAUSTED, ThrottledError),
        (grpc.StatusCode.PERMISSION_DENIED, AuthenticationError),
        (grpc.StatusCode.UNAUTHENTICATED, AuthenticationError),
    ],
)
def test_status_codes_map_to_retry_classes(
    secrets_client: Any,
    secrets_fake: FakeSecretManager,
    code: grpc.StatusCode,
    error: type[Exception],
) -> None:
    secrets_fake.create_secret(TOKEN_NAME, "rt-secret-value-1")
    secrets_fake.inject("AccessSecretVersion", code)
    secrets_fake.inject("AddSecretVersion", code)
    store = make_store(secrets_client)

    with pytest.raises(error) as read_error:
        store.get(TOKEN_NAME)
    with pytest.raises(error) as write_error:
        store.put(TOKEN_NAME, "rt-secret-value-2")

    for raised in (read_error.value, write_error.value):
        assert "secret-value" not in str(raised)
        assert raised.__cause__ is None


def test_client_retry_rides_out_a_brief_outage(
    secrets_client: Any, secrets_fake: FakeSecretManager
) -> None:
    secrets_fake.create_secret(TOKEN_NAME, "rt-1")
    secrets_fake.inject("AccessSecretVersion", grpc.StatusCode.UNAVAILABLE)

    assert make_store(secrets_client, retry_deadline_seconds=5.0).get(TOKEN_NAME) == "rt-1"
    assert secrets_fake.calls["AccessSecretVersion"] == 2


def test_unreachable_endpoint_is_transient() -> None:
    from google.cloud.secretmanager_v1.services.secret_manager_service.transports import (
        SecretManagerServiceGrpcTransport,
    )

    channel = grpc.insecure_channel("127.0.0.1:1")
    client = secretmanager.SecretManagerServiceClient(
        transport=SecretManagerServiceGrpcTransport(channel=channel)
    )

    with pytest.raises(TransientError):
        make_store(client, timeout_seconds=2.0).get(TOKEN_NAME)
    channel.close()


def test_client_is_built_lazily_once(
    monkeypatch: pytest.MonkeyPatch, secrets_client: Any, secrets_fake: FakeSecretManager
) -> None:
    secrets_fake.create_secret("a", "1")
    secrets_fake.create_secret("b", "2")
    built: list[int] = []

    def factory() -> Any:
        built.append(1)
        return secrets_client

    monkeypatch.setattr(secretmanager, "SecretManagerServiceClient", factory)
    store = make_store(None)
    assert built == []

    assert (store.get("a"), store.get("b")) == ("1", "2")
    assert built == [1]


def test_from_settings_reads_the_configured_project(
    secrets_client: Any, secrets_fake: FakeSecretManager
) -> None:
    secrets_fake.create_secret("stripe-webhook-secret", "whsec_1")
    store = SecretManagerStore.from_settings(Settings(gcp_project=PROJECT), client=secrets_client)

    assert store.get("stripe-webhook-secret") == "whsec_1"
