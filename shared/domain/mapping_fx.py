"""Pure mappers for a balance transaction Stripe settled in another currency than its source.

Stripe: "if you charge a customer 10.00 EUR, the PaymentIntent's amount is 1000 and currency is
eur. If this converts to 12.34 USD in your Stripe account, the BalanceTransaction's amount is
1234, its currency is usd, and the exchange_rate is 1.234" (stripe-python 16.1.0,
stripe/_balance_transaction.py). The sync's own postings put the source (a payment, a sales
receipt, a refund) through the clearing account of the source's currency; the conversion then
takes exactly that amount out of it and puts exactly Stripe's settled amount into the clearing
account of the settlement currency. QBO allows one foreign currency per transaction, so that is
two journal entries: ``fx`` in the source currency at QBO's rate (source clearing to settlement
clearing, which is in the home currency), then ``fx_diff`` in the home currency for what Stripe's
rate gave beyond QBO's value of it, against the company's exchange gain or loss account. Both
come from the integers ``txn.amount`` and ``source.amount``; Stripe's float ``exchange_rate`` is
never used.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, tzinfo
from decimal import Decimal

from shared.domain.idempotency import doc_number_from_stripe_number
from shared.domain.mapping import CurrencyTerms, date_from_unix, marker
from shared.domain.mapping_payouts import journal_line as _line
from shared.domain.qbo_models import QboJournalEntry, Ref
from shared.domain.stripe_payments import StripeBalanceTransaction


@dataclass(frozen=True)
class Conversion:
    """One balance transaction converted by Stripe: signed amounts, minor units (+ money in)."""

    txn_id: str
    created: int
    source_id: str
    source_currency: str
    source_amount: int  # what the source's own posting moved, with the transaction's sign
    settled_currency: str
    settled_amount: int  # the balance transaction's amount


@dataclass(frozen=True)
class FxAccounts:
    source_clearing: Ref  # in the source currency
    settled_clearing: Ref  # in the settlement currency (the home currency)
    gain_loss: Ref  # the company's exchange gain or loss account (home)


def conversion_from(
    txn: StripeBalanceTransaction, source_id: str, source_currency: str, source_amount: int
) -> Conversion | None:
    """The conversion of a balance transaction whose source is in another currency, else None.
    ``source_amount``: the source object's amount, unsigned (a charge's, a refund's)."""
    if source_currency.lower() == txn.currency.lower():
        return None
    sign = -1 if txn.amount < 0 else 1
    return Conversion(
        txn_id=txn.id,
        created=txn.created,
        source_id=source_id,
        source_currency=source_currency.lower(),
        source_amount=sign * abs(source_amount),
        settled_currency=txn.currency.lower(),
        settled_amount=txn.amount,
    )


def fx_doc_number(txn_id: str, code: str) -> str:
    return doc_number_from_stripe_number(f"{txn_id}-{code}")


def qbo_fx_entry_from_conversion(
    conversion: Conversion, accounts: FxAccounts, terms: CurrencyTerms, *, tz: tzinfo = UTC
) -> QboJournalEntry:
    """In the source currency at QBO's rate: the source amount leaves the source's clearing
    account and arrives in the settlement clearing account (QBO values it in home units)."""
    amount = terms.amount(conversion.source_amount)
    label = f"Stripe conversion {conversion.source_id} {conversion.txn_id}"
    return QboJournalEntry(
        TxnDate=date_from_unix(conversion.created, tz),
        DocNumber=fx_doc_number(conversion.txn_id, "X"),
        Line=[
            _line(amount, accounts.settled_clearing, label),
            _line(-amount, accounts.source_clearing, label),
        ],
        PrivateNote=marker("fx", conversion.txn_id),
        **terms.fields(),
    )


def fx_difference(conversion: Conversion, home_value: Decimal, home: CurrencyTerms) -> Decimal:
    """What Stripe settled beyond QBO's home value of the source (``home_value``: the ``fx``
    entry's HomeTotalAmt, unsigned): + a gain, - a loss, for money in; signs follow the
    transaction (a refund that cost more than QBO's value of it is a loss)."""
    sign = -1 if conversion.settled_amount < 0 else 1
    return home.amount(conversion.settled_amount) - sign * home_value


def qbo_fx_difference_entry(
    conversion: Conversion,
    difference: Decimal,
    accounts: FxAccounts,
    home: CurrencyTerms,
    *,
    tz: tzinfo = UTC,
) -> QboJournalEntry | None:
    """In the home currency: the settlement clearing account moves by the difference, so it
    holds exactly Stripe's settled amount; the exchange gain or loss account takes the other
    side (None when QBO's value and Stripe's agree to the cent)."""
    if not difference:
        return None
    label = f"Stripe exchange difference {conversion.source_id} {conversion.txn_id}"
    return QboJournalEntry(
        TxnDate=date_from_unix(conversion.created, tz),
        DocNumber=fx_doc_number(conversion.txn_id, "G"),
        Line=[
            _line(difference, accounts.settled_clearing, label),
            _line(-difference, accounts.gain_loss, label),
        ],
        PrivateNote=marker("fx_diff", conversion.txn_id),
        **home.fields(),
    )
