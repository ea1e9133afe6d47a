"""The one checker: the books Stripe implies, checked against QBO's state, family by family.

Pure: reads a scenario's latest Stripe state and a QBO state (``qbo.json``) and trusts neither
the link table, nor the run's summary, nor the production mappers: expectations come from
Stripe's figures and the posting model (README). Each Stripe object family is one module
(``FAMILIES``); a new family, or a new rule in one, is added there.

A void in QBO may replace the note ("Voided"), so a voided document may have lost its marker:
voided expectations accept zero or one zeroed document (an invoice is also found by its
DocNumber). A voided invoice is never a mismatch: Stripe's void and QBO's agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from local_emulator.checks import (
    clearing,
    connect,
    conversions,
    credit_notes,
    customer_balance,
    customers,
    disputes,
    documents,
    invoices,
    payment_records,
    payments,
    payouts,
    refunds,
    taxes,
)
from local_emulator.checks.books import (
    MARKER,
    NOTE_FIELDS,
    TRANSACTIONS,
    Expected,
    Options,
    QboIndex,
    StripeBooks,
    Violation,
    home_of,
)
from local_emulator.checks.family import Booked, Context, Family
from local_emulator.harness.scenario import Scenario

FAMILIES: Sequence[Family] = (
    invoices,
    payments,
    credit_notes,
    refunds,
    disputes,
    customers,
    customer_balance,
    payment_records,
    payouts,
    connect,
    conversions,
    taxes,
)


def booked_at_event(stripe: StripeBooks) -> dict[str, Booked]:
    """Every family's bookings at event time (balance-transaction source -> what was booked)."""
    booked: dict[str, Booked] = {}
    for family in FAMILIES:
        booked.update(family.booked_at_event(stripe))
    return booked


def expected_documents(stripe: StripeBooks) -> list[Expected]:
    return [e for family in FAMILIES for e in family.expected_documents(stripe)]


def check_books(
    stripe: StripeBooks, qbo_state: dict[str, Any], options: Options | None = None
) -> list[Violation]:
    """Every way QBO's books disagree with what Stripe's latest state implies (empty: agree)."""
    options = options or Options()
    if options.home_currency is None:
        options = replace(options, home_currency=home_of(qbo_state))
    qbo = QboIndex(qbo_state, str(options.home_currency))
    ctx = Context(stripe, qbo, options, booked_at_event(stripe))
    out = documents.check_documents(expected_documents(stripe), qbo, invoices.doc_numbers(stripe))
    for family in FAMILIES:
        out.extend(family.check(ctx))
    movements = [m for f in FAMILIES for m in f.clearing_movements(stripe, ctx.booked)]
    out.extend(clearing.check_clearing(movements, qbo, options))
    return out


def check_invariants(
    scenario: Scenario,
    qbo_state: dict[str, Any],
    *,
    home_currency: str | None = None,
    clearing_account_name: str = "Stripe Clearing",
) -> list[Violation]:
    """``check_books`` for a scenario file's events and objects."""
    stripe = StripeBooks(o for o in scenario.seed_state() if o.get("object") != "event")
    return check_books(stripe, qbo_state, Options(home_currency, clearing_account_name))


__all__ = [
    "FAMILIES",
    "MARKER",
    "NOTE_FIELDS",
    "TRANSACTIONS",
    "Options",
    "StripeBooks",
    "Violation",
    "check_books",
    "check_invariants",
]
