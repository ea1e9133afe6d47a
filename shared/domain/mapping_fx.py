"""Pure mappers for a balance transaction Stripe settled in another currency than its source.

Stripe: "if you charge a customer 10.00 EUR, the PaymentIntent's amount is 1000 and currency is
eur. If this converts to 12.34 USD in your Stripe account, the BalanceTransaction's amount is
1234, its currency is usd, and the exchange_rate is 1.234" (stripe-python 16.1.0,
stripe/_balance_transaction.py). The sync's own postings put the source (a payment, a sales
receipt, a refund) through the clearing account of the source's currency; the conversion then
takes exactly that amount out of it and puts exactly Stripe's settled amount into the clearing
account of the settlement currency. QBO allows one foreign currency per transaction ("You can
only use one foreign currency per transaction"; the fake QBO enforces it), so:

- settlement in the home currency: ``fx`` in the source currency at QBO's rate (source clearing
  out, home clearing in, valued by QBO), then ``fx_diff`` in the home currency for what Stripe's
  amount is beyond QBO's value, against the company's exchange gain or loss account;
- settlement in another foreign currency: through a home-currency conversion account, as QBO's
  own help converts between two foreign currencies: ``fx`` (source clearing out, conversion in),
  ``fx_in`` in the settlement currency at QBO's rate (conversion out, settlement clearing in by
  exactly Stripe's amount), ``fx_diff`` for what the two home values leave on the conversion
  account.

Everything comes from the integers ``txn.amount`` and ``source.amount``; Stripe's float
``exchange_rate`` is never used. Home values are QBO's own (each entry's HomeTotalAmt).
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
    settled_clearing: Ref  # in the settlement currency
    gain_loss: Ref  # the company's exchange gain or loss account (home)
    # home currency: where the source's value arrives; the settlement clearing account when the
    # settlement currency is the home one, else the conversion account
    via: Ref


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
        Line=[_line(amount, accounts.via, label), _line(-amount, accounts.source_clearing, label)],
        PrivateNote=marker("fx", conversion.txn_id),
        **terms.fields(),
    )


def qbo_fx_in_entry_from_conversion(
    conversion: Conversion, accounts: FxAccounts, terms: CurrencyTerms, *, tz: tzinfo = UTC
) -> QboJournalEntry:
    """In a foreign settlement currency at QBO's rate: exactly Stripe's settled amount into its
    clearing account, out of the conversion account."""
    amount = terms.amount(conversion.settled_amount)
    label = f"Stripe conversion {conversion.source_id} {conversion.txn_id}"
    return QboJournalEntry(
        TxnDate=date_from_unix(conversion.created, tz),
        DocNumber=fx_doc_number(conversion.txn_id, "Y"),
        Line=[_line(amount, accounts.settled_clearing, label), _line(-amount, accounts.via, label)],
        PrivateNote=marker("fx_in", conversion.txn_id),
        **terms.fields(),
    )


def fx_difference(conversion: Conversion, source_home: Decimal, settled_home: Decimal) -> Decimal:
    """What Stripe settled beyond QBO's home value of the source: + a gain, - a loss for money
    in; signs follow the transaction (a refund that cost more than QBO's value of it is a
    loss). Both values unsigned: ``source_home`` the ``fx`` entry's HomeTotalAmt,
    ``settled_home`` Stripe's amount itself (home settlement) or the ``fx_in`` entry's."""
    sign = -1 if conversion.settled_amount < 0 else 1
    return sign * (settled_home - source_home)


def qbo_fx_difference_entry(
    conversion: Conversion,
    difference: Decimal,
    accounts: FxAccounts,
    home: CurrencyTerms,
    *,
    tz: tzinfo = UTC,
) -> QboJournalEntry | None:
    """In the home currency: the home clearing account (or the conversion account) moves by
    the difference, so it holds exactly Stripe's settled amount (or nothing); the exchange gain
    or loss account takes the other side (None when the values agree to the cent)."""
    if not difference:
        return None
    label = f"Stripe exchange difference {conversion.source_id} {conversion.txn_id}"
    return QboJournalEntry(
        TxnDate=date_from_unix(conversion.created, tz),
        DocNumber=fx_doc_number(conversion.txn_id, "G"),
        Line=[
            _line(difference, accounts.via, label),
            _line(-difference, accounts.gain_loss, label),
        ],
        PrivateNote=marker("fx_diff", conversion.txn_id),
        **home.fields(),
    )
