"""The cutover: activity before it starts the books as opening balances, not document by document.

Pure: what a Stripe invoice still owed at the cutover, what a customer held as credit, what the
clearing account held, and the QBO documents that carry those figures.

The figures follow Stripe's current state, read back to the cutover moment:

- An invoice finalized before the cutover owes, at the cutover, its amount due less what was
  paid before it (Stripe payments by ``paid_at``, and the out-of-band rest by the invoice's
  ``paid_at``); a pre-payment credit note issued after the cutover is added back (it is posted
  after the cutover, against the opening balance). An invoice void now, or written off
  (uncollectible) before the cutover, owes nothing; a credit note void now never counted.
- A customer's credit at the cutover is its balance then, from its customer balance transactions
  before it (credit notes, adjustments by hand, less what invoices used), under the same two
  rules: the credit an invoice void now used is back, a credit note void now never credited.
  Every use after the cutover takes from that one credit first (``customer_balance``).
  Without balance transactions, it is what after-payment credit notes issued before it
  credited to the customer's balance (not refunded), as the steady flow books each one.
- The clearing account held, at the cutover, what the posting model had put through it for
  the balance transactions created before it and not yet paid out: payments and charges gross,
  refunds at their amount, dispute movements net of their fee (each posted when it happens);
  Stripe's own fees and unknown types are booked when their payout comes, so they count nothing
  yet. Transactions of a payout that arrived before the cutover count nothing (the payout took
  them out); a payout that failed before the cutover left them in clearing, net of their fees.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import Decimal

from shared.domain.customer_balance import ledger_from_transactions
from shared.domain.idempotency import doc_number_for
from shared.domain.mapping import CurrencyTerms, marker
from shared.domain.mapping_payouts import treatment_of
from shared.domain.qbo_lines import sales_line_from_amount
from shared.domain.qbo_models import (
    JournalEntryLineDetail,
    QboCreditMemo,
    QboInvoice,
    QboJournalEntry,
    QboJournalLine,
    Ref,
)
from shared.domain.stripe_customer_balance import StripeCustomerBalanceTransaction
from shared.domain.stripe_models import StripeInvoice
from shared.domain.stripe_payments import (
    StripeBalanceTransaction,
    StripeCreditNote,
    StripeInvoicePayment,
)

# The link roles (and DocNumber roles) of the opening documents.
OPENING_INVOICE = "Invoice:opening"
OPENING_CREDIT = "CreditMemo:opening"
OPENING_CLEARING = "JournalEntry:opening"
OPENING_RECEIPT = "JournalEntry:opening_receipt"  # a charge's, when it pays an invoice later


@dataclass(frozen=True)
class Cutover:
    """The first day posted in full, in the books' time zone."""

    day: date
    tz: tzinfo

    @property
    def moment(self) -> int:
        """Unix seconds of the day's start: anything earlier is before the cutover."""
        return int(datetime.combine(self.day, time.min, self.tz).timestamp())

    @property
    def opening_day(self) -> date:
        """Opening balances are dated the day before the cutover."""
        return self.day - timedelta(days=1)

    def before(self, unix: int | None) -> bool:
        return unix is not None and unix < self.moment


def finalized_before(invoice: StripeInvoice, cutover: Cutover) -> bool:
    """An invoice the opening balance carries (its own document is not posted)."""
    finalized = invoice.status_transitions.finalized_at or invoice.created
    return invoice.is_accounting_document and cutover.before(finalized)


def open_at_cutover(
    invoice: StripeInvoice,
    payments: Iterable[StripeInvoicePayment],
    notes: Iterable[StripeCreditNote],
    cutover: Cutover,
) -> int:
    """What a finalized invoice still owed at the cutover, in minor units (see the module)."""
    transitions = invoice.status_transitions
    if not finalized_before(invoice, cutover) or invoice.status == "void":
        return 0
    if cutover.before(transitions.marked_uncollectible_at):
        return 0
    paid = [p for p in payments if p.status == "paid" and p.amount_paid]
    owed = invoice.amount_due
    owed -= sum(p.amount_paid or 0 for p in paid if cutover.before(p.paid_at))
    out_of_band = invoice.amount_paid - sum(p.amount_paid or 0 for p in paid)
    if out_of_band > 0 and cutover.before(transitions.paid_at):
        owed -= out_of_band
    for note in notes:
        if note.status != "void" and not cutover.before(note.effective_at or note.created):
            owed += note.applied_before_payment
    return max(0, owed)


def credit_at_cutover(notes: Iterable[StripeCreditNote], cutover: Cutover) -> int:
    """What credit notes issued before the cutover left on the customer's balance."""
    return sum(
        note.credited_to_balance
        for note in notes
        if note.status != "void" and cutover.before(note.effective_at or note.created)
    )


def credit_from_balance_at_cutover(
    txns: Sequence[StripeCustomerBalanceTransaction], currency: str, cutover: Cutover
) -> int | None:
    """The customer's credit at the cutover from its balance transactions in ``currency``, read
    back as the module says (the same replay that applies the later uses to it:
    ``shared.domain.customer_balance``); None when Stripe listed none."""
    mine = [t for t in txns if t.currency.lower() == currency.lower()]
    if not mine:
        return None
    return ledger_from_transactions(mine, cutover.moment).opening


def booked_when_it_happens(txn: StripeBalanceTransaction) -> int:
    """What the posting model puts through clearing for a transaction before its payout."""
    how = treatment_of(txn, "")
    if how == "fee_only":
        return txn.amount  # a payment or charge gross, a refund (negative) at its amount
    if how == "dispute":
        return txn.net_amount  # the dispute's entries move the amount and its fee at once
    return 0  # payouts, returned payouts, Stripe's fees and unknown types: at the payout


