"""A synthetic Stripe history for the import benchmark: ``objects`` listable objects of a year.

Per ten objects, about: one customer, three and a half invoices (finalized, 60 % paid), two
invoice payments with their two charges, and one and a half charges without an invoice. A paid
invoice's payment is a PaymentIntent (not listed, so not counted) whose latest charge is the
charge, as Stripe's pinned API version shapes it. Built with the generator's object builders, in
creation order; deterministic for a seed.
"""

from __future__ import annotations

import random
from typing import Any

from local_emulator.generator.objects import charge, invoice_payment, payment_intent, product
from local_emulator.generator.stripe_objects import (
    customer_object,
    finalized,
    invoice_line_object,
    invoice_object,
    paid,
)

JsonDict = dict[str, Any]
YEAR_START = 1_735_689_600  # 2025-01-01
YEAR = 365 * 86_400
PRODUCTS = 10


def import_objects(objects: int, seed: int = 1) -> list[JsonDict]:
    rng = random.Random(seed)
    customers = max(1, objects // 10)
    out: list[JsonDict] = []
    intents: list[JsonDict] = []  # not listed by a backfill: outside the count
    step = YEAR // max(1, objects)
    clock = YEAR_START
    for index in range(PRODUCTS):
        out.append(product(f"prod_bench{index:02d}", name=f"Plan {index}", created=clock))
    for index in range(customers):
        clock += step
        name = f"Customer {index:06d} Ltd"
        out.append(customer_object(f"cus_bench{index:06d}", name=name, created=clock))
    serial = 0
    while len(out) < objects:
        clock += step
        serial += 1
        customer_id = f"cus_bench{rng.randrange(customers):06d}"
        if rng.random() < 0.3:  # a charge without an invoice
            amount = rng.randrange(500, 50_000)
            out.append(_charge(f"ch_benchs{serial:07d}", amount, customer_id, clock, None))
            continue
        invoice_id = f"in_bench{serial:07d}"
        amount = rng.randrange(1_000, 200_000)
        line = invoice_line_object(
            f"il_bench{serial:07d}", invoice_id, amount=amount, currency="usd", quantity=1,
            description="Subscription", period=(clock, clock + 30 * 86_400),
        )  # fmt: skip
        draft = invoice_object(invoice_id, customer=customer_id, number=None, status="draft",
                               currency="usd", lines=[line], created=clock)  # fmt: skip
        invoice = finalized(draft, f"B-{serial:07d}", clock + 1)
        if rng.random() < 0.6:
            invoice = paid(invoice, clock + 2)
            pi_id, charge_id = f"pi_bench{serial:07d}", f"ch_bench{serial:07d}"
            out.append(invoice)
            intents.append(_intent(pi_id, charge_id, amount, customer_id, clock + 2))
            out.append(
                invoice_payment(
                    f"inpay_bench{serial:07d}", invoice_id=invoice_id, amount=amount,
                    currency="usd", payment={"type": "payment_intent", "payment_intent": pi_id},
                    created=clock + 2, paid_at=clock + 2, is_default=True,
                )
            )  # fmt: skip
            out.append(_charge(charge_id, amount, customer_id, clock + 2, pi_id))
        else:
            out.append(invoice)
    return out[:objects] + intents


def _intent(pi_id: str, charge_id: str, amount: int, customer_id: str, at: int) -> JsonDict:
    intent = payment_intent(
        pi_id, amount=amount, currency="usd", customer_id=customer_id, created=at,
        description="Subscription",
    )  # fmt: skip
    intent.update(latest_charge=charge_id, status="succeeded", amount_received=amount)
    return intent


def _charge(charge_id: str, amount: int, customer_id: str, at: int, pi: str | None) -> JsonDict:
    obj = charge(
        charge_id, amount=amount, currency="usd", customer_id=customer_id,
        pi_id=pi or f"pi_{charge_id.removeprefix('ch_')}", created=at,
        description="Card payment", succeeded=True, balance_transaction=None,
    )  # fmt: skip
    if pi is None:
        obj["payment_intent"] = None
    return obj
