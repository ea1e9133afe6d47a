"""The worker's outcomes beyond success: a family's lease held by another worker, a poison task
(an exception of a bug), and a failure recorded where it happened that a later success clears."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from local_emulator.harness.stack import LocalStack
from shared import bootstrap
from shared.errors import TransientError, UpstreamUnavailableError
from shared.services import sync_object as sync_module
from shared.services.posting.work import SyncRequest
from shared.services.retry_policy import decide_transient
from shared.services.sync_object import sync_object
from tests.fakes import InMemoryTaskQueue
from tests.functional.conftest import T0, seed_acme_invoice
from tests.functional.test_posting import entities, invoice_payment
from tests.functional.test_worker_function import invoice_task, qbo_invoices, run_task, seed_invoice


def failures() -> list[dict[str, Any]]:
    return bootstrap.warehouse().query("SELECT * FROM sync_failures")


def test_a_family_held_by_another_worker_is_retried_in_seconds_not_written(
    stack: LocalStack, client: FlaskClient
) -> None:
    """A held lease is usually given back within seconds, while the queue's backoff would keep
    doubling: the task answers 2xx and leaves a follow-up 5 to 10 s ahead (spread by name)."""
    queue = InMemoryTaskQueue()
    bootstrap.override(task_queue=queue)
    seed_invoice(stack, "in_0301")
    other = bootstrap.leases().acquire("invoice:in_0301", "another-worker", timedelta(minutes=6))
    before = stack.clock.now()

    held = run_task(client, invoice_task("in_0301"), name="evt-held")

    assert held.status_code == 200
    assert held.get_json() == {"outcome": "RETRY_SCHEDULED", "task": "evt-held-r1"}
    assert qbo_invoices(stack) == []
    follow_up = queue.tasks["evt-held-r1"]
    assert follow_up.schedule_time is not None and follow_up.schedule_time > before
    (logged,) = bootstrap.warehouse().query(
        "SELECT error_code, detail FROM sync_log WHERE operation = 'retry_policy'"
    )
    assert logged["error_code"] == "lease_held"
    wait = int(str(logged["detail"]).split(" in ")[1].split(" s ")[0])
    assert 5 <= wait <= 10, logged
    # The same delivery answered twice asks for the same follow-up.
    run_task(client, invoice_task("in_0301"), name="evt-held")
    assert list(queue.tasks) == ["evt-held-r1"]
    bootstrap.leases().release(other)
    done = run_task(client, follow_up.payload, name=follow_up.name)
    assert done.get_json()["outcome"] == "COMPLETED"
    assert len(qbo_invoices(stack)) == 1


def test_a_poison_task_is_recorded_failed_with_its_class_then_given_up(
    stack: LocalStack, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def bug(work: Any) -> Any:
        raise KeyError("oops")

    monkeypatch.setitem(sync_module.HANDLERS, "invoice", ("Invoice", bug))

    first = run_task(client, invoice_task("in_0302"))
    assert first.status_code == 503  # retried a little: a rare race may pass
    (failed,) = failures()
    assert (failed["error_class"], failed["error_code"]) == ("KeyError", "unexpected")
    last = run_task(client, invoice_task("in_0302"), retry=2)
    assert last.status_code == 200
    assert last.get_json()["outcome"] == "GAVE_UP"
    assert [f["error_class"] for f in failures()] == ["KeyError"]


def test_a_failure_is_recorded_where_it_happened_and_a_later_success_clears_it(
    stack: LocalStack, client: FlaskClient
) -> None:
    seed_invoice(stack, "in_0303")
    request = SyncRequest("invoice", "in_0303", "evt-dead", "c", attempt=20)
    error = UpstreamUnavailableError("QBO answered 503")
    error.where = "Payment:oob of in_0303"
    decide_transient(request, invoice_task("in_0303"), error, bootstrap.retry_policy_deps())
    (failed,) = failures()
    assert (failed["qbo_entity_type"], failed["error_code"]) == ("Payment:oob", "exhausted")
    assert "at Payment:oob of in_0303" in failed["error_message"]

    done = run_task(client, invoice_task("in_0303"), name="replay-1")

    assert done.get_json()["outcome"] == "COMPLETED"
    assert failures() == []
    rows = bootstrap.warehouse().query(
        "SELECT status FROM sync_links_current WHERE stripe_object_id = 'in_0303' "
        "AND qbo_entity_type = 'Payment:oob'"
    )
    assert rows == [{"status": "RESOLVED"}]


class LosesPaymentAnswer:
    """QBO writes the first Payment, and its answer is lost (a dropped response)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.lost = False

    def create(self, entity: str, document: Any, request_id: str) -> Any:
        result = self._inner.create(entity, document, request_id)
        if entity == "Payment" and not self.lost:
            self.lost = True
            raise UpstreamUnavailableError("answer lost (injected)")
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def test_a_family_left_unsettled_is_healed_however_late_the_next_run(stack: LocalStack) -> None:
    """A run that failed transiently may have written without an answer. With QBO's requestid
    replay off, another task of the family minutes later (past the lease's settle time, at its
    own first attempt) must look before creating: the lease stays unsettled until a clean run."""
    stack.fake_qbo.faults.config.switch("off")
    seed_acme_invoice(stack, "in_0901", status="paid", amount_paid=10000, amount_remaining=0)
    invoice_payment(stack, "inpay_in_0901", "in_0901", 10000, "pi_in_0901")
    deps = bootstrap.sync_deps()
    lossy = dataclasses.replace(deps, qbo=LosesPaymentAnswer(deps.qbo))
    first = SyncRequest("invoice", "in_0901", "evt-a", "c1", fresh_after=T0 + 200.0)
    with pytest.raises(TransientError):
        sync_object(first, lossy)
    assert len(entities(stack.fake_qbo, "Payment")) == 1  # written, its answer lost
    stack.clock.advance(600)  # long past the settle time
    later = sync_object(
        SyncRequest("invoice", "in_0901", "evt-b", "c2", fresh_after=T0 + 200.0), deps
    )
    assert later.outcome == "COMPLETED", later.reason
    assert len(entities(stack.fake_qbo, "Payment")) == 1
    assert failures() == []
    # Settled again: once its links have had time to show, the next run trusts them.
    stack.clock.advance(120)
    assert not bootstrap.leases().acquire("invoice:in_0901", "x", timedelta(seconds=5)).contended
