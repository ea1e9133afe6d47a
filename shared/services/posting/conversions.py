"""Stripe's currency conversions, booked as they happened, when the payout that carries them is
posted (``mapping_fx``). Until then the source's clearing account holds what the source's own
posting put there; after the payout every clearing account holds what Stripe still holds.

Only a balance transaction Stripe says it converted (``exchange_rate`` set) is looked at; its
source (a charge or a refund) is read for its currency and amount. Each conversion is two
journal entries, each created once (requestid and DocNumber from the balance transaction).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from functools import partial

from shared.domain.mapping import date_from_unix
from shared.domain.mapping_fx import (
    Conversion,
    FxAccounts,
    conversion_from,
    fx_difference,
    qbo_fx_difference_entry,
    qbo_fx_entry_from_conversion,
    qbo_fx_in_entry_from_conversion,
)
from shared.domain.mapping_payouts import treatment_of
from shared.domain.money import normalize_currency
from shared.domain.qbo_models import QboJournalEntry
from shared.domain.stripe_payments import StripeBalanceTransaction
from shared.services.posting.work import Work
from shared.services.qbo_lookup import find_all

# the source objects whose own posting moved the gross: a charge (payment, sales receipt) or a
# refund (refund receipt; its failure's reversal)
SOURCE_TYPES = {"ch_": "charge", "py_": "charge", "re_": "refund", "pyr_": "refund"}
FX, FX_IN, FX_DIFF = "JournalEntry:fx", "JournalEntry:fx_in", "JournalEntry:fx_diff"


def conversions_of(
    work: Work, payout_id: str, txns: Iterable[StripeBalanceTransaction]
) -> list[Conversion]:
    """The payout's balance transactions Stripe converted from their source's currency."""
    found = []
    for txn in txns:
        if not txn.converted or treatment_of(txn, payout_id) != "fee_only" or not txn.source:
            continue
        source_type = next(
            (kind for prefix, kind in SOURCE_TYPES.items() if txn.source.startswith(prefix)), None
        )
        if source_type is None:
            continue
        source = work.deps.stripe.retrieve(source_type, txn.source)
        conversion = conversion_from(
            txn, txn.source, str(source["currency"]), int(source.get("amount") or 0)
        )
        if conversion is not None:
            found.append(conversion)
    return found


def ensure_conversion(work: Work, conversion: Conversion) -> None:
    """The entries of one conversion, each once; the difference from the home values QBO
    recorded (HomeTotalAmt), so nothing depends on how QBO rounds."""
    current = work.current(conversion.txn_id, FX_DIFF)
    if current is not None and current.status in ("COMPLETED", "SKIPPED"):
        return
    deps, books = work.deps, work.deps.books
    refs = deps.references
    home = normalize_currency(refs.home_currency())
    settled_home = normalize_currency(conversion.settled_currency) == home
    day = date_from_unix(conversion.created, books.tz)
    settled_clearing = refs.account("clearing", conversion.settled_currency)
    accounts = FxAccounts(
        source_clearing=refs.account("clearing", conversion.source_currency),
        settled_clearing=settled_clearing,
        gain_loss=refs.account("exchange"),
        via=settled_clearing if settled_home else refs.account("fx_conversion"),
    )
    terms = refs.terms(conversion.source_currency, day)
    entry = qbo_fx_entry_from_conversion(conversion, accounts, terms, tz=books.tz)
    source_home = _home_value(work, _ensure(work, conversion.txn_id, FX, entry))
    if settled_home:
        settled = refs.terms(home).amount(abs(conversion.settled_amount))
    else:  # two foreign currencies: the settled side in its own entry
        settled_terms = refs.terms(conversion.settled_currency, day)
        entry_in = qbo_fx_in_entry_from_conversion(conversion, accounts, settled_terms, tz=books.tz)
        settled = _home_value(work, _ensure(work, conversion.txn_id, FX_IN, entry_in))
    difference = fx_difference(conversion, source_home, settled)
    diff = qbo_fx_difference_entry(conversion, difference, accounts, refs.terms(home), tz=books.tz)
    if diff is None:
        work.skip(conversion.txn_id, "balance_transaction", FX_DIFF)
    else:
        _ensure(work, conversion.txn_id, FX_DIFF, diff)


def _home_value(work: Work, entry_id: str) -> Decimal:
    """A journal entry's home value as QBO recorded it (TotalAmt for a home-currency one)."""
    recorded = work.deps.qbo.read("JournalEntry", entry_id)
    return Decimal(str(recorded.get("HomeTotalAmt", recorded.get("TotalAmt", 0))))


def _ensure(work: Work, txn_id: str, key: str, entry: QboJournalEntry) -> str:
    return work.ensure(
        txn_id,
        "balance_transaction",
        key,
        "JournalEntry",
        build=entry.to_qbo,
        lookup=partial(find_all, work.deps.qbo, "JournalEntry", "DocNumber", entry.DocNumber or ""),
        doc_number=entry.DocNumber,
    )
