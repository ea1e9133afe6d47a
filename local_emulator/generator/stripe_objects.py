"""Builders of Stripe objects and events in the API's shape, with synthetic (non-personal) data."""

from __future__ import annotations

import random
from typing import Any

from local_emulator.fakes.stripe.versions import API_VERSION

JsonDict = dict[str, Any]
DAY = 86_400


def customer_object(customer_id: str, *, name: str | None, created: int) -> JsonDict:
    slug = customer_id.removeprefix("cus_").lower()
    return {
        "id": customer_id,
        "object": "customer",
        "name": name,
        "email": f"billing+{slug}@example.com",
        "description": None,
        "currency": "usd",
        "created": created,
        "livemode": False,
        "metadata": {},
        "address": None,
        "balance": 0,
    }


def invoice_line_object(
    line_id: str,
    invoice_id: str,
    *,
    amount: int,
    currency: str,
    quantity: int,
    description: str,
    period: tuple[int, int],
) -> JsonDict:
    return {
        "id": line_id,
        "object": "line_item",
        "invoice": invoice_id,
        "amount": amount,
        "currency": currency,
        "description": description,
        "quantity": quantity,
        "period": {"start": period[0], "end": period[1]},
        "discount_amounts": [],
        "livemode": False,
        "metadata": {},
    }


def invoice_object(
    invoice_id: str,
    *,
    customer: str,
    number: str | None,
    status: str,
    currency: str,
    lines: list[JsonDict],
    created: int,
    due_date: int | None = None,
    finalized_at: int | None = None,
    paid_at: int | None = None,
) -> JsonDict:
    total = sum(int(line["amount"]) for line in lines)
    paid = total if status == "paid" else 0
    return {
        "id": invoice_id,
        "object": "invoice",
        "customer": customer,
        "number": number,
        "status": status,
        "currency": currency,
        "created": created,
        "due_date": due_date,
        "description": None,
        "subtotal": total,
        "total": total,
        "amount_due": total,
        "amount_paid": paid,
        "amount_remaining": total - paid,
        "collection_method": "send_invoice",
        "livemode": False,
        "metadata": {},
        "hosted_invoice_url": None,
        "status_transitions": {
            "finalized_at": finalized_at,
            "paid_at": paid_at,
            "voided_at": None,
            "marked_uncollectible_at": None,
        },
        "lines": {
            "object": "list",
            "data": lines,
            "has_more": False,
            "url": f"/v1/invoices/{invoice_id}/lines",
        },
    }


def event_object(event_id: str, event_type: str, created: int, obj: JsonDict) -> JsonDict:
    return {
        "id": event_id,
        "object": "event",
        "api_version": API_VERSION,
        "created": created,
        "data": {"object": obj},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }


def _random_lines(rng: random.Random, invoice_id: str, created: int) -> list[JsonDict]:
    lines = []
    for n in range(rng.randint(1, 4)):
        unit = rng.choice([99, 500, 1999, 4900, 12500])
        quantity = rng.randint(1, 5)
        lines.append(
            invoice_line_object(
                f"il_{invoice_id.removeprefix('in_')}{n}",
                invoice_id,
                amount=unit * quantity,
                currency="usd",
                quantity=quantity,
                description=rng.choice(["Platform fee", "Seats", "Support plan", "Usage"]),
                period=(created, created + 30 * DAY),
            )
        )
    return lines


def finalized(draft: JsonDict, number: str, at: int) -> JsonDict:
    transitions = {**draft["status_transitions"], "finalized_at": at}
    return {**draft, "number": number, "status": "open", "due_date": at + 30 * DAY,
            "status_transitions": transitions}  # fmt: skip


def paid(invoice: JsonDict, at: int) -> JsonDict:
    transitions = {**invoice["status_transitions"], "paid_at": at}
    return {**invoice, "status": "paid", "amount_paid": invoice["total"], "amount_remaining": 0,
            "status_transitions": transitions}  # fmt: skip


def invoice_month(invoices: int, *, seed: int, start: int = 1_767_225_600) -> list[JsonDict]:
    """Events of a month of invoicing: customers, drafts, finalizations, some payments.

    Every finalized invoice appears in at least one invoice.* event; drafts appear only as
    invoice.created. Events are in creation order; delivery faults reorder and repeat them.
    """
    rng = random.Random(seed)
    events: list[JsonDict] = []
    clock = start

    def emit(event_type: str, obj: JsonDict) -> int:
        nonlocal clock
        clock += rng.randint(1, 300)
        events.append(event_object(f"evt_{seed:04d}{len(events):07d}", event_type, clock, obj))
        return clock

    customers = [f"cus_{seed:04d}{i:05d}" for i in range(max(1, invoices // 4))]
    for index, customer_id in enumerate(customers):
        name = f"Customer {index:04d} Ltd"
        emit("customer.created", customer_object(customer_id, name=name, created=clock))
    for index in range(invoices):
        invoice_id = f"in_{seed:04d}{index:07d}"
        customer_id = rng.choice(customers)
        draft = invoice_object(invoice_id, customer=customer_id, number=None, status="draft",
                               currency="usd", lines=_random_lines(rng, invoice_id, clock),
                               created=clock)  # fmt: skip
        emit("invoice.created", draft)
        opened = finalized(draft, f"{customer_id[-6:].upper()}-{index:04d}", clock + 1)
        at = emit("invoice.finalized", opened)
        if rng.random() < 0.5:
            emit("invoice.paid", paid(opened, at + 1))
    return events
