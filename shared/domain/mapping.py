"""Pure mappers from Stripe customers and invoices to QBO documents; dates and refs passed in."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal
from typing import Any

from shared.domain.idempotency import doc_number_from_stripe_number
from shared.domain.names import (
    COMPANY_NAME_MAX,
    DISPLAY_NAME_MAX,
    clean_name,
    limited_name,
    name_with_id,
)
from shared.domain.qbo_lines import discount_line, sales_line_from_amount
from shared.domain.qbo_models import (
    CUSTOMER_MEMO_MAX,
    Memo,
    QboCustomer,
    QboInvoice,
    Ref,
    SalesLine,
)
from shared.domain.rounding import books_amount, books_parts
from shared.domain.sale_parts import SaleParts, parts_from_stripe_invoice
from shared.domain.stripe_models import StripeCustomer, StripeInvoice, StripeInvoiceLine
from shared.errors import MappingGapError

# The fields a QBO document carries our marker in: transactions, customers, items.
MARKER_FIELDS = ("PrivateNote", "Notes", "Description")
_MARKER_CORE = re.compile(r"Stripe [a-z_]+ [A-Za-z0-9_]+")
VOIDED_PREFIX = "Voided - "  # what QBO puts before the note of a document it voids


def marker(kind: str, stripe_id: str, detail: str = "") -> str:
    """``Stripe invoice in_1 (ABC-0001)``: how every QBO document names its Stripe source."""
    return f"Stripe {kind} {stripe_id}" + (f" ({detail})" if detail else "")


def marker_core(document: Mapping[str, Any]) -> str | None:
    """``Stripe invoice in_1``: the kind and Stripe id a document we write is marked with, or
    None for documents that carry no marker (accounts and items found by their names). A
    document QBO voided keeps its note after ``Voided - `` (QBO's void form)."""
    for name in MARKER_FIELDS:
        value = document.get(name)
        if isinstance(value, str):
            value = value.removeprefix(VOIDED_PREFIX)
        found = _MARKER_CORE.match(value) if isinstance(value, str) else None
        if found:
            return found.group(0)
    return None


def carries_marker(document: Mapping[str, Any], core: str) -> bool:
    """Whether ``document`` (as QBO returns it) names ``core`` as its source: written by us."""
    pattern = re.compile(re.escape(core) + r"(?![A-Za-z0-9_])")
    return any(
        isinstance(document.get(name), str) and pattern.search(str(document[name])) is not None
        for name in MARKER_FIELDS
    )


def date_from_unix(timestamp: int, tz: tzinfo = UTC) -> date:
    """The calendar date of a Unix timestamp in the books' time zone."""
    return datetime.fromtimestamp(timestamp, tz).date()


@dataclass(frozen=True)
class CurrencyTerms:
    """A document's currency against the home currency; ``rate`` is home units per unit."""

    currency: str
    home_currency: str
    rate: Decimal | None = None

    @property
    def foreign(self) -> bool:
        return self.currency.lower() != self.home_currency.lower()

    def fields(self) -> dict[str, Any]:
        if not self.foreign:
            return {}
        return {"CurrencyRef": Ref(value=self.currency.upper()), "ExchangeRate": self.rate}

    def amount(self, minor: int) -> Decimal:
        """Stripe's amount as QBO keeps it (``rounding``: three-decimal ones to 2 places)."""
        return books_amount(minor, self.currency)

    def parts(self, minor: Sequence[int], total: Decimal | None = None) -> list[Decimal]:
        """A document's signed parts, rounded to add up to ``total`` (default: their sum's)."""
        return books_parts(minor, self.currency, total)


@dataclass(frozen=True)
class SalesRefs:
    """The items and accounts sales documents point at. Shipping and billing-credit items are
    only looked up (or created) for documents that need them."""

    default_item: Ref
    tax_item: Ref
    discount_account: Ref
    items_by_product: Mapping[str, Ref] = field(default_factory=dict)
    shipping_item: Ref | None = None
    credits_item: Ref | None = None

    def item_for(self, line: StripeInvoiceLine) -> Ref:
        if line.product_id and line.product_id in self.items_by_product:
            return self.items_by_product[line.product_id]
        return self.default_item


def display_name_from_stripe_customer(customer: StripeCustomer, currency_suffix: str = "") -> str:
    """Unique by construction (QBO refuses a name used by any customer, vendor or employee): the
    Stripe id is always in it; what QBO refuses in a name is cleaned out (names.py)."""
    base = customer.name or customer.email or customer.description or ""
    suffix = f" [{customer.id}]" + (f" {currency_suffix}" if currency_suffix else "")
    if not clean_name(base):
        return customer.id + (f" {currency_suffix}" if currency_suffix else "")
    return name_with_id(base, suffix, DISPLAY_NAME_MAX)


def qbo_customer_from_stripe_customer(
    customer: StripeCustomer, terms: CurrencyTerms | None = None
) -> QboCustomer:
    """One QBO customer per currency: QBO fixes a customer's currency at its first document."""
    foreign = terms is not None and terms.foreign
    suffix = terms.currency.upper() if terms is not None and foreign else ""
    return QboCustomer(
        DisplayName=display_name_from_stripe_customer(customer, suffix),
        CompanyName=limited_name(customer.name or "", COMPANY_NAME_MAX) or None,
        Notes=marker("customer", customer.id),
        CurrencyRef=Ref(value=suffix) if suffix else None,
    )


@dataclass(frozen=True)
class ItemLine:
    """A line of goods or services before rounding: its exact amount and what it points at."""

    minor: int
    item: Ref
    description: str | None
    quantity: int | None = None
    service_date: date | None = None


def sales_lines_from_parts(
    parts: SaleParts,
    refs: SalesRefs,
    terms: CurrencyTerms,
    items: Sequence[ItemLine],
    total: Decimal | None = None,
) -> list[SalesLine]:
    """The item lines, then one line per other part: discounts, billing credits (a negative
    line), shipping, and tax (on the lines and on shipping, as tax is booked today).

    Amounts follow the rounding policy (rule 1): every part rounded, the largest absorbing what
    makes them add up to ``total`` (default: Stripe's total, rounded)."""
    others = [-parts.discounts, -parts.credits, parts.shipping, parts.tax]
    amounts = terms.parts([i.minor for i in items] + others, total)
    lines: list[SalesLine] = [
        sales_line_from_amount(
            amount, i.item, i.description, quantity=i.quantity, service_date=i.service_date
        )
        for i, amount in zip(items, amounts, strict=False)
    ]
    discount, credits, shipping, tax = amounts[len(items) :]
    if parts.discounts:
        lines.append(discount_line(-discount, refs.discount_account, "Discounts"))
    if parts.credits:
        if refs.credits_item is None:
            raise MappingGapError("billing credits need the credits item", code="no_credits_item")
        lines.append(sales_line_from_amount(credits, refs.credits_item, "Billing credits applied"))
    if parts.shipping:
        if refs.shipping_item is None:
            raise MappingGapError("shipping needs the shipping item", code="no_shipping_item")
        lines.append(sales_line_from_amount(shipping, refs.shipping_item, "Shipping"))
    if parts.tax:
        lines.append(sales_line_from_amount(tax, refs.tax_item, "Tax"))
    return lines


def qbo_invoice_from_stripe_invoice(
    invoice: StripeInvoice,
    customer: Ref,
    refs: SalesRefs,
    terms: CurrencyTerms,
    *,
    tz: tzinfo = UTC,
) -> QboInvoice:
    """A finalized Stripe invoice: a line per Stripe line, then discounts, billing credits,
    shipping and tax; the QBO total equals Stripe's ``total`` (rounded, ``rounding``)."""
    if not invoice.is_accounting_document:
        raise MappingGapError(f"invoice {invoice.id} is a draft and has no accounting meaning")
    if not invoice.number:
        raise MappingGapError(f"invoice {invoice.id} has no number", code="no_number")
    parts = parts_from_stripe_invoice(invoice)
    items = [
        ItemLine(
            line.amount,
            refs.item_for(line),
            line.description,
            quantity=line.quantity,
            service_date=date_from_unix(line.period.end, tz) if line.period else None,
        )
        for line in invoice.lines
    ]
    finalized = invoice.status_transitions.finalized_at or invoice.created
    memo = Memo(value=invoice.description[:CUSTOMER_MEMO_MAX]) if invoice.description else None
    return QboInvoice(
        CustomerRef=customer,
        DocNumber=doc_number_from_stripe_number(invoice.number),
        TxnDate=date_from_unix(finalized, tz),
        DueDate=date_from_unix(invoice.due_date, tz) if invoice.due_date else None,
        Line=sales_lines_from_parts(parts, refs, terms, items),
        PrivateNote=marker("invoice", invoice.id, invoice.number),
        CustomerMemo=memo,
        **terms.fields(),
    )
