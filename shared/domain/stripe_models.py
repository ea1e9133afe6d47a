"""Pydantic models of the Stripe fields the sync reads (everything else is ignored)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from shared.domain.stripe_tax import StripeTax, taxes_from_api


class StripeModel(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


def ref_id(value: str | dict[str, Any] | None) -> str | None:
    """Stripe fields hold either an id or, when expanded, the object itself."""
    if isinstance(value, dict):
        found = value.get("id")
        return str(found) if found is not None else None
    return value


def id_of_ref(value: Any) -> Any:
    """A validator for reference fields: an expanded object becomes its id."""
    return ref_id(value) if isinstance(value, dict) else value


class StripeEvent(StripeModel):
    id: str
    type: str
    created: int
    livemode: bool = False
    api_version: str | None = None
    data: dict[str, Any]
    account: str | None = None  # Connect: the connected account the event happened in

    @property
    def object(self) -> dict[str, Any]:
        obj = self.data.get("object")
        return obj if isinstance(obj, dict) else {}

    @property
    def object_id(self) -> str | None:
        value = self.object.get("id")
        return str(value) if value is not None else None

    @property
    def object_type(self) -> str | None:
        value = self.object.get("object")
        return str(value) if value is not None else None


class StripeAddress(StripeModel):
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None


class StripeCustomer(StripeModel):
    id: str
    object: Literal["customer"] = "customer"
    name: str | None = None
    email: str | None = None
    description: str | None = None
    currency: str | None = None
    created: int = 0
    deleted: bool = False
    address: StripeAddress | None = None
    metadata: dict[str, str] = Field(default_factory=dict)


class StripePeriod(StripeModel):
    start: int
    end: int


class StripePretaxCredit(StripeModel):
    """One entry of ``total_pretax_credit_amounts``: a discount, or billing credits applied."""

    amount: int
    type: str
    credit_balance_transaction: str | None = None
    discount: str | None = None

    _refs = field_validator("credit_balance_transaction", "discount", mode="before")(id_of_ref)


class StripeInvoiceLine(StripeModel):
    id: str
    amount: int  # before discounts; inclusive tax inside, exclusive tax on top
    currency: str
    description: str | None = None
    quantity: int | None = None
    period: StripePeriod | None = None
    price_id: str | None = None
    product_id: str | None = None
    discount_amounts: list[dict[str, Any]] = Field(default_factory=list)
    pretax_credit_amounts: list[StripePretaxCredit] = Field(default_factory=list)
    taxes: tuple[StripeTax, ...] = ()
    metadata: dict[str, str] = Field(default_factory=dict)

    @property
    def discounts(self) -> int:
        return sum(int(d.get("amount") or 0) for d in self.discount_amounts)

    @property
    def billing_credits(self) -> int:
        """Billing credits (credit grants) applied to this line before tax."""
        return sum(c.amount for c in self.pretax_credit_amounts if c.type != "discount")


class StripeStatusTransitions(StripeModel):
    finalized_at: int | None = None
    paid_at: int | None = None
    voided_at: int | None = None
    marked_uncollectible_at: int | None = None


class StripeShippingCost(StripeModel):
    """``shipping_cost``: ``amount_total`` is what the invoice total holds of it; the tax on
    shipping is what is added on top of ``amount_subtotal``."""

    amount_subtotal: int
    amount_tax: int = 0
    amount_total: int
    shipping_rate: str | None = None
    taxes: tuple[StripeTax, ...] = ()  # each names its whole TaxRate (``rate``)

    _refs = field_validator("shipping_rate", mode="before")(id_of_ref)

    @property
    def exclusive_tax(self) -> int:
        return self.amount_total - self.amount_subtotal


InvoiceStatus = Literal["draft", "open", "paid", "uncollectible", "void"]


class StripeInvoice(StripeModel):
    id: str
    object: Literal["invoice"] = "invoice"
    customer: str
    number: str | None = None
    status: InvoiceStatus
    currency: str
    created: int
    due_date: int | None = None
    description: str | None = None
    subtotal: int
    total: int
    total_taxes: list[dict[str, Any]] | None = None
    total_discount_amounts: list[dict[str, Any]] | None = None
    total_pretax_credit_amounts: list[StripePretaxCredit] | None = None
    amount_shipping: int = 0
    shipping_cost: StripeShippingCost | None = None
    amount_due: int
    amount_paid: int
    amount_remaining: int
    starting_balance: int = 0
    ending_balance: int | None = None
    pre_payment_credit_notes_amount: int = 0
    post_payment_credit_notes_amount: int = 0
    lines: list[StripeInvoiceLine]
    status_transitions: StripeStatusTransitions = StripeStatusTransitions()
    hosted_invoice_url: str | None = None
    metadata: dict[str, str] = Field(default_factory=dict)

    @property
    def is_accounting_document(self) -> bool:
        """A draft can still change and has no number: it never reaches the books."""
        return self.status != "draft"

    @property
    def balance_applied(self) -> int:
        """What the customer's balance paid of this invoice (credit > 0; a debit carried in < 0).

        Fixed at finalization: ``ending_balance`` is null until then.
        """
        if self.ending_balance is None:
            return 0
        return self.ending_balance - self.starting_balance


def invoice_line_from_api(raw: dict[str, Any]) -> StripeInvoiceLine:
    """Flatten an invoice line: the price and product are named by ``pricing.price_details``."""
    pricing = raw.get("pricing") if isinstance(raw.get("pricing"), dict) else None
    price_details = (pricing or {}).get("price_details") or {}
    return StripeInvoiceLine(
        id=raw["id"],
        amount=raw["amount"],
        currency=raw["currency"],
        description=raw.get("description"),
        quantity=raw.get("quantity"),
        period=raw.get("period"),
        price_id=ref_id(price_details.get("price")),
        product_id=ref_id(price_details.get("product")),
        discount_amounts=raw.get("discount_amounts") or [],
        pretax_credit_amounts=raw.get("pretax_credit_amounts") or [],
        taxes=taxes_from_api(raw.get("taxes")),
        metadata=raw.get("metadata") or {},
    )


def invoice_from_api(raw: dict[str, Any], lines: list[dict[str, Any]]) -> StripeInvoice:
    """Build the model from an API invoice and the complete list of its lines."""
    fields = {k: v for k, v in raw.items() if k != "lines"}
    fields["customer"] = ref_id(raw.get("customer"))
    return StripeInvoice.model_validate(
        {**fields, "lines": [invoice_line_from_api(line) for line in lines]}
    )


def invalid_field_paths(invalid: ValidationError, limit: int = 5) -> str:
    """The paths of the fields that failed validation; never their values, which may be PII."""
    paths = sorted({".".join(str(part) for part in err["loc"]) for err in invalid.errors()})
    return ", ".join(paths[:limit])
