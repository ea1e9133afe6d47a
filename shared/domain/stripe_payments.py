"""Pydantic models of the Stripe money movements the sync reads: payments, refunds, credits,
disputes and their balance transactions."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import Field, field_validator, model_validator

from shared.domain.stripe_models import (
    StripeModel,
    StripePretaxCredit,
    StripeShippingCost,
    id_of_ref,
    ref_id,
)
from shared.domain.stripe_tax import StripeTax

_id = id_of_ref


class StripeInvoicePayment(StripeModel):
    """A payment of an invoice: a PaymentIntent (or bare charge), or a PaymentRecord."""

    id: str
    invoice: str
    amount_paid: int | None = None
    amount_requested: int | None = None
    currency: str
    status: str
    is_default: bool = False
    payment: dict[str, Any] = Field(default_factory=dict)
    status_transitions: dict[str, Any] = Field(default_factory=dict)
    created: int = 0

    _refs = field_validator("invoice", mode="before")(_id)

    @property
    def paid_at(self) -> int:
        return int(self.status_transitions.get("paid_at") or self.created)

    @property
    def payment_type(self) -> str:
        return str(self.payment.get("type") or "")

    @property
    def payment_intent(self) -> str | None:
        return ref_id(self.payment.get("payment_intent"))

    @property
    def payment_record(self) -> str | None:
        return ref_id(self.payment.get("payment_record"))

    @property
    def charge(self) -> str | None:
        """The charge: named for a bare charge; for a PaymentIntent, its ``latest_charge`` when
        the list was asked to expand ``data.payment.payment_intent``."""
        named = ref_id(self.payment.get("charge"))
        intent = self.payment.get("payment_intent")
        if named is None and isinstance(intent, dict):
            return ref_id(intent.get("latest_charge"))
        return named

    @property
    def source_id(self) -> str:
        """The Stripe object whose money this is: the PaymentIntent, charge or PaymentRecord."""
        return self.payment_intent or self.payment_record or self.charge or self.id


class StripePaymentRecord(StripeModel):
    """A payment reported to Stripe (``POST /v1/payment_records/report_payment``); money that
    moved outside Stripe unless Stripe itself reported it."""

    id: str
    amount: dict[str, Any] = Field(default_factory=dict)
    amount_refunded: dict[str, Any] = Field(default_factory=dict)
    reported_by: str = "self"
    processor_details: dict[str, Any] = Field(default_factory=dict)
    created: int = 0

    @property
    def off_stripe(self) -> bool:
        return self.reported_by != "stripe"


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
    created: int

    _refs = field_validator("customer", "payment_intent", mode="before")(_id)


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
    """A credited line: ``amount`` before discounts and exclusive tax, as an invoice line's."""

    id: str
    amount: int
    description: str | None = None
    quantity: int | None = None
    discount_amount: int = 0
    pretax_credit_amounts: list[StripePretaxCredit] = Field(default_factory=list)
    taxes: tuple[StripeTax, ...] = ()

    @property
    def billing_credits(self) -> int:
        return sum(c.amount for c in self.pretax_credit_amounts if c.type != "discount")


class StripeCreditNoteRefund(StripeModel):
    """One entry of ``refunds``: a Stripe Refund, or a refund reported on a PaymentRecord."""

    amount_refunded: int
    type: str | None = None  # refund | payment_record_refund (None: refund)
    refund: str | None = None
    payment_record_refund: dict[str, Any] | None = None

    _refs = field_validator("refund", mode="before")(_id)

    @property
    def off_stripe(self) -> bool:
        return self.type == "payment_record_refund"


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
    pretax_credit_amounts: list[StripePretaxCredit] | None = None
    amount_shipping: int = 0
    shipping_cost: StripeShippingCost | None = None
    pre_payment_amount: int | None = None
    post_payment_amount: int | None = None
    out_of_band_amount: int | None = None
    refunds: list[StripeCreditNoteRefund] = Field(default_factory=list)
    customer_balance_transaction: str | None = None
    created: int
    effective_at: int | None = None
    memo: str | None = None
    reason: str | None = None
    lines: tuple[StripeCreditNoteLine, ...] = ()
    more_lines: bool = False  # Stripe embeds the first lines only; the rest are listed apart

    @model_validator(mode="before")
    @classmethod
    def _embedded_lines(cls, raw: Any) -> Any:
        if isinstance(raw, dict) and isinstance(raw.get("lines"), dict):
            embedded = raw["lines"]
            return {**raw, "lines": embedded.get("data") or [],
                    "more_lines": bool(embedded.get("has_more"))}  # fmt: skip
        return raw

    _refs = field_validator("invoice", "customer", "customer_balance_transaction", mode="before")(
        _id
    )

    @property
    def refunded_amount(self) -> int:
        return sum(r.amount_refunded for r in self.refunds)

    @property
    def refunded_off_stripe(self) -> int:
        """Paid back outside Stripe: refunds reported on PaymentRecords, and the out-of-band
        amount (both leave where out-of-band money is kept)."""
        reported = sum(r.amount_refunded for r in self.refunds if r.off_stripe)
        return reported + int(self.out_of_band_amount or 0)

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
    name: str = ""  # a deleted product is only {id, object, deleted}
    description: str | None = None
    active: bool = True
    deleted: bool = False
