"""The one Stripe API version the fake serves, and the fields that version no longer has.

Stripe renders every object in the version a request names (``Stripe-Version``), or in the
account's default version without the header. The fake keeps its objects in one version only,
so it answers a request for that version (or without the header) and refuses any other with
Stripe's own error for a version it cannot serve, rather than serving shapes from the wrong
version. A malformed header gets Stripe's "invalid API version" error.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from .errors import StripeApiError

# stripe-python 16.1.0 pins this version (stripe/_api_version.py); the sync is written for it.
API_VERSION = "2026-10-28.endive"
_VERSION = re.compile(r"^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$")

# Fields removed by the versions up to API_VERSION, by the ``object`` they belong to. Sources:
# docs.stripe.com/changelog/basil/2025-03-31/add-support-for-multiple-partial-payments-on-invoices
# (invoice payment_intent, charge, paid, paid_out_of_band, application_fee_amount,
# transfer_data; charge and payment_intent invoice; credit note refund),
# docs.stripe.com/changelog/basil/2025-03-31/invoice-pricing-configurations (line items'
# price and plan), and stripe-python 16.1.0's resource classes, which no longer define invoice
# tax and total_tax_amounts, or tax_amounts on lines and credit notes.
REMOVED_FIELDS: dict[str, frozenset[str]] = {
    "invoice": frozenset(
        {
            "paid_out_of_band",
            "charge",
            "payment_intent",
            "paid",
            "application_fee_amount",
            "transfer_data",
            "tax",
            "total_tax_amounts",
        }
    ),
    "line_item": frozenset(
        {"price", "plan", "tax_amounts", "amount_excluding_tax", "unit_amount_excluding_tax"}
    ),
    "invoiceitem": frozenset({"price", "plan", "unit_amount", "unit_amount_decimal"}),
    "charge": frozenset({"invoice"}),
    "payment_intent": frozenset({"invoice"}),
    "credit_note": frozenset({"refund", "tax_amounts"}),
    "credit_note_line_item": frozenset(
        {"tax_amounts", "amount_excluding_tax", "unit_amount_excluding_tax"}
    ),
}


def removed_fields(value: Any, path: str = "") -> Iterator[str]:
    """Paths of every removed field in ``value`` and anything nested in it (events included)."""
    if isinstance(value, list):
        for index, item in enumerate(value):
            yield from removed_fields(item, f"{path}[{index}]")
        return
    if not isinstance(value, dict):
        return
    gone = REMOVED_FIELDS.get(str(value.get("object")), frozenset())
    for key, item in value.items():
        where = f"{path}.{key}" if path else key
        if key in gone:
            yield f"{where} ({value.get('object')})"
        yield from removed_fields(item, where)


def check_version(header: str | None, served: str = API_VERSION) -> None:
    """Refuse a ``Stripe-Version`` the fake cannot render; no header means the account's."""
    if header is None or header == served:
        return
    if not _VERSION.match(header):
        raise StripeApiError(
            400,
            f"Invalid Stripe API version: {header}",
            code="api_version_invalid",
        )
    raise StripeApiError(
        400,
        f"This fake Stripe renders objects in API version {served} only; the request asked "
        f"for {header}. Send Stripe-Version: {served} (shared/config.py STRIPE_API_VERSION).",
        code="api_version_unsupported",
    )
