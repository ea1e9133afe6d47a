"""Many syncs of one invoice at once in one instance (the tasks of one payment): one create per
QBO document, none answered from QBO's requestid memory, and one Stripe read of the invoice."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from local_emulator.harness.stack import LocalStack
from shared import bootstrap
from shared.services.sync_object import SyncRequest, SyncResult, sync_object
from tests.functional.conftest import T0, seed_acme_invoice
from tests.functional.test_posting import entities, invoice_payment


def test_concurrent_syncs_of_one_paid_invoice_create_each_document_once(
    stack: LocalStack,
) -> None:
    seed_acme_invoice(stack, "in_0801", status="paid", amount_paid=10000, amount_remaining=0)
    invoice_payment(stack, "inpay_0801", "in_0801", 10000, "pi_0801")
    deps = bootstrap.sync_deps()
    stripe_before = dict(stack.fake_stripe.request_counts())

    def one(index: int) -> SyncResult:
        request = SyncRequest(
            "invoice", "in_0801", f"task-{index}", f"corr-{index}", fresh_after=T0 + 200.0
        )
        return sync_object(request, deps)

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(one, range(8)))
    assert all(r.outcome in ("COMPLETED", "SKIPPED") for r in results)
    assert len(entities(stack.fake_qbo, "Invoice")) == 1
    assert len(entities(stack.fake_qbo, "Payment")) == 1
    assert len(entities(stack.fake_qbo, "Customer")) == 1
    counts = stack.fake_qbo.request_counts()
    assert counts.get("replayed", 0) == 0
    reads = stack.fake_stripe.request_counts().get("invoice.retrieve", 0)
    assert reads - stripe_before.get("invoice.retrieve", 0) == 1
    # the payment is linked under its payment intent too: the charge's task needs no lookup
    links = bootstrap.warehouse().query(
        "SELECT qbo_entity_id FROM sync_links_current WHERE stripe_object_id = 'pi_0801'"
    )
    assert [row["qbo_entity_id"] for row in links] == [entities(stack.fake_qbo, "Payment")[0]["Id"]]
