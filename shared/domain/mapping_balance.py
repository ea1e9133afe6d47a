"""Pure mappers for the customer's credit balance: adjustments made by hand, and the credit an
invoice consumed (a zero-total Payment linking the invoice and the CreditMemos that held it)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, tzinfo
from decimal import Decimal

from shared.domain.idempotency import doc_number_from_stripe_number
from shared.domain.mapping import CurrencyTerms, date_from_unix, marker
from shared.domain.qbo_lines import sales_line_from_amount
from shared.domain.qbo_models import (
    LinkedTxn,
    QboCreditMemo,
    QboInvoice,
    QboPayment,
    QboPaymentLine,
    Ref,
)
from shared.domain.stripe_customer_balance import StripeCustomerBalanceTransaction
from shared.errors import MappingGapError

ADJUSTMENT_KIND = "balance_txn"
APPLICATION_KIND = "balance_application"
ROUNDING_KIND = "credit_rounding"


def _describe(txn: StripeCustomerBalanceTransaction) -> str:
    return (txn.description or "").strip()[:200] or f"Customer balance {txn.type}"


def qbo_credit_memo_from_balance_adjustment(
    txn: StripeCustomerBalanceTransaction,
    customer: Ref,
    item: Ref,
    terms: CurrencyTerms,
    *,
    tz: tzinfo = UTC,
) -> QboCreditMemo:
    """A credit given by hand (amount < 0): unapplied customer credit until an invoice uses it."""
    if txn.amount >= 0:
        raise MappingGapError(f"balance transaction {txn.id} is not a credit", code="not_credit")
    return QboCreditMemo(
        CustomerRef=customer,
        TxnDate=date_from_unix(txn.created, tz),
        DocNumber=doc_number_from_stripe_number(txn.id),
        Line=[sales_line_from_amount(terms.amount(-txn.amount), item, _describe(txn))],
        PrivateNote=marker(ADJUSTMENT_KIND, txn.id, txn.type),
        **terms.fields(),
    )


def qbo_invoice_from_balance_adjustment(
    txn: StripeCustomerBalanceTransaction,
    customer: Ref,
    item: Ref,
    terms: CurrencyTerms,
    *,
    tz: tzinfo = UTC,
) -> QboInvoice:
    """A debit added by hand (amount > 0): the customer owes it; Stripe adds it to the next
    invoice's amount due."""
    if txn.amount <= 0:
        raise MappingGapError(f"balance transaction {txn.id} is not a debit", code="not_debit")
    return QboInvoice(
        CustomerRef=customer,
        TxnDate=date_from_unix(txn.created, tz),
        DocNumber=doc_number_from_stripe_number(txn.id),
        Line=[sales_line_from_amount(terms.amount(txn.amount), item, _describe(txn))],
        PrivateNote=marker(ADJUSTMENT_KIND, txn.id, txn.type),
        **terms.fields(),
    )


def qbo_balance_application(
    consumption_txn: str,
    target: Ref,
    memos: Sequence[tuple[Ref, Decimal]],
    customer: Ref,
    terms: CurrencyTerms,
    *,
    txn_date_unix: int,
    tz: tzinfo = UTC,
) -> QboPayment:
    """Credit memos applied to an invoice: TotalAmt 0, the invoice line equal to the memo lines
    (each what it gives as QBO holds it: ``customer_balance``, rule 4).

    ``PaymentRefNum`` names the Stripe balance transaction, the field a heal looks it up by.
    """
    given = [(memo, amount) for memo, amount in memos if amount]
    total = sum((amount for _, amount in given), Decimal(0))
    if total <= 0:
        raise MappingGapError(f"{consumption_txn}: nothing to apply", code="no_amount")
    lines = [
        QboPaymentLine(Amount=total, LinkedTxn=[LinkedTxn(TxnId=target.value, TxnType="Invoice")])
    ]
    lines += [
        QboPaymentLine(Amount=amount, LinkedTxn=[LinkedTxn(TxnId=memo.value, TxnType="CreditMemo")])
        for memo, amount in given
    ]
    return QboPayment(
        CustomerRef=customer,
        TotalAmt=terms.amount(0),
        TxnDate=date_from_unix(txn_date_unix, tz),
        Line=lines,
        PaymentRefNum=doc_number_from_stripe_number(consumption_txn),
        PrivateNote=marker(APPLICATION_KIND, consumption_txn, "customer credit applied"),
        **terms.fields(),
    )


def qbo_rounding_credit_memo(
    consumption_txn: str,
    amount: Decimal,
    customer: Ref,
    item: Ref,
    terms: CurrencyTerms,
    *,
    txn_date_unix: int,
    tz: tzinfo = UTC,
) -> QboCreditMemo:
    """What a use of customer credit takes beyond what the customer's memos hold in QBO (their
    rounded amounts came to less than its rounded amount: a cent or so, README rounding policy
    rule 4), as a credit on the rounding item, applied with the use."""
    if amount <= 0:
        raise MappingGapError(f"{consumption_txn}: no rounding to credit", code="no_amount")
    return QboCreditMemo(
        CustomerRef=customer,
        TxnDate=date_from_unix(txn_date_unix, tz),
        DocNumber=doc_number_from_stripe_number(f"{consumption_txn}-R"),
        Line=[sales_line_from_amount(amount, item, "Currency rounding of customer credit")],
        PrivateNote=marker(ROUNDING_KIND, consumption_txn, "customer credit rounding"),
        **terms.fields(),
    )
