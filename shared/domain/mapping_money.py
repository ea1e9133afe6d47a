"""Pure mappers for money movements: payments, receipts, refunds, credits and disputes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, tzinfo
from decimal import Decimal

from shared.domain.idempotency import doc_number_for, doc_number_from_stripe_number
from shared.domain.mapping import CurrencyTerms, date_from_unix, marker
from shared.domain.qbo_models import (
    JournalEntity,
    JournalEntryLineDetail,
    LinkedTxn,
    QboCreditMemo,
    QboJournalEntry,
    QboJournalLine,
    QboPayment,
    QboPaymentLine,
    QboRefundReceipt,
    QboSalesReceipt,
    Ref,
)
from shared.domain.sales_tax import TaxedForm
from shared.domain.stripe_models import StripeInvoice
from shared.domain.stripe_payments import (
    StripeBalanceTransaction,
    StripeCharge,
    StripeCreditNote,
    StripeDispute,
    StripeInvoicePayment,
    StripeRefund,
)
from shared.errors import MappingGapError

# Prefixes of the reference numbers of documents Stripe has no number for (doc_number_for).
OUT_OF_BAND_ROLE = "oob"
WRITE_OFF_ROLE = "wo"
CREDIT_APPLICATION_ROLE = "ca"


def qbo_payment_from_invoice_payment(
    payment: StripeInvoicePayment,
    invoice: Ref,
    customer: Ref,
    clearing: Ref,
    terms: CurrencyTerms,
    *,
    tz: tzinfo = UTC,
    applied: Decimal | None = None,
) -> QboPayment:
    """A Stripe payment of an invoice: money into the clearing account, applied to the invoice.

    ``applied``: what it settles of the invoice when that is not its own amount (``rounding``).
    """
    if payment.amount_paid is None or payment.amount_paid <= 0:
        raise MappingGapError(f"invoice payment {payment.id} has no amount paid", code="no_amount")
    amount = terms.amount(payment.amount_paid) if applied is None else applied
    return QboPayment(
        CustomerRef=customer,
        TotalAmt=amount,
        TxnDate=date_from_unix(payment.paid_at, tz),
        Line=[
            QboPaymentLine(
                Amount=amount, LinkedTxn=[LinkedTxn(TxnId=invoice.value, TxnType="Invoice")]
            )
        ],
        DepositToAccountRef=clearing,
        PaymentRefNum=doc_number_from_stripe_number(payment.id),
        PrivateNote=marker(
            "invoice_payment", payment.id, payment.charge or payment.payment_intent or ""
        ),
        **terms.fields(),
    )


def qbo_out_of_band_payment_from_invoice(
    invoice: StripeInvoice,
    amount_minor: int,
    *,
    invoice_ref: Ref,
    customer: Ref,
    undeposited: Ref,
    terms: CurrencyTerms,
    tz: tzinfo = UTC,
    applied: Decimal | None = None,
) -> QboPayment:
    """The part of an invoice paid outside Stripe: it waits in Undeposited Funds."""
    amount = terms.amount(amount_minor) if applied is None else applied
    paid_at = invoice.status_transitions.paid_at or invoice.created
    return QboPayment(
        CustomerRef=customer,
        TotalAmt=amount,
        TxnDate=date_from_unix(paid_at, tz),
        Line=[
            QboPaymentLine(
                Amount=amount, LinkedTxn=[LinkedTxn(TxnId=invoice_ref.value, TxnType="Invoice")]
            )
        ],
        DepositToAccountRef=undeposited,
        PaymentRefNum=doc_number_for(OUT_OF_BAND_ROLE, invoice.id),
        PrivateNote=marker("invoice_oob", invoice.id, "paid out of band"),
        **terms.fields(),
    )


def qbo_credit_application(
    kind: str,
    stripe_id: str,
    *,
    customer: Ref,
    invoice: Ref,
    credit_memo: Ref,
    amount: int,
    terms: CurrencyTerms,
    txn_date_unix: int,
    tz: tzinfo = UTC,
    applied: Decimal | None = None,
) -> QboPayment:
    """A zero-total Payment that applies a credit memo to an invoice, as QBO records it."""
    value = terms.amount(amount) if applied is None else applied
    return QboPayment(
        CustomerRef=customer,
        TotalAmt=terms.amount(0),
        TxnDate=date_from_unix(txn_date_unix, tz),
        Line=[
            QboPaymentLine(
                Amount=value, LinkedTxn=[LinkedTxn(TxnId=invoice.value, TxnType="Invoice")]
            ),
            QboPaymentLine(
                Amount=value, LinkedTxn=[LinkedTxn(TxnId=credit_memo.value, TxnType="CreditMemo")]
            ),
        ],
        PaymentRefNum=doc_number_for(CREDIT_APPLICATION_ROLE, stripe_id),
        PrivateNote=marker(kind, stripe_id, "credit applied"),
        **terms.fields(),
    )


def qbo_sales_receipt_from_charge(
    charge: StripeCharge,
    customer: Ref,
    form: TaxedForm,
    clearing: Ref,
    terms: CurrencyTerms,
    *,
    tz: tzinfo = UTC,
) -> QboSalesReceipt:
    """A charge that belongs to no invoice: a sale paid at once into clearing (``form``: its
    line, without tax, as Stripe has no tax data for it: ``mapping_tax.untaxed_part``)."""
    return QboSalesReceipt(
        CustomerRef=customer,
        TxnDate=date_from_unix(charge.created, tz),
        DocNumber=doc_number_from_stripe_number(charge.id),
        DepositToAccountRef=clearing,
        PrivateNote=marker("charge", charge.id),
        **form.fields(),
        **terms.fields(),
    )


def qbo_refund_receipt_from_refund(
    refund: StripeRefund,
    customer: Ref,
    form: TaxedForm,
    clearing: Ref,
    terms: CurrencyTerms,
    *,
    tz: tzinfo = UTC,
) -> QboRefundReceipt:
    """Money returned to a customer out of the clearing account; ``form``: the part of the sale
    it gives back, with its share of the tax (``sales_tax.portion``)."""
    return QboRefundReceipt(
        CustomerRef=customer,
        TxnDate=date_from_unix(refund.created, tz),
        DocNumber=doc_number_from_stripe_number(refund.id),
        DepositToAccountRef=clearing,
        PrivateNote=marker("refund", refund.id, refund.charge or ""),
        **form.fields(),
        **terms.fields(),
    )


def qbo_credit_memo_from_credit_note(
    note: StripeCreditNote,
    customer: Ref,
    form: TaxedForm,
    terms: CurrencyTerms,
    *,
    tz: tzinfo = UTC,
) -> QboCreditMemo:
    """The note's memo; ``form``: the whole note (before payment), or the part of it kept as
    the customer's credit, with its share of the tax."""
    when = note.effective_at or note.created
    return QboCreditMemo(
        CustomerRef=customer,
        TxnDate=date_from_unix(when, tz),
        DocNumber=doc_number_from_stripe_number(note.number or note.id),
        PrivateNote=marker("credit_note", note.id, note.number or ""),
        **form.fields(),
        **terms.fields(),
    )


