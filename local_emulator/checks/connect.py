"""Stripe Connect, for platforms, from Stripe's figures alone: at each posted payout, every
Connect movement it holds is booked whole to the account the README names for its reporting
category (Stripe's own accounting grouping, docs.stripe.com/reports/reporting-categories),
never to suspense: application fees (``platform_earning``) as platform fee income, their
refunds (``platform_earning_refund``) against it, transfers to connected accounts and their
reversals (``transfer``, ``transfer_reversal``, ``connect_collection_transfer``) to the Connect
transfers account. The payout's entries (``payout_connect``) must move each account by exactly
what Stripe's figures say, per payout and currency; what they move through clearing is the
payout family's rule.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from local_emulator.checks.books import Options, Violation, amount_of, money, ref
from local_emulator.checks.family import Context, no_bookings, no_documents, no_movements
from local_emulator.checks.payouts import posted, transactions

# reporting category -> the account (by the Options field naming it)
ACCOUNTS = {
    "platform_earning": "platform_fees_account_name",
    "platform_earning_refund": "platform_fee_refunds_account_name",
    "transfer": "connect_transfers_account_name",
    "transfer_reversal": "connect_transfers_account_name",
    "connect_collection_transfer": "connect_transfers_account_name",
}
ENTRY_KINDS = ("payout_connect", "payout_suspense", "payout_fees")

expected_documents = no_documents
booked_at_event = no_bookings
clearing_movements = no_movements


def account_name(category: str, options: Options) -> str | None:
    field = ACCOUNTS.get(category)
    return str(getattr(options, field)) if field else None


def check(ctx: Context) -> list[Violation]:
    out: list[Violation] = []
    by_payout = transactions(ctx.stripe)
    for payout in sorted(ctx.stripe.of("payout"), key=lambda p: str(p["id"])):
        if not posted(payout):
            continue
        pid, cur = str(payout["id"]), str(payout["currency"])
        expected: dict[str, Decimal] = defaultdict(Decimal)
        for txn in by_payout.get(pid, []):
            name = account_name(str(txn.get("reporting_category") or ""), ctx.options)
            if name is not None:
                expected[name] -= money(txn["net"], cur)  # Stripe gained: a credit
        moved: dict[str, Decimal] = defaultdict(Decimal)
        names = {ctx.qbo.account_id(n): n for n in expected}
        for kind in ENTRY_KINDS:
            for entry in ctx.qbo.found(kind, pid, "JournalEntry"):
                for line in entry.get("Line") or []:
                    detail = line.get("JournalEntryLineDetail") or {}
                    name = names.get(ref((detail.get("AccountRef") or {}).get("value")))
                    if name is not None:
                        sign = 1 if detail.get("PostingType") == "Debit" else -1
                        moved[name] += sign * amount_of(line.get("Amount"))
        for name, amount in sorted(expected.items()):
            if moved[name] != amount:
                detail = f"{name} moved {moved[name]} {cur.upper()}, Stripe's Connect {amount}"
                out.append(Violation("connect", pid, detail))
    return out
