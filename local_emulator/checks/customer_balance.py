"""The customer's credit balance: a document per adjustment made by hand (a CreditMemo for a
credit, an Invoice for a debit), one zero-total Payment applying the credit each invoice used
(``applied_to_invoice``; voided, or gone, with a voided invoice), and each customer's unapplied
credit in QBO (CreditMemo RemainingCredit and Payment UnappliedAmt) equal to its Stripe credit
balance, in the customer's currency. Which memos an application uses is the sync's choice; the
invoice's open balance (``invoices``) and the unapplied credit here prove it used enough.

Three-decimal currencies follow the README's rounding policy, rule 4: each credit is held at its
rounded amount, each use takes its rounded amount (the invoice's first settlement), so the
customer's credit in QBO is its rounded credits less its rounded uses, never below zero: a use
that finds less than it takes gets a rounding memo (``credit_rounding``) of the difference."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from local_emulator.checks.books import (
    ZERO,
    Expected,
    StripeBooks,
    Violation,
    amount_of,
    money,
    ref,
)
from local_emulator.checks.family import Context, no_bookings, no_movements
from local_emulator.checks.rounding import rounds

ADJUSTMENT_TYPES = ("adjustment", "initial", "migration")


def books_credit(stripe: StripeBooks) -> tuple[dict[str, Decimal], list[Expected]]:
    """Rule 4, from Stripe's balance transactions in order: each three-decimal customer's
    credit as QBO should hold it, and the rounding memos its uses need."""
    held: dict[str, Decimal] = defaultdict(Decimal)  # customer -> credit, as QBO holds it
    credit: dict[str, int] = defaultdict(int)  # customer -> credit, exactly
    took: dict[str, Decimal] = {}  # invoice -> what its use took
    memos: list[Expected] = []
    for txn in stripe.of("customer_balance_transaction"):  # oldest first
        cur, who, amount = str(txn["currency"]), ref(txn.get("customer")), int(txn["amount"])
        if not rounds(cur):
            continue
        invoice, kind = ref(txn.get("invoice")), txn["type"]
        if kind == "unapplied_from_invoice" and amount < 0:
            held[who] += took.pop(invoice, money(-amount, cur))
        elif kind == "credit_note" and amount > 0:  # a voided credit note takes it back
            held[who] = max(ZERO, held[who] - money(amount, cur))
        elif amount < 0:
            held[who] += money(-amount, cur)
        elif kind == "applied_to_invoice" or kind in ADJUSTMENT_TYPES:
            use = money(min(amount, credit[who]), cur)
            if use > held[who]:
                memos.append(
                    Expected("CreditMemo", "credit_rounding", str(txn["id"]), cur, use - held[who])
                )
            held[who] = max(ZERO, held[who] - use)
            if kind == "applied_to_invoice":
                took[invoice] = use
        credit[who] = max(0, credit[who] - amount)
    return held, memos


def expected_documents(stripe: StripeBooks) -> list[Expected]:
    out: list[Expected] = list(books_credit(stripe)[1])
    for txn in stripe.of("customer_balance_transaction"):
        amount, cur, tid = int(txn["amount"]), str(txn["currency"]), str(txn["id"])
        if txn["type"] in ADJUSTMENT_TYPES:
            entity = "CreditMemo" if amount < 0 else "Invoice"
            out.append(Expected(entity, "balance_txn", tid, cur, money(abs(amount), cur)))
        elif txn["type"] == "applied_to_invoice" and amount > 0:
            invoice = stripe.get("invoice", ref(txn.get("invoice"))) or {}
            voided = invoice.get("status") == "void"
            out.append(Expected("Payment", "balance_application", tid, cur, ZERO, voided=voided))
    return out


def unapplied_credit(ctx: Context) -> dict[tuple[str, str], Decimal]:
    """(Stripe customer, currency) -> its unapplied credit in QBO."""
    found: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for entity, field in (("CreditMemo", "RemainingCredit"), ("Payment", "UnappliedAmt")):
        for doc in ctx.qbo.docs(entity):
            customer = doc.get("CustomerRef")
            owner = ctx.qbo.customers.get(
                str(customer.get("value")) if isinstance(customer, dict) else ""
            )
            if owner is not None:
                fallback = doc.get("Balance") if entity == "CreditMemo" else 0
                found[owner] += amount_of(doc.get(field, fallback))
    return found


def expected_credit(stripe: StripeBooks, home: str) -> dict[tuple[str, str], Decimal]:
    """(Stripe customer, currency) -> its credit as QBO should hold it (rule 4 where it
    applies, else Stripe's balance)."""
    held = books_credit(stripe)[0]
    out: dict[tuple[str, str], Decimal] = {}
    for customer in stripe.of("customer"):
        cid, currency = str(customer["id"]), str(customer.get("currency") or home)
        exact = money(max(0, -int(customer.get("balance") or 0)), currency)
        out[(cid, currency.upper())] = held.get(cid, ZERO) if rounds(currency) else exact
    return out


def check(ctx: Context) -> list[Violation]:
    found = unapplied_credit(ctx)
    out: list[Violation] = []
    for (cid, currency), expected in expected_credit(ctx.stripe, ctx.qbo.home).items():
        actual = found.get((cid, currency), ZERO)
        if actual != expected:
            out.append(
                Violation(
                    "unapplied_credit",
                    cid,
                    f"{currency} credit: Stripe {expected}, QBO unapplied {actual}",
                )
            )
    return out


booked_at_event = no_bookings
clearing_movements = no_movements
