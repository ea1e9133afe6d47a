"""Pure mappers from Stripe customers and invoices to QBO documents; dates and refs passed in."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
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
from shared.domain.qbo_models import (
    CUSTOMER_MEMO_MAX,
    Memo,
    QboCustomer,
    QboInvoice,
    Ref,
)
from shared.domain.rounding import books_amount, books_parts
from shared.domain.sales_tax import TaxedForm
from shared.domain.stripe_models import StripeCustomer, StripeInvoice
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


def qbo_invoice_from_stripe_invoice(
    invoice: StripeInvoice,
    customer: Ref,
    form: TaxedForm,
    terms: CurrencyTerms,
    *,
    tz: tzinfo = UTC,
    department: Ref | None = None,
) -> QboInvoice:
    """A finalized Stripe invoice with ``form``: its lines and tax under the company's tax model
    (``mapping_tax.invoice_sale``, ``sales_tax.taxed_form``); the QBO total equals Stripe's
    ``total`` (rounded, ``rounding``)."""
    if not invoice.is_accounting_document:
        raise MappingGapError(f"invoice {invoice.id} is a draft and has no accounting meaning")
    if not invoice.number:
        raise MappingGapError(f"invoice {invoice.id} has no number", code="no_number")
    finalized = invoice.status_transitions.finalized_at or invoice.created
    memo = Memo(value=invoice.description[:CUSTOMER_MEMO_MAX]) if invoice.description else None
    return QboInvoice(
        CustomerRef=customer,
        DocNumber=doc_number_from_stripe_number(invoice.number),
        TxnDate=date_from_unix(finalized, tz),
        DueDate=date_from_unix(invoice.due_date, tz) if invoice.due_date else None,
        PrivateNote=marker("invoice", invoice.id, invoice.number),
        CustomerMemo=memo,
        DepartmentRef=department,
        **form.fields(),
        **terms.fields(),
    )
