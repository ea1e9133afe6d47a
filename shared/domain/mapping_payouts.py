"""Pure mappers for payouts: what each balance transaction still owes the books, the fee and
suspense entries, the deposit, its reversal, and the payout's reconciliation."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, tzinfo
from decimal import Decimal
from typing import Literal

from pydantic import Field, field_validator

from shared.domain.idempotency import doc_number_from_stripe_number
from shared.domain.mapping import CurrencyTerms, date_from_unix, marker
from shared.domain.qbo_models import (
    JournalEntryLineDetail,
    QboJournalEntry,
    QboJournalLine,
    QboModel,
    QboTxn,
    Ref,
)
from shared.domain.stripe_models import StripeModel, ref_id
from shared.domain.stripe_payments import StripeBalanceTransaction

FeeKind = Literal["processing", "dispute", "other"]
FEE_KINDS: tuple[FeeKind, ...] = ("processing", "dispute", "other")
# Balance transaction types whose amount another posting rule already put through clearing
# (payments and sales receipts gross, refund receipts, voided refunds): only their fee is due.
GROSS_BOOKED = frozenset({"charge", "payment"})
REFUND_BOOKED = frozenset({"refund", "payment_refund", "refund_failure", "payment_failure_refund"})
# Stripe's own charges, not tied to a payment: the whole amount is an expense.
STRIPE_FEES = frozenset({"stripe_fee", "stripe_fx_fee", "tax_fee"})
# Stripe Connect on a platform's balance, by reporting category (Stripe's accounting grouping,
# docs.stripe.com/reports/reporting-categories), then by type: the account role each is booked
# to, whole net, at the payout. An application fee is the platform's revenue and its refund
# contra revenue (docs.stripe.com/revenue-recognition/connect/direct-charges); a destination
# charge is "+10 charge, -10 transfer to the connected account, +2 application fee back"
# (docs.stripe.com/revenue-recognition/connect/destination-charges): the charge is booked as
# any sale, the transfer as a cost of it; a transfer reversal adds back to the platform.
CONNECT_CATEGORIES: dict[str, str] = {
    "platform_earning": "platform_fees",
    "platform_earning_refund": "platform_fee_refunds",
    "transfer": "connect_transfers",
    "transfer_reversal": "connect_transfers",
    "connect_collection_transfer": "connect_transfers",
}
CONNECT_TYPES: dict[str, str] = {
    "application_fee": "platform_fees",
    "application_fee_refund": "platform_fee_refunds",
    "transfer": "connect_transfers",
    "transfer_cancel": "connect_transfers",
    "transfer_failure": "connect_transfers",
    "transfer_refund": "connect_transfers",
    "connect_collection_transfer": "connect_transfers",
}
CONNECT_ROLES = ("platform_fees", "platform_fee_refunds", "connect_transfers")
# A failed or canceled payout's funds coming back: the deposit's reversal booked them.
PAYOUT_RETURNS = frozenset({"payout_failure", "payout_cancel"})
# A payout's own movement and its return: the deposit and its reversal book them, never a sweep.
PAYOUT_MOVEMENTS = frozenset({"payout", *PAYOUT_RETURNS})
# ``Payout.reconciliation_status`` once Stripe can list the payout's balance transactions
# ("If completed, you can use the Balance Transactions API to list all balance transactions
# that are paid out in this payout": stripe-python 16.1.0, stripe/_payout.py).
RECONCILED = "completed"
DISPUTE_SOURCES = ("du_", "dp_")
DISPUTE_CATEGORIES = frozenset({"dispute", "dispute_reversal"})
FEE_CODES: dict[FeeKind, str] = {"processing": "F", "dispute": "D", "other": "X"}

Treatment = Literal[
    "payout", "fee_only", "dispute", "stripe_fee", "returned", "connect", "suspense"
]


class StripePayout(StripeModel):
    id: str
    amount: int
    currency: str
    arrival_date: int
    created: int
    status: str  # paid | pending | in_transit | canceled | failed
    automatic: bool = True
    # completed | in_progress | not_applicable; None: an object that does not say (unreconciled)
    reconciliation_status: str | None = None
    balance_transaction: str | None = None
    failure_balance_transaction: str | None = None
    failure_code: str | None = None

    _refs = field_validator("balance_transaction", "failure_balance_transaction", mode="before")(
        lambda v: ref_id(v) if isinstance(v, dict) else v
    )

    @property
    def awaits_reconciliation(self) -> bool:
        """An automatic payout whose balance transactions Stripe cannot list completely yet
        (``payout.reconciliation_completed`` comes when it can). A manual payout never does:
        Stripe lists nothing by a manual payout (``?payout=`` is "for automatic Stripe payouts
        only", stripe-python params/_balance_transaction_list_params.py)."""
        return self.automatic and self.reconciliation_status != RECONCILED


class DepositLineDetail(QboModel):
    AccountRef: Ref


class QboDepositLine(QboModel):
    Amount: Decimal
    Description: str | None = None
    DetailType: Literal["DepositLineDetail"] = "DepositLineDetail"
    DepositLineDetail: DepositLineDetail


class QboDeposit(QboTxn):
    DepositToAccountRef: Ref
    Line: list[QboDepositLine] = Field(min_length=1)


@dataclass(frozen=True)
class PayoutAccounts:
    clearing: Ref
    bank: Ref
    fees: Ref
    suspense: Ref


def treatment_of(txn: StripeBalanceTransaction, payout_id: str) -> Treatment:
    """What the payout still has to book for one balance transaction. Never refuses a type."""
    if txn.type == "payout" and txn.source in (payout_id, None):
        return "payout"
    if txn.type == "adjustment" and (
        (txn.source or "").startswith(DISPUTE_SOURCES)
        or txn.reporting_category in DISPUTE_CATEGORIES
    ):
        return "dispute"
    by_type = _BY_TYPE.get(txn.type)
    if by_type is not None:
        return by_type
    return "connect" if connect_role(txn) is not None else "suspense"


_BY_TYPE: dict[str, Treatment] = {
    **dict.fromkeys(GROSS_BOOKED | REFUND_BOOKED, "fee_only"),
    **dict.fromkeys(STRIPE_FEES, "stripe_fee"),
    **dict.fromkeys(PAYOUT_RETURNS, "returned"),
}


def connect_role(txn: StripeBalanceTransaction) -> str | None:
    """The account role of a Stripe Connect movement, or None for anything else."""
    return CONNECT_CATEGORIES.get(txn.reporting_category or "") or CONNECT_TYPES.get(txn.type)


@dataclass(frozen=True)
class SuspenseItem:
    txn_id: str
    txn_type: str
    net: int
    role: str = "suspense"  # the account role its net goes to (a Connect role, or suspense)


@dataclass(frozen=True)
class PayoutPlan:
    """A payout's balance transactions, in minor units, split into what each posting needs.

    ``fees_to_post`` holds only fees no other rule booked (dispute fees are in the dispute's
    journal entries already); ``fees`` holds every fee, for the reconciliation.
    """

    payout_id: str
    currency: str
    gross: int = 0
    refunds: int = 0
    adjustments: int = 0
    fees: dict[FeeKind, int] = field(default_factory=dict)
    fees_to_post: dict[FeeKind, int] = field(default_factory=dict)
    suspense: tuple[SuspenseItem, ...] = ()
    connect: tuple[SuspenseItem, ...] = ()
    payout_txn_net: int | None = None
    txn_count: int = 0

    @property
    def total_fees(self) -> int:
        return sum(self.fees.values())

    @property
    def computed_amount(self) -> int:
        """gross - refunds - fees + adjustments: what the payout should carry."""
        return self.gross - self.refunds - self.total_fees + self.adjustments

    @property
    def suspense_net(self) -> int:
        return sum(item.net for item in self.suspense)


def payout_plan_from_balance_transactions(
    payout: StripePayout, txns: Iterable[StripeBalanceTransaction]
) -> PayoutPlan:
    gross = refunds = adjustments = count = 0
    fees: dict[FeeKind, int] = dict.fromkeys(FEE_KINDS, 0)
    to_post: dict[FeeKind, int] = dict.fromkeys(FEE_KINDS, 0)
    suspense: list[SuspenseItem] = []
    connect: list[SuspenseItem] = []
    payout_net: int | None = None
    for txn in sorted(txns, key=lambda t: (t.created, t.id)):
        how = treatment_of(txn, payout.id)
        if how == "payout":
            payout_net = (payout_net or 0) + txn.net_amount
            continue
        count += 1
        if txn.type in GROSS_BOOKED:
            gross += txn.amount
        elif txn.type in REFUND_BOOKED:
            refunds -= txn.amount
        else:
            adjustments += txn.amount
        if how == "fee_only":
            fees["processing"] += txn.fee
            to_post["processing"] += txn.fee
        elif how == "dispute":
            fees["dispute"] += txn.fee
        elif how == "stripe_fee":
            # the whole movement is Stripe's fee; counted as a fee, not an adjustment
            adjustments -= txn.amount
            fees["other"] += txn.fee - txn.amount
            to_post["other"] += txn.fee - txn.amount
        elif how == "returned":
            fees["other"] += txn.fee
        elif how == "connect":
            fees["other"] += txn.fee
            role = connect_role(txn) or "suspense"
            connect.append(SuspenseItem(txn.id, txn.type, txn.net_amount, role))
        else:
            fees["other"] += txn.fee
            suspense.append(SuspenseItem(txn.id, txn.type, txn.net_amount))
    return PayoutPlan(
        payout_id=payout.id,
        currency=payout.currency,
        gross=gross,
        refunds=refunds,
        adjustments=adjustments,
        fees=fees,
        fees_to_post={k: v for k, v in to_post.items() if v},
        suspense=tuple(suspense),
        connect=tuple(connect),
        payout_txn_net=payout_net,
        txn_count=count,
    )


def journal_line(amount: Decimal, account: Ref, description: str) -> QboJournalLine:
    """Debit for a positive amount, credit for a negative one."""
    return QboJournalLine(
        Amount=abs(amount),
        Description=description,
        JournalEntryLineDetail=JournalEntryLineDetail(
            PostingType="Debit" if amount > 0 else "Credit", AccountRef=account
        ),
    )


def payout_doc_number(payout_id: str, code: str = "") -> str:
    return doc_number_from_stripe_number(payout_id + (f"-{code}" if code else ""))


def qbo_fee_entry_from_payout(
    payout: StripePayout,
    kind: FeeKind,
    amount_minor: int,
    accounts: PayoutAccounts,
    terms: CurrencyTerms,
    *,
    tz: tzinfo = UTC,
) -> QboJournalEntry:
    """A payout's fees of one kind out of clearing into the fees expense (a refund reverses)."""
    label = f"Stripe {kind} fees, payout {payout.id}"
    return QboJournalEntry(
        TxnDate=date_from_unix(payout.arrival_date, tz),
        DocNumber=payout_doc_number(payout.id, FEE_CODES[kind]),
        Line=[
            journal_line(terms.amount(amount_minor), accounts.fees, label),
            journal_line(-terms.amount(amount_minor), accounts.clearing, label),
        ],
        PrivateNote=marker("payout_fees", payout.id, kind),
        **terms.fields(),
    )


def qbo_suspense_entry_from_payout(
    payout: StripePayout,
    items: Sequence[SuspenseItem],
    accounts: PayoutAccounts,
    terms: CurrencyTerms,
    *,
    tz: tzinfo = UTC,
) -> QboJournalEntry | None:
    """Balance transactions of types we do not book: their net through clearing, against
    suspense, one line each, so the payout deposits whole and a person can classify them."""
    return _net_entry(
        payout, items, {"suspense": accounts.suspense}, accounts.clearing, terms, tz=tz,
        code="S", kind="payout_suspense", label=f"Unclassified in payout {payout.id}",
    )  # fmt: skip


def qbo_connect_entry_from_payout(
    payout: StripePayout,
    items: Sequence[SuspenseItem],
    accounts: PayoutAccounts,
    roles: Mapping[str, Ref],
    terms: CurrencyTerms,
    *,
    tz: tzinfo = UTC,
) -> QboJournalEntry | None:
    """Stripe Connect movements of the payout, whole net through clearing, each against the
    account of its role (application fees to platform fee income, transfers to connected
    accounts to their cost account, ...), one line each."""
    return _net_entry(
        payout, items, roles, accounts.clearing, terms, tz=tz,
        code="C", kind="payout_connect", label=f"Stripe Connect in payout {payout.id}",
    )  # fmt: skip


def _net_entry(
    payout: StripePayout,
    items: Sequence[SuspenseItem],
    roles: Mapping[str, Ref],
    clearing: Ref,
    terms: CurrencyTerms,
    *,
    tz: tzinfo,
    code: str,
    kind: str,
    label: str,
) -> QboJournalEntry | None:
    lines = [
        journal_line(-terms.amount(item.net), roles[item.role], f"{item.txn_type} {item.txn_id}")
        for item in items
        if item.net
    ]
    # clearing moves by the lines as rounded (each item is its own posting: ``rounding``)
    total = sum((terms.amount(item.net) for item in items), Decimal(0))
    if total:
        lines.append(journal_line(total, clearing, label))
    if not lines:
        return None
    return QboJournalEntry(
        TxnDate=date_from_unix(payout.arrival_date, tz),
        DocNumber=payout_doc_number(payout.id, code),
        Line=lines,
        PrivateNote=marker(kind, payout.id),
        **terms.fields(),
    )


def qbo_deposit_from_payout(
    payout: StripePayout, accounts: PayoutAccounts, terms: CurrencyTerms, *, tz: tzinfo = UTC
) -> QboDeposit:
    """The payout arriving in the bank from clearing: its amount, on its arrival date."""
    return QboDeposit(
        TxnDate=date_from_unix(payout.arrival_date, tz),
        DocNumber=payout_doc_number(payout.id),
        DepositToAccountRef=accounts.bank,
        Line=[
            QboDepositLine(
                Amount=terms.amount(payout.amount),
                Description=f"Stripe payout {payout.id}",
                DepositLineDetail=DepositLineDetail(AccountRef=accounts.clearing),
            )
        ],
        PrivateNote=marker("payout", payout.id),
        **terms.fields(),
    )


def qbo_reversal_from_failed_payout(
    payout: StripePayout,
    accounts: PayoutAccounts,
    terms: CurrencyTerms,
    failed_on: date,
) -> QboJournalEntry:
    """A failed payout's funds return from the bank to clearing (Stripe holds them again)."""
    label = f"Stripe payout {payout.id} {payout.status}: {payout.failure_code or 'returned'}"
    return QboJournalEntry(
        TxnDate=failed_on,
        DocNumber=payout_doc_number(payout.id, "R"),
        Line=[
            journal_line(terms.amount(payout.amount), accounts.clearing, label),
            journal_line(-terms.amount(payout.amount), accounts.bank, label),
        ],
        PrivateNote=marker("payout_reversal", payout.id, payout.status),
        **terms.fields(),
    )
