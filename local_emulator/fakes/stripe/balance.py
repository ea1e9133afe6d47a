"""A customer's credit balance: balance transactions, and what an invoice takes at finalization.

Sources: docs.stripe.com/api/customer_balance_transactions (create: ``amount`` negative credits
the customer, positive debits; ``currency`` sets the customer's currency if unset; the list is
newest first and may be filtered by ``invoice``); docs.stripe.com/billing/customer/balance (the
balance is applied to the next invoice when it is finalized; ``starting_balance`` and
``ending_balance`` record it, and an invoice whose amount due falls to 0 is paid).
"""

from __future__ import annotations

import copy

from .customers import changed_fields, require
from .errors import StripeApiError, invalid
from .listing import paginate
from .params import merged_metadata, opt_int, opt_str, reject_unknown, req_str
from .state import FakeStripe, JsonDict, RequestContext

OBJECT = "customer_balance_transaction"
_CREATE_FIELDS = ["amount", "currency", "description", "metadata"]


def _customer(fake: FakeStripe, customer_id: str) -> JsonDict:
    found = fake.get(customer_id)
    if found is None or found.get("object") != "customer" or found.get("deleted"):
        raise StripeApiError(404, f"No such customer: '{customer_id}'", code="resource_missing")
    return found


def record(
    fake: FakeStripe,
    customer: JsonDict,
    amount: int,
    txn_type: str,
    ctx: RequestContext,
    *,
    currency: str,
    invoice: str | None = None,
    credit_note: str | None = None,
    description: str | None = None,
    metadata: dict[str, str] | None = None,
) -> JsonDict:
    """Move the customer's balance by ``amount``; store the transaction; ``customer.updated``."""
    before = copy.deepcopy(customer)
    customer["balance"] = int(customer.get("balance") or 0) + amount
    if customer.get("currency") is None:
        customer["currency"] = currency
    txn: JsonDict = {
        "id": fake.ids.new("cbtxn"),
        "object": OBJECT,
        "amount": amount,
        "checkout_session": None,
        "created": fake.now(),
        "credit_note": credit_note,
        "currency": currency,
        "customer": customer["id"],
        "customer_account": None,
        "description": description,
        "ending_balance": customer["balance"],
        "invoice": invoice,
        "livemode": False,
        "metadata": metadata or {},
        "type": txn_type,
    }
    fake.put(txn)
    fake.emit_event(
        "customer.updated", customer, previous_attributes=changed_fields(before, customer), ctx=ctx
    )
    return txn


def create_balance_transaction(
    fake: FakeStripe, customer_id: str, params: JsonDict, ctx: RequestContext
) -> JsonDict:
    reject_unknown(params, _CREATE_FIELDS)
    customer = _customer(fake, customer_id)
    amount = opt_int(params, "amount")
    if amount is None:
        raise invalid("Missing required param: amount.", param="amount", code="parameter_missing")
    if amount == 0:
        raise invalid("Amount must be non-zero.", param="amount")
    currency = req_str(params, "currency").lower()
    if customer.get("currency") not in (None, currency):
        raise invalid(
            f"The customer's balance is in {customer['currency']}; a transaction in {currency} "
            "cannot change it.",
            param="currency",
        )
    return record(
        fake,
        customer,
        amount,
        "adjustment",
        ctx,
        currency=currency,
        description=opt_str(params, "description"),
        metadata=merged_metadata({}, params.get("metadata")),
    )


def read(fake: FakeStripe, customer_id: str, txn_id: str | None, params: JsonDict) -> JsonDict:
    """``GET .../balance_transactions`` (newest first, ``invoice`` filter) or one of them."""
    _customer(fake, customer_id)
    if txn_id is not None:
        reject_unknown(params, [])
        found = fake.get(txn_id)
        if found is None or found.get("object") != OBJECT or found["customer"] != customer_id:
            raise StripeApiError(
                404, f"No such customer balance transaction: '{txn_id}'", code="resource_missing"
            )
        return copy.deepcopy(found)
    reject_unknown(params, ["limit", "starting_after", "ending_before", "invoice", "created"])
    items = [t for t in fake.objects_of(OBJECT) if t["customer"] == customer_id]
    if params.get("invoice"):
        items = [t for t in items if t.get("invoice") == params["invoice"]]
    url = f"/v1/customers/{customer_id}/balance_transactions"
    return copy.deepcopy(paginate(items, params, url))


def apply_at_finalization(fake: FakeStripe, invoice: JsonDict, ctx: RequestContext) -> None:
    """Fix ``starting_balance`` and take what the balance covers (or adds) into the invoice."""
    customer = require(fake, invoice["customer"], "customer", "customer")
    same_currency = customer.get("currency") in (None, invoice["currency"])
    starting = int(customer.get("balance") or 0) if same_currency else 0
    total = int(invoice["total"])
    amount_due = max(total + starting, 0)
    ending = starting + total - amount_due
    invoice.update(starting_balance=starting, ending_balance=ending, amount_due=amount_due)
    invoice["amount_remaining"] = amount_due - int(invoice["amount_paid"])
    if ending != starting:
        record(
            fake,
            customer,
            ending - starting,
            "applied_to_invoice",
            ctx,
            currency=invoice["currency"],
            invoice=invoice["id"],
        )
