"""Fixtures for the contract tier: local servers the real Google client libraries talk to."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import grpc
import pytest

from tests.contract.fake_bigquery import FakeBigQuery
from tests.contract.fake_cloud_tasks import FakeCloudTasks
from tests.contract.fake_secret_manager import FakeSecretManager

PROJECT = "contract-project"
LOCATION = "europe-west1"
QUEUE = "qbo-sync"
QUEUE_PATH = f"projects/{PROJECT}/locations/{LOCATION}/queues/{QUEUE}"


@pytest.fixture
def tasks_fake() -> Iterator[FakeCloudTasks]:
    fake = FakeCloudTasks(queues=[QUEUE_PATH])
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def tasks_client(tasks_fake: FakeCloudTasks) -> Iterator[Any]:
    from google.cloud import tasks_v2
    from google.cloud.tasks_v2.services.cloud_tasks.transports import CloudTasksGrpcTransport

    channel = grpc.insecure_channel(tasks_fake.address)
    yield tasks_v2.CloudTasksClient(transport=CloudTasksGrpcTransport(channel=channel))
    channel.close()


@pytest.fixture
def secrets_fake() -> Iterator[FakeSecretManager]:
    fake = FakeSecretManager(project=PROJECT)
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def secrets_client(secrets_fake: FakeSecretManager) -> Iterator[Any]:
    from google.cloud import secretmanager
    from google.cloud.secretmanager_v1.services.secret_manager_service.transports import (
        SecretManagerServiceGrpcTransport,
    )

    channel = grpc.insecure_channel(secrets_fake.address)
    yield secretmanager.SecretManagerServiceClient(
        transport=SecretManagerServiceGrpcTransport(channel=channel)
    )
    channel.close()


@pytest.fixture
def bigquery_fake() -> Iterator[FakeBigQuery]:
    fake = FakeBigQuery(project=PROJECT)
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def bigquery_client(bigquery_fake: FakeBigQuery) -> Any:
    from google.api_core.client_options import ClientOptions
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import bigquery

    return bigquery.Client(
        project=PROJECT,
        credentials=AnonymousCredentials(),
        client_options=ClientOptions(api_endpoint=bigquery_fake.endpoint),
    )
