"""Syncs running at once in one instance: invoices of one new customer (different families, so
no lease keeps them apart) create the customer once, with no create answered from QBO's
requestid memory, and read it from Stripe once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from local_emulator.harness.stack import LocalStack
from shared import bootstrap
from shared.services.sync_object import SyncRequest, SyncResult, sync_object
from tests.functional.conftest import T0, seed_acme_invoice
from tests.functional.test_posting import entities, invoice_payment

INVOICES = [f"in_08{n:02d}" for n in range(8)]


def test_concurrent_syncs_sharing_a_customer_create_it_once(stack: LocalStack) -> None:
    for invoice_id in INVOICES:
        seed_acme_invoice(stack, invoice_id, status="paid", amount_paid=10000, amount_remaining=0)
        invoice_payment(stack, f"inpay_{invoice_id}", invoice_id, 10000, f"pi_{invoice_id}")
    deps = bootstrap.sync_deps()
    stripe_before = dict(stack.fake_stripe.request_counts())

    def one(invoice_id: str) -> SyncResult:
        request = SyncRequest(
            "invoice", invoice_id, f"task-{invoice_id}", f"corr-{invoice_id}",
            fresh_after=T0 + 200.0,
        )  # fmt: skip
        return sync_object(request, deps)

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(one, INVOICES))
    assert all(r.outcome == "COMPLETED" for r in results)
    assert len(entities(stack.fake_qbo, "Customer")) == 1
    assert len(entities(stack.fake_qbo, "Invoice")) == len(INVOICES)
    assert len(entities(stack.fake_qbo, "Payment")) == len(INVOICES)
    assert stack.fake_qbo.request_counts().get("replayed", 0) == 0
    reads = stack.fake_stripe.request_counts().get("customer.retrieve", 0)
    assert reads - stripe_before.get("customer.retrieve", 0) == 1
    # each payment is linked under its payment intent too: the charge's task needs no lookup
    links = bootstrap.warehouse().query(
        "SELECT COUNT(*) AS n FROM sync_links_current WHERE stripe_object_type = 'payment_intent'"
    )
    assert links[0]["n"] == len(INVOICES)
