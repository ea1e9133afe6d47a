"""The batching gateway: one create per caller, many callers per QBO batch request."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from shared.adapters.qbo_batch import QboBatchWriter
from shared.adapters.qbo_batching import BatchingQboGateway
from shared.errors import DuplicateNameError, UpstreamUnavailableError
from tests.functional.qbo_fixtures import qbo_env


def test_concurrent_creates_share_batches_and_each_caller_gets_its_entity() -> None:
    with qbo_env() as env:
        gateway = BatchingQboGateway(env.gateway, QboBatchWriter(env.gateway, parallel=2))
        try:
            with ThreadPoolExecutor(60) as pool:
                created = list(
                    pool.map(
                        lambda i: gateway.create(
                            "Customer", {"DisplayName": f"Batched {i}"}, f"cus-{i}"
                        ),
                        range(120),
                    )
                )
        finally:
            gateway.close()
        assert [c["DisplayName"] for c in created] == [f"Batched {i}" for i in range(120)]
        counts = env.fake.request_counts()
        assert counts["batch"] < 20 and counts.get("create", 0) == 120  # creates inside batches
        assert gateway.query("select * from Customer where DisplayName = 'Batched 7'")


def test_an_item_refused_raises_for_its_caller_only_and_close_refuses_new_work() -> None:
    with qbo_env() as env:
        env.gateway.create("Customer", {"DisplayName": "Taken"}, "pre")
        gateway = BatchingQboGateway(env.gateway, QboBatchWriter(env.gateway))
        with ThreadPoolExecutor(2) as pool:
            ok = pool.submit(gateway.create, "Customer", {"DisplayName": "Free"}, "c-1")
            taken = pool.submit(gateway.create, "Customer", {"DisplayName": "Taken"}, "c-2")
            assert ok.result()["DisplayName"] == "Free"
            with pytest.raises(DuplicateNameError):
                taken.result()
        gateway.close()
        with pytest.raises(UpstreamUnavailableError, match="closed"):
            gateway.create("Customer", {"DisplayName": "Late"}, "c-3")
