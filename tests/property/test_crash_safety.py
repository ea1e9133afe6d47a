"""A worker killed at any QBO call (before it, or after it with the answer lost), or while
recording its links, leaves nothing a retry would duplicate; concurrent workers on one object
produce one QBO entity each."""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local_emulator.generator.stripe_objects import customer_object, finalized, invoice_line_object
from local_emulator.generator.stripe_objects import invoice_object as draft_invoice
from local_emulator.harness.crashes import (
    CrashingQbo,
    CrashPlan,
    DeadThreadWarehouse,
    HardCrash,
    revive_this_thread,
)
from local_emulator.harness.stack import LocalStack
from shared import bootstrap
from shared.services.records import LinkStore, SyncLog
from shared.services.reference_data import ReferenceData
from shared.services.sync_object import SyncDeps, SyncRequest, sync_object

T0 = 1_767_225_600
COUNTED = ("Customer", "Invoice", "Payment", "SalesReceipt", "RefundReceipt", "CreditMemo")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    with LocalStack(Path(tmp_path_factory.mktemp("crash")) / "state") as running:
        yield running


def seed_paid_invoice(stack: LocalStack, n: int) -> str:
    """An invoice of a new customer, paid by two Stripe payments and the rest out of band."""
    customer, invoice_id = f"cus_C{n}", f"in_C{n:04d}"
    stack.fake_stripe.seed_object(
        customer_object(customer, name=f"Customer {n:04d} Ltd", created=T0)
    )
    line = invoice_line_object(
        f"il_C{n}", invoice_id, amount=10000, currency="usd", quantity=1,
        description="Seats", period=(T0, T0 + 86_400),
    )  # fmt: skip
    draft = draft_invoice(
        invoice_id, customer=customer, number=None, status="draft", currency="usd",
        lines=[line], created=T0,
    )  # fmt: skip
    invoice = {
        **finalized(draft, f"CR-{n:04d}", T0 + 60),
        "status": "paid",
        "amount_paid": 10000,
        "amount_remaining": 0,
    }
    stack.fake_stripe.seed_object(invoice)
    for k, amount in ((1, 3000), (2, 4000)):
        stack.fake_stripe.seed_object(
            {
                "id": f"inpay_C{n}_{k}",
                "object": "invoice_payment",
                "invoice": invoice_id,
                "amount_paid": amount,
                "amount_requested": amount,
                "currency": "usd",
                "status": "paid",
                "created": T0 + 100 + k,
                "payment": {"type": "payment_intent", "payment_intent": f"pi_C{n}_{k}"},
                "status_transitions": {"paid_at": T0 + 100 + k, "canceled_at": None},
            }
        )
    return invoice_id


def instance_deps(qbo: Any) -> SyncDeps:
    """What a fresh worker instance builds: no cached links or references survive a crash."""
    base = bootstrap.sync_deps()
    warehouse = DeadThreadWarehouse(bootstrap.warehouse(), error=HardCrash)
    return SyncDeps(
        stripe=base.stripe,
        qbo=qbo,
        links=LinkStore(warehouse),
        sync_log=SyncLog(warehouse),
        references=ReferenceData(qbo, base.books),
        clock=base.clock,
        books=base.books,
    )


def run(invoice_id: str, qbo: Any, attempt: int) -> None:
    request = SyncRequest("invoice", invoice_id, f"t-{invoice_id}", "c", attempt=attempt)
    sync_object(request, instance_deps(qbo))


def counts(stack: LocalStack) -> Counter[str]:
    state = stack.fake_qbo.state_json()
    return Counter({entity: len(state.get(entity, [])) for entity in COUNTED})


def test_a_crash_at_any_call_heals_without_duplicates(stack: LocalStack) -> None:
    real = bootstrap.qbo_gateway()
    run(seed_paid_invoice(stack, 0), real, attempt=1)  # accounts and items exist from now on
    before = counts(stack)
    clean = CrashPlan(error=HardCrash)
    run(seed_paid_invoice(stack, 1), CrashingQbo(real, clean), attempt=1)
    expected = counts(stack) - before
    assert expected["Invoice"] == 1 and expected["Payment"] == 3
    cases = [(k, when) for k in range(1, clean.calls + 1) for when in ("before", "after")]
    assert len(cases) >= 10
    for n, (k, when) in enumerate(cases, start=2):
        revive_this_thread()
        start = counts(stack)
        invoice_id = seed_paid_invoice(stack, n)
        plan = CrashPlan({k: when}, error=HardCrash)
        with contextlib.suppress(HardCrash):
            run(invoice_id, CrashingQbo(real, plan), attempt=1)
        assert sum(plan.crashes.values()) == 1, (k, when)
        revive_this_thread()
        run(invoice_id, real, attempt=2)
        run(invoice_id, real, attempt=3)  # and once more: nothing new
        assert counts(stack) - start == expected, (k, when)


def test_a_crash_while_recording_links_heals_without_duplicates(stack: LocalStack) -> None:
    real = bootstrap.qbo_gateway()
    start = counts(stack)
    invoice_id = seed_paid_invoice(stack, 900)
    plan = CrashPlan(error=HardCrash)
    qbo = CrashingQbo(real, plan)
    deps = instance_deps(qbo)
    # Every QBO write succeeds, then the instance dies on the link append.
    deps.links = LinkStore(_AppendKiller(bootstrap.warehouse()))
    with contextlib.suppress(HardCrash):
        sync_object(SyncRequest("invoice", invoice_id, "t", "c", attempt=1), deps)
    revive_this_thread()
    assert (
        bootstrap.warehouse().query(
            "SELECT * FROM sync_links WHERE stripe_object_id = @id", {"id": invoice_id}
        )
        == []
    )
    run(invoice_id, real, attempt=2)
    assert counts(stack) - start == Counter(Customer=1, Invoice=1, Payment=3)


class _AppendKiller:
    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def query(self, sql: str, params: Any = None) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._inner.query(sql, params)
        return result

    def append(self, table: str, rows: Any, row_ids: Any = None) -> None:
        raise HardCrash("killed while appending links")


@pytest.mark.parametrize("workers", [2, 4])
def test_concurrent_workers_on_one_object_make_one_entity_each(
    stack: LocalStack, workers: int
) -> None:
    real = bootstrap.qbo_gateway()
    for round_ in range(4):
        start = counts(stack)
        invoice_id = seed_paid_invoice(stack, 1000 + 10 * workers + round_)
        barrier = threading.Barrier(workers)
        errors: list[BaseException] = []

        def work(
            attempt: int, invoice_id: str = invoice_id, barrier: Any = barrier, errors: Any = errors
        ) -> None:
            barrier.wait()
            try:
                run(invoice_id, real, attempt=attempt)
            except Exception as error:  # a transient loser is fine: its retry heals
                errors.append(error)

        threads = [threading.Thread(target=work, args=(1 + i % 2,)) for i in range(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        run(invoice_id, real, attempt=2)  # whatever lost a race is finished by a retry
        assert counts(stack) - start == Counter(Customer=1, Invoice=1, Payment=3), errors
