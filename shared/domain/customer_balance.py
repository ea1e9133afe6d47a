"""A customer's credit balance in the books: where each credit came from, and which of those
credits each invoice consumed, read from Stripe's ledger alone (pure; no QBO state).

QBO holds a customer's credit as CreditMemos with ``RemainingCredit``; an invoice consumes it
through a zero-total Payment that links the invoice and the memos. Stripe keeps one pool per
customer, so the memos an invoice uses are decided here, oldest credit first, from the order of
Stripe's balance transactions. The same ledger always gives the same answer, so two invoices of
one customer synced at once never reach for the same credit, whatever QBO shows at that moment.

Where QBO cannot hold Stripe's amounts exactly (three-decimal currencies, ``rounding``), the same
replay says what each application takes in QBO (README, rounding policy rule 4): each credit is
a memo of its rounded amount; a use applies its rounded amount to the invoice (rule 2: it is the
invoice's first settlement) and takes that much from the memos Stripe's ledger names, each its
part rounded, never more than a memo still holds (what a memo lacks comes from the customer's
other memos, oldest first). Should the customer's memos hold less than the use in all (its
rounded uses came to more than its rounded credits), a rounding memo of the difference (a cent
or so) makes it up, so the invoice settles as Stripe says. Every other currency is exact and
takes exactly what Stripe's ledger says.

With a cutover (``shared.domain.cutover``), what the customer held then is one credit, its
opening credit memo, and the replay goes on from there: uses after the cutover take from it
first, and nothing before the cutover is a credit or a use of its own again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from shared.domain.rounding import books_amount, books_parts
from shared.domain.stripe_customer_balance import (
    APPLIED_TO_INVOICE,
    CREDIT_NOTE,
    UNAPPLIED_FROM_INVOICE,
    StripeCustomerBalanceTransaction,
)

SourceKind = Literal["credit_note", "adjustment", "rounding", "opening", "unsupported"]
ZERO = Decimal(0)


@dataclass(frozen=True)
class CreditSource:
    """A credit to the customer and the Stripe object whose QBO CreditMemo holds it."""

    kind: SourceKind
    stripe_id: str  # the credit note, or the balance transaction of an adjustment (or of the
    # use whose rounding memo it is; the customer, for the credit held at a cutover)
    txn_type: str
    amount: int  # the credit it gave, in minor units (> 0; 0 for a rounding memo)


@dataclass
class Consumption:
    """What one invoice (or a debit adjustment) took from the customer's credit."""

    target: str  # the invoice id, or the debit adjustment's balance transaction id
    txn_id: str  # the balance transaction that consumed the credit
    created: int
    parts: list[tuple[CreditSource, int]] = field(default_factory=list)
    uncovered: int = 0  # consumed beyond the known credit (a debit balance carried)
    # what it takes from each memo in QBO (rounding policy rule 4; exact elsewhere), and the
    # rounding memo it needs (0: none)
    books_parts: list[tuple[CreditSource, Decimal]] = field(default_factory=list)
    shortfall: Decimal = ZERO

    @property
    def amount(self) -> int:
        return sum(amount for _, amount in self.parts)

    @property
    def books_amount(self) -> Decimal:
        """What it applies to its target in QBO."""
        return sum((amount for _, amount in self.books_parts), self.shortfall)


@dataclass
class Ledger:
    currency: str
    sources: list[CreditSource] = field(default_factory=list)
    consumptions: dict[str, Consumption] = field(default_factory=dict)
    overdrawn: list[str] = field(default_factory=list)  # credit taken back after it was used
    opening: int | None = None  # the credit held at the cutover, in minor units (None: no cutover)


def chronological(
    txns: Iterable[StripeCustomerBalanceTransaction],
) -> list[StripeCustomerBalanceTransaction]:
    """Oldest first. Stripe lists newest first; within one second that order is kept (reversed)."""
    listed = list(txns)
    return sorted(reversed(listed), key=lambda t: t.created)


def _source_of(txn: StripeCustomerBalanceTransaction) -> CreditSource:
    if txn.type == CREDIT_NOTE and txn.credit_note:
        return CreditSource("credit_note", txn.credit_note, txn.type, -txn.amount)
    if txn.is_adjustment:
        return CreditSource("adjustment", txn.id, txn.type, -txn.amount)
    return CreditSource("unsupported", txn.id, txn.type, -txn.amount)


