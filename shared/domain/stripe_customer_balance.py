"""The customer's credit balance as Stripe keeps it: customer balance transactions.

Stripe sends no event for them; they are read with ``GET /v1/customers/{id}/balance_transactions``
whenever the customer, one of its invoices or one of its credit notes is synced. A negative
``amount`` credits the customer (lowers what the next invoice asks), a positive one debits it.
"""

from __future__ import annotations

from typing import Any

from pydantic import field_validator

from shared.domain.stripe_models import StripeModel, id_of_ref

# Types whose credit (amount < 0) our books hold as a document of its own: a credit note's
# CreditMemo, or a CreditMemo for an adjustment made by hand (or the opening balance).
CREDIT_NOTE = "credit_note"
ADJUSTMENTS = frozenset({"adjustment", "initial", "migration"})
APPLIED_TO_INVOICE = "applied_to_invoice"
UNAPPLIED_FROM_INVOICE = "unapplied_from_invoice"


class StripeCustomerBalanceTransaction(StripeModel):
    id: str
    amount: int
    currency: str
    customer: str
    type: str
    created: int
    ending_balance: int = 0
    credit_note: str | None = None
    invoice: str | None = None
    description: str | None = None
    metadata: dict[str, Any] | None = None

    _refs = field_validator("customer", "credit_note", "invoice", mode="before")(id_of_ref)

    @property
    def is_adjustment(self) -> bool:
        return self.type in ADJUSTMENTS
