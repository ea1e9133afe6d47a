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
)
from shared.domain.mapping_payouts import treatment_of
from shared.domain.money import normalize_currency
from shared.domain.qbo_models import QboJournalEntry
from shared.domain.stripe_payments import StripeBalanceTransaction
from shared.errors import MappingGapError
from shared.services.posting.work import Work
from shared.services.qbo_lookup import find_all

# the source objects whose own posting moved the gross: a charge (payment, sales receipt) or a
# refund (refund receipt; its failure's reversal)
SOURCE_TYPES = {"ch_": "charge", "py_": "charge", "re_": "refund", "pyr_": "refund"}
FX, FX_DIFF = "JournalEntry:fx", "JournalEntry:fx_diff"


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
    """Both entries of one conversion, each once; the second from the first's home value as
    QBO recorded it (HomeTotalAmt), so nothing depends on how QBO rounds."""
    current = work.current(conversion.txn_id, FX_DIFF)
    if current is not None and current.status in ("COMPLETED", "SKIPPED"):
        return
    deps, books = work.deps, work.deps.books
    home = normalize_currency(books.home_currency)
    if normalize_currency(conversion.settled_currency) != home:
        raise MappingGapError(
            f"balance transaction {conversion.txn_id} settled in "
            f"{conversion.settled_currency.upper()}, converted from "
            f"{conversion.source_currency.upper()}: settlement in a foreign currency other than "
            "the source's is not booked yet (README, settlement currencies)",
            code="foreign_settlement",
        )
    day = date_from_unix(conversion.created, books.tz)
    refs = deps.references
    accounts = FxAccounts(
        source_clearing=refs.account("clearing", conversion.source_currency),
        settled_clearing=refs.account("clearing", conversion.settled_currency),
        gain_loss=refs.account("exchange"),
    )
    terms = refs.terms(conversion.source_currency, day)
    entry = qbo_fx_entry_from_conversion(conversion, accounts, terms, tz=books.tz)
    entry_id = _ensure(work, conversion.txn_id, FX, entry)
    recorded = deps.qbo.read("JournalEntry", entry_id)
    home_value = Decimal(str(recorded.get("HomeTotalAmt", recorded.get("TotalAmt", 0))))
    difference = fx_difference(conversion, home_value, refs.terms(home))
    diff = qbo_fx_difference_entry(conversion, difference, accounts, refs.terms(home), tz=books.tz)
    if diff is None:
        work.skip(conversion.txn_id, "balance_transaction", FX_DIFF)
    else:
        _ensure(work, conversion.txn_id, FX_DIFF, diff)


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
