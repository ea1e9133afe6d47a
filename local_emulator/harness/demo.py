"""``make demo``: Stripe invoices flow into QBO through the real webhook, queue and worker code."""

from __future__ import annotations

import random
from decimal import Decimal
from pathlib import Path

import stripe

from local_emulator.generator.settlements import create_sample_customers, seed_sample_settlements
from local_emulator.checks.books import StripeBooks
from local_emulator.checks.invariants import check_books
from local_emulator.harness.runner import invoice_summary
from local_emulator.harness.scenario import FaultSpec
from local_emulator.harness.stack import STRIPE_KEY, LocalStack
from shared import bootstrap

CUSTOMERS = ["Northwind Traders", "Blue Yonder Airlines", "Fabrikam Inc", "Tailspin Toys"]
PRODUCTS = [("Platform fee", 4900), ("Seats", 1200), ("Support plan", 9900), ("Usage", 37)]


def _create_business(client: stripe.StripeClient, rng: random.Random) -> None:
    """Customers and invoices through the real stripe client; one invoice stays a draft."""
    customers = [client.v1.customers.create(params={"name": name}) for name in CUSTOMERS]
    for index in range(10):
        customer = rng.choice(customers)
        invoice = client.v1.invoices.create(
            params={
                "customer": customer.id,
                "collection_method": "send_invoice",
                "days_until_due": 30,
            },
        )
        for description, unit in rng.sample(PRODUCTS, k=rng.randint(1, 3)):
            client.v1.invoice_items.create(
                params={  # type: ignore[arg-type]  # a TypedDict the literal satisfies
                    "customer": customer.id,
                    "invoice": invoice.id,
                    "currency": "usd",
                    "unit_amount": unit,
                    "quantity": rng.randint(1, 4),
                    "description": description,
                },
            )
        if index == 9:
            continue  # a draft: not an accounting document, never reaches QBO
        invoice_id = str(invoice.id)
        client.v1.invoices.finalize_invoice(invoice_id)
        if rng.random() < 0.5:
            client.v1.invoices.pay(invoice_id, params={"paid_out_of_band": True})


def _bill_settlements(stack: LocalStack, client: stripe.StripeClient) -> int:
    """Sample ledger settlements become Stripe invoices through the scheduled poll's code."""
    customers = create_sample_customers(client)
    seed_sample_settlements(stack.warehouse, customers, currencies={"usd"})
    counts = bootstrap.settlement_poll().run().as_dict()
    print(
        f"Settlement poll: {counts['sent']} invoiced, {counts['no_fee']} without a fee, "
        f"{counts['failed']} failed"
    )
    return int(counts["sent"])


def _table(rows: list[tuple[str, str, str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = [f"{a:<{widths[0]}}  {b:>{widths[1]}}  {c:>{widths[2]}}" for a, b, c in rows]
    lines.insert(1, "-" * (sum(widths) + 4))
    return "\n".join(lines)


def run_demo(out_dir: Path, *, seed: int = 7) -> int:
    faults = FaultSpec(
        qbo={"qbo_429": 0.05, "qbo_5xx": 0.05, "qbo_drop_response": 0.05},
        delivery={"duplicate": 0.3, "out_of_order": 0.3},
        stripe={},
    )
    with LocalStack(out_dir / ".state", seed=seed, faults=faults) as stack:
        client = stripe.StripeClient(
            STRIPE_KEY, base_addresses={"api": stack.stripe_server.base_url}
        )
        _create_business(client, random.Random(seed))
        settled = _bill_settlements(stack, client)
        events = stack.fake_stripe.events()
        print(f"Stripe: {len(events)} events; delivering with duplicates and reordering...")
        report = stack.deliverer().deliver(events)
        stats = stack.queue.drain()
        seeded = [
            o
            for o in (stack.fake_stripe.get_object(e["data"]["object"]["id"]) for e in events)
            if o
        ]
        state = stack.fake_qbo.state_json()
        books = StripeBooks(seeded)
        check = invoice_summary(books, state, check_books(books, state))
        requests = stack.fake_qbo.request_counts()
    attached = [
        a for a in state.get("Attachable", []) if str(a.get("FileName", "")).endswith(".pdf")
    ]
    stripe_total = sum((Decimal(v) for v in check["stripe_totals"].values()), Decimal(0))
    qbo_total = sum((Decimal(v) for v in check["qbo_totals"].values()), Decimal(0))
    print(
        f"Webhook deliveries: {len(report.attempts)} ({len(report.failed)} refused), "
        f"duplicates and reordering included"
    )
    print(
        f"Tasks: {stats.dispatched} dispatched, {stats.retried} retried after a fault, "
        f"{stats.exhausted} exhausted"
    )
    by_kind = ", ".join(f"{kind} {count}" for kind, count in sorted(requests.items()))
    print(f"QBO requests: {sum(requests.values())} ({by_kind})")
    print()
    print(
        _table(
            [
                ("", "Stripe", "QBO"),
                ("Invoices (finalized)", str(check["stripe_invoices"]), str(check["qbo_invoices"])),
                ("Total (USD)", f"{stripe_total:,.2f}", f"{qbo_total:,.2f}"),
                ("Settlements invoiced (statements attached)", str(settled), str(len(attached))),
                ("Duplicates found", "", str(check["duplicates"])),
            ]
        )
    )
    ok = check["exactly_one_each"] and check["totals_equal"] and len(attached) == settled
    print(
        "\nOK: every finalized invoice is in QBO exactly once, totals equal."
        if ok
        else f"\nMISMATCH: {check}"
    )
    return 0 if ok else 1
