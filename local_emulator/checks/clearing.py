"""Clearing, per currency: the balance of each currency's clearing account equals the sum of
what every family's postings moved through it, computed from Stripe's figures (payments and
sales receipts gross, refunds, dispute nets, and at each posted payout what its balance
transactions leave beyond that, less the deposit). With every payout posted and none in
transit, that is exactly what Stripe still holds."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from local_emulator.checks.books import Options, QboIndex, Violation


def check_clearing(
    movements: Iterable[tuple[str, Decimal]], qbo: QboIndex, options: Options
) -> list[Violation]:
    expected: dict[str, Decimal] = defaultdict(Decimal)
    for currency, amount in movements:
        expected[currency.lower()] += amount
    prefix = f"{options.clearing_account_name} "
    for name in qbo.accounts:  # a clearing account nobody should have moved counts too
        if name.startswith(prefix) and len(name) == len(prefix) + 3:
            expected[name[-3:].lower()] += 0
    out = []
    for currency in sorted(expected):
        name = options.clearing_account(currency)
        actual = qbo.account_balance(name)
        if actual != expected[currency]:
            detail = f"Stripe implies {expected[currency]} {currency.upper()}, QBO has {actual}"
            out.append(Violation("clearing", name, detail))
    return out
