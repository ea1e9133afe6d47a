"""Pure mappers from Stripe models to QBO documents: models in, models out, dates passed in."""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal

from shared.domain.idempotency import doc_number_from_stripe_number
from shared.domain.money import decimal_from_minor
from shared.domain.qbo_models import (
    QboCustomer,
    QboInvoice,
    QboSalesLine,
    Ref,
    SalesItemLineDetail,
)
from shared.domain.stripe_models import StripeCustomer, StripeInvoice, StripeInvoiceLine
from shared.errors import MappingGapError

DISPLAY_NAME_MAX = 100
UNIT_PRICE_PLACES = Decimal("0.0000001")


def date_from_unix(timestamp: int, tz: tzinfo = UTC) -> date:
    """The calendar date of a Unix timestamp in the books' time zone."""
    return datetime.fromtimestamp(timestamp, tz).date()


def display_name_from_stripe_customer(customer: StripeCustomer) -> str:
    """Unique by construction: QBO refuses a name used by any customer, vendor or employee."""
    base = (customer.name or customer.email or customer.description or "").strip()
    suffix = f" [{customer.id}]"
    if not base:
        return customer.id
    return base[: DISPLAY_NAME_MAX - len(suffix)].rstrip() + suffix


def qbo_customer_from_stripe_customer(customer: StripeCustomer) -> QboCustomer:
    return QboCustomer(
        DisplayName=display_name_from_stripe_customer(customer),
        CompanyName=(customer.name or None),
        Notes=f"Stripe customer {customer.id}",
    )


def qbo_line_from_stripe_line(line: StripeInvoiceLine, item: Ref, tz: tzinfo) -> QboSalesLine:
    amount = decimal_from_minor(line.amount, line.currency)
    quantity = line.quantity if line.quantity and line.quantity > 0 else None
    unit_price = None
    if quantity is not None:
        unit_price = (amount / quantity).quantize(UNIT_PRICE_PLACES).normalize()
    service_date = date_from_unix(line.period.end, tz) if line.period else None
    return QboSalesLine(
        Amount=amount,
        Description=line.description,
        SalesItemLineDetail=SalesItemLineDetail(
            ItemRef=item,
            Qty=Decimal(quantity) if quantity is not None else None,
            UnitPrice=unit_price,
            ServiceDate=service_date,
        ),
    )


def qbo_invoice_from_stripe_invoice(
    invoice: StripeInvoice,
    customer: Ref,
    item: Ref,
    *,
    home_currency: str,
    tz: tzinfo = UTC,
) -> QboInvoice:
    """A finalized Stripe invoice as a QBO Invoice with one sales line per Stripe line."""
    if not invoice.is_accounting_document:
        raise MappingGapError(f"invoice {invoice.id} is a draft and has no accounting meaning")
    if not invoice.number:
        raise MappingGapError(f"invoice {invoice.id} has no number", code="no_number")
    line_sum = sum(line.amount for line in invoice.lines)
    if line_sum != invoice.total:
        # Discounts, tax and credits arrive with the full posting model; until then an
        # invoice whose lines do not add up is refused rather than posted wrong.
        raise MappingGapError(
            f"invoice {invoice.id}: lines sum to {line_sum} minor units, total is {invoice.total}",
            code="lines_total_mismatch",
        )
    currency = invoice.currency.lower()
    finalized = invoice.status_transitions.finalized_at or invoice.created
    return QboInvoice(
        CustomerRef=customer,
        DocNumber=doc_number_from_stripe_number(invoice.number),
        TxnDate=date_from_unix(finalized, tz),
        DueDate=date_from_unix(invoice.due_date, tz) if invoice.due_date else None,
        Line=[qbo_line_from_stripe_line(line, item, tz) for line in invoice.lines],
        PrivateNote=f"Stripe invoice {invoice.id} ({invoice.number})",
        CurrencyRef=Ref(value=currency.upper()) if currency != home_currency.lower() else None,
    )