class _Replay:
    """Stripe's balance transactions replayed in order: what each credit still holds, exactly
    and as QBO holds it."""

    def __init__(self, currency: str) -> None:
        self.ledger = Ledger(currency)
        self.currency = currency
        self.remaining: list[int] = []  # per source, in minor units
        self.held: list[Decimal] = []  # per source, as QBO holds it

    def add(self, source: CreditSource, exact: int, held: Decimal) -> None:
        self.ledger.sources.append(source)
        self.remaining.append(exact)
        self.held.append(held)

    def take(self, consumption: Consumption, amount: int) -> None:
        for index, source in enumerate(self.ledger.sources):
            if amount <= 0:
                break
            part = min(amount, self.remaining[index])
            if part > 0:
                self.remaining[index] -= part
                consumption.parts.append((source, part))
                amount -= part
        consumption.uncovered += amount
        self._take_books(consumption)

    def _take_books(self, consumption: Consumption) -> None:
        """Rule 4: the rounded use, taken from the memos the ledger names (each its rounded
        part, at most what it holds), then from the customer's other memos, oldest first."""
        if not consumption.parts:
            return
        sources = self.ledger.sources
        wanted = books_amount(consumption.amount, self.currency)
        targets = books_parts([p for _, p in consumption.parts], self.currency, wanted)
        taken: dict[int, Decimal] = {}
        short = ZERO
        for (source, _), target in zip(consumption.parts, targets, strict=True):
            index = sources.index(source)
            part = min(target, self.held[index])
            taken[index] = taken.get(index, ZERO) + part
            self.held[index] -= part
            short += target - part
        for index in range(len(sources)):
            if short <= 0:
                break
            part = min(short, self.held[index])
            if part > 0:
                taken[index] = taken.get(index, ZERO) + part
                self.held[index] -= part
                short -= part
        consumption.books_parts = [(sources[i], amount) for i, amount in taken.items() if amount]
        consumption.shortfall = short

    def open_at_cutover(self, customer: str) -> int:
        """What the customer holds at the cutover becomes one credit from then on: its opening
        credit memo (``shared.domain.cutover``), the sum of every credit still open. What was
        used before the cutover is in the opening balances: no use from then is applied."""
        total = sum(self.remaining)
        self.ledger.sources, self.remaining, self.held = [], [], []
        self.ledger.consumptions.clear()
        if total > 0:
            opening = CreditSource("opening", customer, "opening", total)
            self.add(opening, total, books_amount(total, self.currency))
        return total

    def give_back(self, consumption: Consumption) -> None:
        """A voided invoice gives back what it took: exactly, and in QBO (its application is
        voided, so its rounding memo, if any, holds that credit from then on)."""
        for source, part in consumption.parts:
            self.remaining[self.ledger.sources.index(source)] += part
        for source, held in consumption.books_parts:
            self.held[self.ledger.sources.index(source)] += held
        if consumption.shortfall > 0:
            rounding = CreditSource("rounding", consumption.txn_id, "rounding", 0)
            self.add(rounding, 0, consumption.shortfall)

    def take_back(self, credit_note: str, amount: int) -> None:
        """A voided credit note takes its credit back (its memo is zeroed in QBO)."""
        for index, source in enumerate(self.ledger.sources):
            if source.kind == "credit_note" and source.stripe_id == credit_note:
                if self.remaining[index] < amount:
                    self.ledger.overdrawn.append(credit_note)
                self.remaining[index] = max(0, self.remaining[index] - amount)
                self.held[index] = max(ZERO, self.held[index] - books_amount(amount, self.currency))

    def replay(self, ordered: Iterable[StripeCustomerBalanceTransaction]) -> None:
        """Each transaction, oldest first: a use, a use given back, a credit, a credit taken
        back, a debit made by hand."""
        ledger = self.ledger
        for txn in ordered:
            if txn.type == APPLIED_TO_INVOICE and txn.invoice and txn.amount > 0:
                consumption = Consumption(txn.invoice, txn.id, txn.created)
                self.take(consumption, txn.amount)
                ledger.consumptions[txn.invoice] = consumption
            elif txn.type == UNAPPLIED_FROM_INVOICE and txn.invoice and txn.amount < 0:
                returned = ledger.consumptions.pop(txn.invoice, None)
                if returned is not None:
                    self.give_back(returned)
            elif txn.amount < 0:
                self.add(_source_of(txn), -txn.amount, books_amount(-txn.amount, txn.currency))
            elif txn.type == CREDIT_NOTE and txn.credit_note and txn.amount > 0:
                self.take_back(txn.credit_note, txn.amount)
            elif txn.is_adjustment and txn.amount > 0:
                consumption = Consumption(txn.id, txn.id, txn.created)
                self.take(consumption, txn.amount)
                ledger.consumptions[txn.id] = consumption


def read_back(
    ordered: list[StripeCustomerBalanceTransaction], cutover: int
) -> tuple[list[StripeCustomerBalanceTransaction], list[StripeCustomerBalanceTransaction]]:
    """The transactions before the cutover and those from it on, as the opening balances read
    Stripe (``shared.domain.cutover``: an invoice void now owes nothing, a credit note void now
    never counted): what gives back, after the cutover, the credit an invoice used before it, or
    takes back what a credit note credited before it, counts before the cutover."""
    before = [t for t in ordered if t.created < cutover]
    used = {t.invoice for t in before if t.type == APPLIED_TO_INVOICE and t.invoice}
    noted = {t.credit_note for t in before if t.type == CREDIT_NOTE and t.amount < 0}

    def undoes_earlier(txn: StripeCustomerBalanceTransaction) -> bool:
        if txn.type == UNAPPLIED_FROM_INVOICE:
            return txn.invoice in used
        return txn.type == CREDIT_NOTE and txn.amount > 0 and txn.credit_note in noted

    after = [t for t in ordered if t.created >= cutover]
    late = [t for t in after if undoes_earlier(t)]
    return before + late, [t for t in after if t not in late]


def ledger_from_transactions(
    txns: Iterable[StripeCustomerBalanceTransaction], cutover: int | None = None
) -> Ledger:
    """Replay the balance transactions in order, taking each consumption from the oldest credit
    still open; an invoice voided in Stripe gives back exactly what it took.

    ``cutover`` (unix seconds; ``read_back``): what the customer held then is one credit from
    then on, ``Ledger.opening`` (its opening credit memo); what happened before it is applied
    to nothing (the opening balances carry it)."""
    ordered = chronological(txns)
    replay = _Replay(ordered[0].currency if ordered else "usd")
    if cutover is None:
        replay.replay(ordered)
        return replay.ledger
    before, after = read_back(ordered, cutover)
    replay.replay(before)
    replay.ledger.opening = replay.open_at_cutover(ordered[0].customer if ordered else "")
    replay.replay(after)
    return replay.ledger