def clearing_at_cutover(
    txns: Iterable[StripeBalanceTransaction],
    paid_out: set[str],
    failed_out: set[str],
    cutover: Cutover,
) -> int:
    """What clearing held at the cutover, in minor units, for one currency's transactions.

    ``paid_out``: ids of transactions a payout that arrived before the cutover took out;
    ``failed_out``: those of payouts that failed before it (their fee was booked with the
    failed payout, so they are back in clearing at their net).
    """
    held = 0
    for txn in txns:
        if not cutover.before(txn.created) or txn.id in paid_out:
            continue
        if txn.id in failed_out:
            held += txn.net_amount if treatment_of(txn, "") != "payout" else 0
        else:
            held += booked_when_it_happens(txn)
    return held


@dataclass(frozen=True)
class OpenInvoice:
    """One line of a customer's opening balance: a Stripe invoice and what it owed."""

    invoice_id: str
    number: str | None
    owed: int


def opening_doc_number(customer_id: str, currency: str, role: str = "OB") -> str:
    return doc_number_for(role, f"{customer_id}-{currency.upper()}")


def qbo_opening_invoice_from_open_invoices(
    customer_id: str,
    lines: Sequence[OpenInvoice],
    customer: Ref,
    item: Ref,
    terms: CurrencyTerms,
    *,
    cutover: Cutover,
) -> QboInvoice:
    """A customer's opening balance in one currency: a line per invoice open at the cutover
    (the item books to Opening Balance Equity). Payments after the cutover apply to it."""
    day = cutover.opening_day
    return QboInvoice(
        CustomerRef=customer,
        TxnDate=day,
        DueDate=day,
        DocNumber=opening_doc_number(customer_id, terms.currency),
        Line=[
            sales_line_from_amount(
                terms.amount(line.owed),
                item,
                f"Open at {cutover.day}: Stripe invoice {line.number or line.invoice_id}",
            )
            for line in sorted(lines, key=lambda line: line.invoice_id)
        ],
        PrivateNote=marker("opening_balance", customer_id, terms.currency.upper()),
        **terms.fields(),
    )


def qbo_opening_credit_from_credit_notes(
    customer_id: str,
    credit: int,
    customer: Ref,
    item: Ref,
    terms: CurrencyTerms,
    *,
    cutover: Cutover,
) -> QboCreditMemo:
    """A customer's credit balance at the cutover, in one currency, as an unapplied credit."""
    return QboCreditMemo(
        CustomerRef=customer,
        TxnDate=cutover.opening_day,
        DocNumber=opening_doc_number(customer_id, terms.currency, "OC"),
        Line=[
            sales_line_from_amount(
                terms.amount(credit), item, f"Opening credit balance at {cutover.day}"
            )
        ],
        PrivateNote=marker("opening_credit", customer_id, terms.currency.upper()),
        **terms.fields(),
    )


def _clearing_against_equity(
    amount: Decimal, clearing: Ref, equity: Ref, label: str
) -> list[QboJournalLine]:
    """Two lines: ``amount`` into clearing (out of it when negative), the other side equity."""

    def line(value: Decimal, account: Ref) -> QboJournalLine:
        side = "Debit" if value > 0 else "Credit"
        detail = JournalEntryLineDetail(PostingType=side, AccountRef=account)
        return QboJournalLine(Amount=abs(value), Description=label, JournalEntryLineDetail=detail)

    return [line(amount, clearing), line(-amount, equity)]


def qbo_opening_entry_from_clearing(
    held: int,
    clearing: Ref,
    equity: Ref,
    terms: CurrencyTerms,
    cutover: Cutover,
) -> QboJournalEntry:
    """What clearing held at the cutover, against Opening Balance Equity."""
    currency = terms.currency.upper()
    return QboJournalEntry(
        TxnDate=cutover.opening_day,
        DocNumber=doc_number_for("OBC", f"{cutover.day:%Y%m%d}-{currency}"),
        Line=_clearing_against_equity(
            terms.amount(held), clearing, equity, f"Stripe balance in clearing at {cutover.day}"
        ),
        PrivateNote=marker("opening_clearing", f"cutover_{cutover.day:%Y%m%d}_{currency.lower()}"),
        **terms.fields(),
    )


def qbo_opening_receipt_reversal(
    charge_id: str,
    amount: int,
    clearing: Ref,
    equity: Ref,
    terms: CurrencyTerms,
    *,
    day: date,
) -> QboJournalEntry:
    """A charge from before the cutover that pays an invoice after it: the opening balance holds
    its money in clearing as received on its own (as its receipt would have), and the invoice's
    Payment receives it again; this takes the first out, as voiding that receipt would."""
    return QboJournalEntry(
        TxnDate=day,
        DocNumber=doc_number_for("OBR", charge_id),
        Line=_clearing_against_equity(
            -terms.amount(amount), clearing, equity, f"Stripe charge {charge_id} pays an invoice"
        ),
        PrivateNote=marker("opening_receipt", charge_id),
        **terms.fields(),
    )


__all__ = [
    "OPENING_CLEARING",
    "OPENING_CREDIT",
    "OPENING_INVOICE",
    "OPENING_RECEIPT",
    "Cutover",
    "OpenInvoice",
    "booked_when_it_happens",
    "clearing_at_cutover",
    "credit_at_cutover",
    "credit_from_balance_at_cutover",
    "finalized_before",
    "open_at_cutover",
    "opening_doc_number",
    "qbo_opening_credit_from_credit_notes",
    "qbo_opening_entry_from_clearing",
    "qbo_opening_invoice_from_open_invoices",
    "qbo_opening_receipt_reversal",
]
