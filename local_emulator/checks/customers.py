"""Customers and receivables: one QBO customer per Stripe customer and currency it trades in,
and the receivable per customer and currency equal to Stripe's open invoices less the
customer's credit balance."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from local_emulator.checks.books import (
    QboIndex,
    StripeBooks,
    Violation,
    amount_of,
    money,
    ref,
)
from local_emulator.checks.customer_balance import expected_credit
from local_emulator.checks.family import Context, no_bookings, no_documents, no_movements
from local_emulator.checks.rounding import open_amount

# Customers are checked per currency below, not one document per object.
expected_documents = no_documents


def _customers(stripe: StripeBooks, qbo: QboIndex) -> list[Violation]:
    required: set[tuple[str, str]] = set()
    for inv in stripe.invoices():
        required.add((ref(inv.get("customer")), str(inv["currency"]).upper()))
    for charge in stripe.standalone_charges():
        if charge.get("customer"):
            required.add((ref(charge["customer"]), str(charge["currency"]).upper()))
    # A customer may also be on file in its own currency or the home one before it trades.
    optional = {
        (str(c["id"]), str(currency or qbo.home).upper())
        for c in stripe.of("customer")
        for currency in (c.get("currency"), qbo.home)
    }
    ids: dict[tuple[str, str], list[str]] = defaultdict(list)
    for qbo_id, key in qbo.customers.items():
        ids[key].append(qbo_id)
    out: list[Violation] = []
    for key, found in sorted(ids.items()):
        if len(found) > 1:
            detail = f"{len(found)} QBO Customers in {key[1]} (Ids {', '.join(found)})"
            out.append(Violation("duplicate", key[0], detail))
        if key not in required and key not in optional:
            detail = f"QBO Customer in {key[1]}, a currency it does not use"
            out.append(Violation("unexpected", key[0], detail))
    for key in sorted(required - set(ids)):
        out.append(Violation("missing", key[0], f"no QBO Customer in {key[1]}"))
    return out


def _receivables(stripe: StripeBooks, qbo: QboIndex) -> list[Violation]:
    expected: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for inv in stripe.invoices():
        if inv["status"] == "open":
            key = (ref(inv.get("customer")), str(inv["currency"]).upper())
            expected[key] += open_amount(inv)
    for customer in stripe.of("customer"):
        if int(customer.get("balance") or 0) > 0:  # a debit the next invoice collects
            currency = str(customer.get("currency") or qbo.home)
            expected[(str(customer["id"]), currency.upper())] += money(
                customer["balance"], currency
            )
    for key, credit in expected_credit(stripe, qbo.home).items():
        if credit:
            expected[key] -= credit
    actual: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    signs = {
        "Invoice": ("Balance", 1),
        "CreditMemo": ("RemainingCredit", -1),
        "Payment": ("UnappliedAmt", -1),
    }
    for entity, (field, sign) in signs.items():
        for doc in qbo.docs(entity):
            owner = qbo.customers.get(ref((doc.get("CustomerRef") or {}).get("value")))
            if owner is not None:
                actual[owner] += sign * amount_of(doc.get(field, doc.get("Balance")))
    return [
        Violation("ar", key[0], f"{key[1]} receivable: Stripe {expected[key]}, QBO {actual[key]}")
        for key in sorted(set(expected) | set(actual))
        if expected[key] != actual[key]
    ]


def check(ctx: Context) -> list[Violation]:
    return [*_customers(ctx.stripe, ctx.qbo), *_receivables(ctx.stripe, ctx.qbo)]


booked_at_event = no_bookings


clearing_movements = no_movements