def qbo_refund_receipt_from_off_stripe_refunds(
    note: StripeCreditNote,
    customer: Ref,
    form: TaxedForm,
    undeposited: Ref,
    terms: CurrencyTerms,
    *,
    tz: tzinfo = UTC,
) -> QboRefundReceipt:
    """What a credit note paid back outside Stripe (refunds reported on PaymentRecords, and its
    out-of-band amount) leaves where out-of-band money is kept: Undeposited Funds. ``form``:
    that part of the note, with its share of the tax."""
    if note.refunded_off_stripe <= 0:
        raise MappingGapError(
            f"credit note {note.id} refunded nothing off Stripe", code="no_amount"
        )
    return QboRefundReceipt(
        CustomerRef=customer,
        TxnDate=date_from_unix(note.effective_at or note.created, tz),
        DocNumber=doc_number_from_stripe_number(f"{note.number or note.id}-R"),
        DepositToAccountRef=undeposited,
        PrivateNote=marker("credit_note_refund", note.id, note.number or ""),
        **form.fields(),
        **terms.fields(),
    )


def qbo_write_off_from_invoice(
    invoice: StripeInvoice,
    customer: Ref,
    form: TaxedForm,
    terms: CurrencyTerms,
    *,
    tz: tzinfo = UTC,
) -> QboCreditMemo:
    """An uncollectible invoice's remaining amount written off to bad debt; ``form``: that part
    of the sale on the bad debt item, with its share of the tax."""
    when = invoice.status_transitions.marked_uncollectible_at or invoice.created
    return QboCreditMemo(
        CustomerRef=customer,
        TxnDate=date_from_unix(when, tz),
        DocNumber=doc_number_for(WRITE_OFF_ROLE, invoice.id),
        PrivateNote=marker("invoice_writeoff", invoice.id, invoice.number or ""),
        **form.fields(),
        **terms.fields(),
    )


@dataclass(frozen=True)
class DisputeAccounts:
    clearing: Ref
    disputes: Ref
    fees: Ref


def qbo_journal_entry_from_dispute_txn(
    txn: StripeBalanceTransaction,
    dispute: StripeDispute,
    accounts: DisputeAccounts,
    customer: Ref | None,
    terms: CurrencyTerms,
    *,
    tz: tzinfo = UTC,
) -> QboJournalEntry:
    """Funds and fee leaving clearing (a withdrawal) or coming back (a reinstatement).

    Clearing moves by the net (amount - fee); the disputed amount and the fee balance it.
    """
    lines: list[QboJournalLine] = []
    entity = JournalEntity(EntityRef=customer) if customer else None

    def post(amount: Decimal, account: Ref, description: str) -> None:
        if amount == 0:
            return
        lines.append(
            QboJournalLine(
                Amount=abs(amount),
                Description=description,
                JournalEntryLineDetail=JournalEntryLineDetail(
                    PostingType="Debit" if amount > 0 else "Credit",
                    AccountRef=account,
                    Entity=entity,
                ),
            )
        )

    # clearing moves by the net as rounded on its own; the other lines absorb the rounding
    net = terms.amount(txn.net_amount)
    disputed, fee = terms.parts([-txn.amount, txn.fee], -net)
    post(net, accounts.clearing, f"Dispute {dispute.id} on {dispute.charge}")
    post(disputed, accounts.disputes, f"Disputed funds ({dispute.reason or 'dispute'})")
    post(fee, accounts.fees, "Dispute fee")
    return QboJournalEntry(
        TxnDate=date_from_unix(txn.created, tz),
        DocNumber=doc_number_from_stripe_number(txn.id),
        Line=lines,
        PrivateNote=marker("dispute_txn", txn.id, dispute.id),
        **terms.fields(),
    )
