"""Stripe's tax, read fully: each tax entry of a line, a credit note line or shipping, and the
TaxRate it names (stripe 16.1.0, API 2026-10-28.endive: ``InvoiceLineItem.Tax``,
``CreditNoteLineItem.Tax``, ``Invoice.TotalTax``, ``Invoice.ShippingCost.Tax``, ``TaxRate``).

A line's ``taxes[]`` entry names its rate by id (``tax_rate_details.tax_rate``, not expandable);
shipping's names the whole rate (``rate``). Rates are retrieved once per id (a TaxRate never
changes but for ``active``). Inclusive tax is inside the line's ``amount``; exclusive tax is on
top of it. ``taxable_amount`` is what the rate applied to (after discounts, before tax).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, model_validator


class _StripeObject(BaseModel):
    """As every Stripe model (``stripe_models``, which builds on this module): fields we do not
    read are ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True)


def _id(value: Any) -> Any:
    return value.get("id") if isinstance(value, dict) else value


class StripeTaxRate(_StripeObject):
    id: str
    percentage: Decimal  # out of 100; a float in the API, read through its text
    effective_percentage: Decimal | None = None
    inclusive: bool = False
    country: str | None = None
    state: str | None = None
    jurisdiction: str | None = None
    jurisdiction_level: str | None = None  # set on Stripe Tax's rates, null on manual ones
    tax_type: str | None = None
    display_name: str | None = None
    rate_type: str | None = None  # percentage | flat_amount (Stripe Tax only)
    active: bool = True

    @property
    def applied_percentage(self) -> Decimal:
        """The rate actually applied: Stripe Tax's ``percentage`` includes the statutory rate
        of jurisdictions that did not tax the sale; ``effective_percentage`` does not."""
        return (
            self.effective_percentage if self.effective_percentage is not None else self.percentage
        )

    def describe(self) -> str:
        """``CA BC pst 7% "PST"``: what the rate says, for an error a person reads."""
        where = " ".join(p for p in (self.country, self.state, self.jurisdiction) if p)
        parts = [where, self.tax_type or "", f"{self.percentage.normalize():f}%"]
        name = f'"{self.display_name}"' if self.display_name else ""
        return " ".join(p for p in (*parts, name) if p)


class StripeTax(_StripeObject):
    """One tax entry: of a line (``taxes[]``), of a document (``total_taxes[]``), or of shipping
    (``shipping_cost.taxes[]``, whose ``rate`` is the TaxRate itself)."""

    amount: int
    tax_behavior: Literal["exclusive", "inclusive"] = "exclusive"
    taxability_reason: str | None = None
    taxable_amount: int | None = None
    tax_rate: str | None = None
    rate: StripeTaxRate | None = None  # shipping's entries carry the rate object

    @model_validator(mode="before")
    @classmethod
    def _flatten(cls, raw: Any) -> Any:
        if not isinstance(raw, dict):
            return raw
        out = dict(raw)
        details = raw.get("tax_rate_details")
        if isinstance(details, dict) and not out.get("tax_rate"):
            out["tax_rate"] = _id(details.get("tax_rate"))
        rate = raw.get("rate")
        if isinstance(rate, dict):
            out["tax_rate"] = out.get("tax_rate") or rate.get("id")
            # a shipping tax's behaviour is its rate's
            out.setdefault("tax_behavior", "inclusive" if rate.get("inclusive") else "exclusive")
        elif rate is not None:
            out["tax_rate"] = out.get("tax_rate") or _id(rate)
            out.pop("rate")
        return out

    @property
    def inclusive(self) -> bool:
        return self.tax_behavior == "inclusive"


def taxes_from_api(raw: Sequence[dict[str, Any]] | None) -> tuple[StripeTax, ...]:
    return tuple(StripeTax.model_validate(t) for t in raw or [])


def inclusive_minor(taxes: Iterable[StripeTax]) -> int:
    """Tax already inside the amounts (inclusive prices)."""
    return sum(t.amount for t in taxes if t.inclusive)


def exclusive_minor(taxes: Iterable[StripeTax]) -> int:
    """Tax added on top of the amounts."""
    return sum(t.amount for t in taxes if not t.inclusive)


def rate_ids(taxes: Iterable[StripeTax]) -> set[str]:
    """The TaxRate ids a set of tax entries names and does not embed."""
    return {t.tax_rate for t in taxes if t.tax_rate and t.rate is None}
