"""Catch-up: events whose delivery failed, and events since the last archived one, are archived
and enqueued when the archive lacks them; everything else is left alone."""

from __future__ import annotations

import time

import functions_framework
from flask.testing import FlaskClient

from local_emulator.fakes.stripe.webhooks import WebhookDeliverer
from local_emulator.generator.stripe_objects import event_object
from local_emulator.harness.stack import LocalStack
from shared import bootstrap
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
