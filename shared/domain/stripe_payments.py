"""Pydantic models of the Stripe money movements the sync reads: payments, refunds, credits,
disputes and their balance transactions."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import Field, field_validator

from shared.domain.stripe_models import StripeModel, ref_id


def _id(value: Any) -> Any:
    """Accept an id or an expanded object for a reference field."""
    return ref_id(value) if isinstance(value, dict) else value


class StripeInvoicePayment(StripeModel):
    id: str
    invoice: str
    amount_paid: int | None = None
    currency: str
    status: str
    payment: dict[str, Any] = Field(default_factory=dict)
    status_transitions: dict[str, Any] = Field(default_factory=dict)
    created: int = 0

    _refs = field_validator("invoice", mode="before")(_id)

    @property
    def paid_at(self) -> int:
        return int(self.status_transitions.get("paid_at") or self.created)

    @property
    def payment_intent(self) -> str | None:
        return ref_id(self.payment.get("payment_intent"))

    @property
    def charge(self) -> str | None:
        return ref_id(self.payment.get("charge"))


class StripeCharge(StripeModel):
    id: str
    amount: int
    amount_refunded: int = 0
    currency: str
    customer: str | None = None
    description: str | None = None
    status: str
    paid: bool = False
    payment_intent: str | None = None
    invoice: str | None = None  # present before the 2025 API versions
    created: int

    _refs = field_validator("customer", "payment_intent", "invoice", mode="before")(_id)


class StripeRefund(StripeModel):
    id: str
    amount: int
    currency: str
    charge: str | None = None
    customer: str | None = None
    payment_intent: str | None = None
    status: str
    reason: str | None = None
    created: int
    failure_balance_transaction: str | None = None

    _refs = field_validator(
        "charge", "customer", "payment_intent", "failure_balance_transaction", mode="before"
    )(_id)


class StripeCreditNoteLine(StripeModel):
    id: str
    amount: int
    description: str | None = None
    quantity: int | None = None
    discount_amount: int = 0


class StripeCreditNote(StripeModel):
    id: str
    number: str | None = None
    invoice: str
    customer: str
    currency: str
    type: str  # pre_payment | post_payment | mixed
    status: str  # issued | void
    amount: int
    total: int | None = None
    subtotal: int | None = None
    discount_amount: int = 0
    total_taxes: list[dict[str, Any]] | None = None
    pre_payment_amount: int | None = None
    post_payment_amount: int | None = None
    out_of_band_amount: int | None = None
    refunds: list[dict[str, Any]] = Field(default_factory=list)
    created: int
    effective_at: int | None = None
    memo: str | None = None
    reason: str | None = None

    _refs = field_validator("invoice", "customer", mode="before")(_id)

    @property
    def refunded_amount(self) -> int:
        return sum(int(r.get("amount_refunded") or 0) for r in self.refunds)

    @property
    def applied_before_payment(self) -> int:
        """What reduced the invoice's amount due (the whole note for a pre_payment one)."""
        if self.pre_payment_amount is not None:
            return self.pre_payment_amount
        return self.amount if self.type == "pre_payment" else 0

    @property
    def credited_to_balance(self) -> int:
        """The part of an after-payment note that went to the customer's credit balance."""
        after = self.post_payment_amount
        if after is None:
            after = self.amount if self.type == "post_payment" else 0
        return max(0, after - self.refunded_amount - int(self.out_of_band_amount or 0))


class StripeBalanceTransaction(StripeModel):
    id: str
    amount: int
    fee: int = 0
    net: int | None = None
    currency: str
    type: str
    created: int
    reporting_category: str | None = None
    source: str | None = None
    # set when Stripe converted the money ("The exchange rate used, if applicable"): a flag
    # only; the conversion is booked from the integers amount and the source's amount
    exchange_rate: Decimal | None = None

    _refs = field_validator("source", mode="before")(_id)

    @property
    def converted(self) -> bool:
        return self.exchange_rate is not None

    @property
    def net_amount(self) -> int:
        return self.net if self.net is not None else self.amount - self.fee


class StripeDispute(StripeModel):
    id: str
    amount: int
    currency: str
    charge: str
    status: str
    reason: str | None = None
    balance_transactions: list[StripeBalanceTransaction] = Field(default_factory=list)
    created: int

    _refs = field_validator("charge", mode="before")(_id)


class StripeProduct(StripeModel):
    id: str
    name: str
    description: str | None = None
    active: bool = True
