"""What a settlement statement shows: data from a settlement, its plan and its Stripe invoice."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from shared.domain.settlement import InvoicePlan, Settlement
from shared.domain.settlement_invoice import PAYMENT_TERMS_DAYS


@dataclass(frozen=True)
class CompanyProfile:
    name: str
    address_lines: tuple[str, ...]
    email: str
    website: str = ""
    tax_id: str = ""


# The issuer printed on statements until it becomes a setting of its own.
DEFAULT_COMPANY = CompanyProfile(
    name="Lumen Growth Partners LLC",
    address_lines=("548 Market Street, Suite 300", "San Francisco, CA 94104", "United States"),
    email="billing@lumengrowth.example",
    website="lumengrowth.example",
    tax_id="EIN 12-3456789",
)


@dataclass(frozen=True)
class BillTo:
    name: str
    email: str = ""
    address_lines: tuple[str, ...] = ()


@dataclass(frozen=True)
class InvoiceRef:
    """The Stripe invoice a statement belongs to; number and link are None before it exists."""

    number: str | None
    issued_on: date
    due_on: date
    hosted_url: str | None = None
    stripe_invoice_id: str | None = None


@dataclass(frozen=True)
class Statement:
    company: CompanyProfile
    bill_to: BillTo
    invoice: InvoiceRef
    settlement: Settlement
    plan: InvoicePlan
    revenue_lost: Mapping[str, Decimal]  # credit id -> revenue the credit compensates

    @property
    def filename(self) -> str:
        label = self.invoice.number or self.settlement.settlement_id
        safe = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in label)
        return f"statement-{safe}.pdf"


def _date_from_unix(value: Any) -> date | None:
    if value is None:
        return None
    return datetime.fromtimestamp(int(value), UTC).date()


def invoice_ref_from_stripe(invoice: Mapping[str, Any]) -> InvoiceRef:
    """Number, dates and payment link of a Stripe invoice (dates in UTC)."""
    issued = (
        _date_from_unix((invoice.get("status_transitions") or {}).get("finalized_at"))
        or _date_from_unix(invoice.get("created"))
        or date(1970, 1, 1)
    )
    due = _date_from_unix(invoice.get("due_date")) or issued + timedelta(days=PAYMENT_TERMS_DAYS)
    return InvoiceRef(
        number=invoice.get("number"),
        issued_on=issued,
        due_on=due,
        hosted_url=invoice.get("hosted_invoice_url"),
        stripe_invoice_id=invoice.get("id"),
    )


def draft_invoice_ref(settlement: Settlement) -> InvoiceRef:
    """For a statement previewed before its invoice exists: dated at completion, net 30."""
    issued = settlement.completed_at.astimezone(UTC).date()
    return InvoiceRef(None, issued, issued + timedelta(days=PAYMENT_TERMS_DAYS))


def bill_to_from_stripe(invoice: Mapping[str, Any], fallback_name: str) -> BillTo:
    address = invoice.get("customer_address") or {}
    region = " ".join(str(p) for p in (address.get("state"), address.get("postal_code")) if p)
    city_line = ", ".join(str(p) for p in (address.get("city"), region) if p)
    lines = [address.get("line1"), address.get("line2"), city_line, address.get("country")]
    return BillTo(
        name=str(invoice.get("customer_name") or fallback_name or invoice.get("customer") or ""),
        email=str(invoice.get("customer_email") or ""),
        address_lines=tuple(str(line) for line in lines if line),
    )
