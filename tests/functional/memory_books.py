"""Posting rules at the service level: sync_object over in-memory Stripe and QBO gateways.

No servers, no threads: a test seeds Stripe objects, runs one sync, and reads the fake QBO's
books. The fakes enforce the same rules as over HTTP; each sync runs a second later than the
one before, so the link table's latest row per key is well defined.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from local_emulator.fakes.qbo.engine import FakeQbo
from local_emulator.fakes.qbo.gateway import InMemoryQboGateway
from local_emulator.fakes.stripe.gateway import InMemoryStripeGateway
from local_emulator.fakes.stripe.state import FakeStripe
from local_emulator.generator import objects as o
from local_emulator.generator.stripe_objects import (
    customer_object,
    finalized,
    invoice_line_object,
    invoice_object,
)
from shared.adapters.clock import ManualClock
from shared.adapters.duckdb_warehouse import DuckDbWarehouse
from shared.adapters.rate_limiter import RateLimiter
from shared.books_settings import BooksSettings
from shared.services.company import CompanyReader
from shared.services.records import LinkStore, SyncLog
from shared.services.reference_data import ReferenceData
from shared.services.sync_object import SyncDeps, SyncRequest, SyncResult, sync_object

T0 = 1_767_225_600  # 2026-01-01T00:00:00Z
JsonDict = dict[str, Any]


@dataclass
class MemoryBooks:
    """One company's Stripe and QBO, and the sync between them, in this process."""

    clock: ManualClock = field(default_factory=ManualClock)
    qbo_options: dict[str, Any] = field(default_factory=dict)
    books_settings: BooksSettings = field(default_factory=BooksSettings)

    def __post_init__(self) -> None:
        self.stripe = FakeStripe("sk_test_memory", "whsec_memory")
        self.qbo = FakeQbo(clock=self.clock, **self.qbo_options)
        self.warehouse = DuckDbWarehouse(":memory:")
        # Paced as production paces QBO (500 a minute, 10 a second), on the test's clock.
        limiter = RateLimiter(
            500, 10, requests_per_second=10, clock=self.clock, sleep=self.clock.advance
        )
        self.qbo_gateway = InMemoryQboGateway(self.qbo, limiter)
        self.stripe_gateway = InMemoryStripeGateway(self.stripe)
        books = self.books_settings
        self.deps = SyncDeps(
            stripe=self.stripe_gateway,
            qbo=self.qbo_gateway,
            links=LinkStore(self.warehouse, snapshot_seconds=0),
            sync_log=SyncLog(self.warehouse),
            references=ReferenceData(
                self.qbo_gateway, books, CompanyReader(self.qbo_gateway, self.clock)
            ),
            clock=self.clock,
            books=books,
            warehouse=self.warehouse,
        )
        self._tasks = itertools.count(1)

    def seed(self, *objects: JsonDict) -> None:
        for obj in objects:
            self.stripe.seed_object(obj)

    def sync(self, object_type: str, object_id: str, attempt: int = 1) -> SyncResult:
        self.clock.advance(1)
        number = next(self._tasks)
        request = SyncRequest(object_type, object_id, f"task-{number}", f"corr-{number}")
        if attempt > 1:
            request = SyncRequest(
                object_type, object_id, f"task-{number}", f"corr-{number}", attempt=attempt
            )
        result = sync_object(request, self.deps)
        assert result.outcome != "FAILED", result
        return result

    # --- reading the books --------------------------------------------------------------------

    def docs(self, entity: str) -> list[JsonDict]:
        return self.qbo.state_json().get(entity, [])

    def doc(self, entity: str, stripe_id: str) -> JsonDict:
        (found,) = [d for d in self.docs(entity) if stripe_id in str(d.get("PrivateNote"))]
        return found

    def balance(self, name: str) -> Decimal:
        return self.qbo.home_balances()[name]

    def links(self, stripe_id: str) -> dict[str, str | None]:
        rows = self.warehouse.query(
            "SELECT qbo_entity_type, qbo_entity_id FROM sync_links_current "
            "WHERE stripe_object_id = @id AND status = 'COMPLETED'",
            {"id": stripe_id},
        )
        return {str(r["qbo_entity_type"]): r["qbo_entity_id"] for r in rows}

    # --- Stripe objects -----------------------------------------------------------------------

    def customer(self, customer_id: str = "cus_A") -> None:
        self.seed(customer_object(customer_id, name="Acme", created=T0))

    def invoice(self, invoice_id: str, amount: int, **fields: Any) -> JsonDict:
        """A one-line invoice of cus_A, finalized, as Stripe has it with ``fields`` applied."""
        currency = fields.pop("currency", "usd")
        line = invoice_line_object(
            f"il_{invoice_id}",
            invoice_id,
            amount=amount,
            currency=currency,
            quantity=1,
            description="Seats",
            period=(T0, T0 + 86_400),
        )
        draft = invoice_object(
            invoice_id,
            customer="cus_A",
            number=None,
            status="draft",
            currency=currency,
            lines=[line],
            created=T0,
        )
        invoice = {**finalized(draft, f"ACME-{invoice_id[-4:]}", T0 + 60), **fields}
        self.seed(invoice)
        return invoice


def paid_by_intent(
    inpay_id: str,
    *,
    invoice_id: str,
    amount: int,
    currency: str,
    pi_id: str,
    charge_id: str,
    paid_at: int,
) -> list[JsonDict]:
    """An invoice paid (in full or in part) by a PaymentIntent of cus_A: the intent, with its
    latest charge, and the invoice payment naming it, as Stripe holds both."""
    intent = o.payment_intent(
        pi_id, amount=amount, currency=currency, customer_id="cus_A", created=paid_at,
        description=None,
    )  # fmt: skip
    intent.update(status="succeeded", amount_received=amount, latest_charge=charge_id)
    payment = o.invoice_payment(
        inpay_id,
        invoice_id=invoice_id,
        amount=amount,
        currency=currency,
        payment={"type": "payment_intent", "payment_intent": pi_id},
        created=paid_at,
        paid_at=paid_at,
        is_default=True,
    )
    return [intent, payment]
