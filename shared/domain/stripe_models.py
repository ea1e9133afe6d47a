"""Pydantic models of the Stripe fields the sync reads (everything else is ignored)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class StripeModel(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


def ref_id(value: str | dict[str, Any] | None) -> str | None:
    """Stripe fields hold either an id or, when expanded, the object itself."""
    if isinstance(value, dict):
        found = value.get("id")
        return str(found) if found is not None else None
    return value


class StripeEvent(StripeModel):
    id: str
    type: str
    created: int
    livemode: bool = False
    api_version: str | None = None
    data: dict[str, Any]

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


class StripeInvoiceLine(StripeModel):
    id: str
    amount: int
    currency: str
    description: str | None = None
    quantity: int | None = None
    period: StripePeriod | None = None
    price_id: str | None = None
    product_id: str | None = None
    unit_amount: int | None = None
    discount_amounts: list[dict[str, Any]] = Field(default_factory=list)


class StripeStatusTransitions(StripeModel):
    finalized_at: int | None = None
    paid_at: int | None = None
    voided_at: int | None = None
    marked_uncollectible_at: int | None = None


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
    tax: int | None = None
    total_taxes: list[dict[str, Any]] | None = None
    total_discount_amounts: list[dict[str, Any]] | None = None
    paid_out_of_band: bool = False
    amount_due: int
    amount_paid: int
    amount_remaining: int
    lines: list[StripeInvoiceLine]
    status_transitions: StripeStatusTransitions = StripeStatusTransitions()
    hosted_invoice_url: str | None = None
    metadata: dict[str, str] = Field(default_factory=dict)

    @property
    def is_accounting_document(self) -> bool:
        """A draft can still change and has no number: it never reaches the books."""
        return self.status != "draft"


def invoice_line_from_api(raw: dict[str, Any]) -> StripeInvoiceLine:
    """Flatten an invoice line as the API returns it (price or pricing, old or new shape)."""
    price = raw.get("price") if isinstance(raw.get("price"), dict) else None
    pricing = raw.get("pricing") if isinstance(raw.get("pricing"), dict) else None
    price_details = (pricing or {}).get("price_details") or {}
    price_id = ref_id(price) if price else ref_id(price_details.get("price"))
    product_id = ref_id(price.get("product")) if price else ref_id(price_details.get("product"))
    unit_amount = price.get("unit_amount") if price else None
    return StripeInvoiceLine(
        id=raw["id"],
        amount=raw["amount"],
        currency=raw["currency"],
        description=raw.get("description"),
        quantity=raw.get("quantity"),
        period=raw.get("period"),
        price_id=price_id,
        product_id=product_id,
        unit_amount=unit_amount,
        discount_amounts=raw.get("discount_amounts") or [],
    )


def invoice_from_api(raw: dict[str, Any], lines: list[dict[str, Any]]) -> StripeInvoice:
    """Build the model from an API invoice and the complete list of its lines."""
    fields = {k: v for k, v in raw.items() if k != "lines"}
    fields["customer"] = ref_id(raw.get("customer"))
    fields["tax"] = raw.get("tax")
    return StripeInvoice.model_validate(
        {**fields, "lines": [invoice_line_from_api(line) for line in lines]}
    )


def invalid_field_paths(invalid: ValidationError, limit: int = 5) -> str:
    """The paths of the fields that failed validation; never their values, which may be PII."""
    paths = sorted({".".join(str(part) for part in err["loc"]) for err in invalid.errors()})
    return ", ".join(paths[:limit])
