"""Catch-up: events whose delivery failed, and events since the last archived one, are archived
and enqueued when the archive lacks them; everything else is left alone."""

from __future__ import annotations

import time
from datetime import timedelta

import functions_framework
from flask.testing import FlaskClient

from local_emulator.fakes.stripe.webhooks import WebhookDeliverer
from local_emulator.generator.stripe_objects import event_object
from local_emulator.harness.stack import LocalStack
from shared import bootstrap
from shared.domain.retries import PRIOR_ATTEMPTS
from shared.services.posting.work import SyncRequest
from shared.services.sync_records import failed_link
from tests.fakes import InMemoryTaskQueue
from tests.functional.conftest import WORKER_SOURCE
from tests.functional.test_worker_function import qbo_invoices, seed_invoice

AUTH = {"Authorization": "Bearer local-dev-token"}


def invoice_event(stack: LocalStack, invoice_id: str, created: int) -> dict[str, object]:
    seed_invoice(stack, invoice_id)
    invoice = stack.fake_stripe.get_object(invoice_id)
    assert invoice is not None
    return stack.fake_stripe.seed_object(
        event_object(f"evt_{invoice_id}", "invoice.finalized", created, invoice)
    )


def archived_sources() -> dict[str, str]:
    rows = bootstrap.warehouse().query("SELECT event_id, source FROM stripe_events_latest")
    return {str(r["event_id"]): str(r["source"]) for r in rows}


def test_catch_up_recovers_undelivered_events_once(stack: LocalStack) -> None:
    now = int(time.time())
    deliverer = stack.deliverer()
    refused = WebhookDeliverer(
        stack.fake_stripe, deliverer.url, transport=lambda url, body, headers: 500
    )
    delivered = invoice_event(stack, "in_0601", now - 600)
    failed = invoice_event(stack, "in_0602", now - 500)
    never = invoice_event(stack, "in_0603", now - 400)  # created after the last delivery
    assert deliverer.send(delivered) == 200
    assert refused.send(failed) == 500
    stack.queue.drain()
    assert archived_sources() == {"evt_in_0601": "webhook"}

    catch_up = bootstrap.catch_up()  # names tasks as the webhook does (coalesced per object)
    report = catch_up.run()
    assert report.failed_delivery >= 1 and report.missing == 2
    assert (report.archived, report.enqueued) == (2, 2)
    assert archived_sources() == {
        "evt_in_0601": "webhook",
        "evt_in_0602": "catch_up",
        "evt_in_0603": "catch_up",
    }
    stack.queue.drain()
    assert len(qbo_invoices(stack)) == 3

    # Stripe still says the delivery failed, but the archive has it now: nothing to do.
    again = catch_up.run()
    assert (again.missing, again.enqueued) == (0, 0)
    # A late webhook delivery of a caught-up event is the same task name: refused, harmless.
    assert deliverer.send(never) == 200
    assert stack.queue.pending_count() == 0
    assert len(qbo_invoices(stack)) == 3


def test_catch_up_function_runs_the_use_case(stack: LocalStack) -> None:
    client: FlaskClient = functions_framework.create_app(
        target="catch_up", source=str(WORKER_SOURCE.parent / "catch_up.py")
    ).test_client()
    invoice_event(stack, "in_0701", int(time.time()) - 60)
    response = client.post("/", headers=AUTH)
    assert response.status_code == 200
    assert response.get_json()["enqueued"] == 1
    assert stack.queue.pending_count() == 1
    stack.fake_stripe.set_faults(outage=True)
    assert client.post("/", headers=AUTH).status_code == 503
    stack.fake_stripe.set_faults(outage=False)


def test_exhausted_transient_failures_are_re_driven_and_permanent_ones_wait(
    stack: LocalStack,
) -> None:
    """Days of transient failure end in FAILED (exhausted); catch-up re-drives those by itself,
    once per failure, as a later attempt (heal first). A permanent failure waits for a person."""
    now = int(time.time())
    deliverer = stack.deliverer()
    for invoice_id in ("in_0801", "in_0802"):
        assert deliverer.send(invoice_event(stack, invoice_id, now - 60)) == 200
    stack.fake_qbo.faults.set("qbo_5xx", 1.0)  # QBO down for longer than the retry horizon
    stack.queue.drain()
    stack.fake_qbo.faults.set("qbo_5xx", 0.0)
    failed = bootstrap.warehouse().query(
        "SELECT stripe_object_id, error_code, attempt, qbo_entity_type FROM sync_failures "
        "ORDER BY 1"
    )
    assert [(r["stripe_object_id"], r["error_code"]) for r in failed] == [
        ("in_0801", "exhausted"),
        ("in_0802", "exhausted"),
    ]
    assert min(int(r["attempt"]) for r in failed) > bootstrap.settings().task_max_attempts
    # in_0802's failure is made permanent (a mapping gap someone must fix): it is left alone.
    bootstrap.sync_deps().links.record(
        [
            failed_link(
                SyncRequest("invoice", "in_0802", "evt-x", "c", attempt=1),
                str(failed[1]["qbo_entity_type"]),  # where it failed: now for a person to fix
                error_class="MappingGapError",
                code="mapping_gap",
                message="no QBO tax code for the rate",
            )
        ],
        bootstrap.clock().now(),
    )

    catch_up = bootstrap.catch_up()
    report = catch_up.run()
    assert (report.redriven_exhausted, report.redriven_stale) == (1, 0)
    assert catch_up.run().redriven_exhausted == 0  # the same failure: the same task name
    stack.queue.drain()
    assert [d["DocNumber"] for d in qbo_invoices(stack)] == ["ACME-0801"]
    remaining = bootstrap.warehouse().query(
        "SELECT stripe_object_id, error_code FROM sync_failures"
    )
    assert [(r["stripe_object_id"], r["error_code"]) for r in remaining] == [
        ("in_0802", "mapping_gap")
    ]
    logged = bootstrap.warehouse().query(
        "SELECT MIN(attempt) AS attempt FROM sync_log WHERE task_name LIKE 'redrive-%'"
    )
    assert logged[0]["attempt"] > 1  # a later attempt: it looked in QBO before creating


def test_a_sync_pending_past_the_retry_horizon_lost_its_task_and_is_re_driven(
    stack: LocalStack,
) -> None:
    """Cloud Tasks drops a task that never answered (a crash on every attempt) without a word:
    its event stays pending. Once every task could have ended, catch-up enqueues it again."""
    bootstrap.override(task_queue=(held := InMemoryTaskQueue()))  # the task is never run
    assert stack.deliverer().send(invoice_event(stack, "in_0901", int(time.time()) - 60)) == 200
    assert len(held.tasks) == 1
    catch_up = bootstrap.catch_up()
    assert catch_up.run().redriven_stale == 0  # young: its task may still be retrying
    stack.clock.advance(timedelta(days=4, hours=1).total_seconds())
    report = catch_up.run()
    assert report.redriven_stale == 1
    (task,) = [t for name, t in held.tasks.items() if name.startswith("stale")]
    assert task.payload["object_id"] == "in_0901" and task.payload[PRIOR_ATTEMPTS] >= 1
    assert catch_up.run().redriven_stale == 0  # once per horizon
