"""Fixtures for the worker tier: the local stack with one Stripe customer, and the worker app."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import functions_framework
import pytest
from flask.testing import FlaskClient

from local_emulator.generator.stripe_objects import (
    customer_object,
    finalized,
    invoice_line_object,
    invoice_object,
)
from local_emulator.harness.stack import LocalStack
from tests.functional.memory_books import MemoryBooks

WORKER_SOURCE = Path(__file__).resolve().parents[2] / "functions" / "sync_worker.py"
T0 = 1_767_225_600


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[LocalStack]:
    """The fakes and settings of the local stack, with customer cus_A (Acme) in Stripe."""
    with LocalStack(tmp_path / "state") as running:
        running.fake_stripe.seed_object(customer_object("cus_A", name="Acme", created=T0))
        yield running


@pytest.fixture
def client(stack: LocalStack) -> FlaskClient:
    """The sync_worker function through the framework's test client."""
    return functions_framework.create_app(
        target="sync_worker", source=str(WORKER_SOURCE)
    ).test_client()


def seed_acme_invoice(
    stack: LocalStack,
    invoice_id: str,
    *,
    amount: int = 10000,
    quantity: int = 1,
    draft: bool = False,
    **fields: Any,
) -> dict[str, Any]:
    """A one-line USD invoice of cus_A in the fake Stripe, finalized unless ``draft``."""
    line = invoice_line_object(
        f"il_{invoice_id}",
        invoice_id,
        amount=amount,
        currency="usd",
        quantity=quantity,
        description="Seats",
        period=(T0, T0 + 86_400),
    )
    invoice = invoice_object(
        invoice_id,
        customer="cus_A",
        number=None,
        status="draft",
        currency="usd",
        lines=[line],
        created=T0,
    )
    if not draft:
        invoice = finalized(invoice, f"ACME-{invoice_id[-4:]}", T0 + 60)
    invoice = {**invoice, **fields}
    stack.fake_stripe.seed_object(invoice)
    return invoice


@pytest.fixture
def books() -> Iterator[MemoryBooks]:
    """Service level: one company's Stripe (customer cus_A) and QBO in memory, and the sync."""
    company = MemoryBooks()
    company.customer()
    yield company
    company.warehouse.close()
