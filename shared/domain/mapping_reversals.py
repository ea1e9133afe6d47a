"""Pure mappers for undoing documents QBO's API cannot void: a credit memo zeroed the way QBO's
own void leaves a document, and a receipt that reverses a refund Stripe gave back."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from shared.domain.idempotency import doc_number_from_stripe_number
from shared.domain.mapping import CurrencyTerms, marker
from shared.domain.qbo_models import QboSalesReceipt, Ref
from shared.domain.sales_tax import TaxedForm
from shared.domain.stripe_payments import StripeRefund

VOIDED = "Voided"
ZERO = Decimal("0")


def voided_note(note: object) -> str:
    """QBO's void puts "Voided" before whatever the memo said (Intuit's Payment reference)."""
    text = note if isinstance(note, str) else ""
    if text.startswith(VOIDED):
        return text
    return f"{VOIDED} - {text}" if text else VOIDED


def _zero_line(line: dict[str, Any]) -> dict[str, Any] | None:
    kind = line.get("DetailType")
    if kind == "SubTotalLineDetail":
        return None  # QBO recomputes it
    zeroed: dict[str, Any] = {"DetailType": kind, "Amount": ZERO}
    if line.get("Description"):
        zeroed["Description"] = line["Description"]
    detail = line.get(kind) if isinstance(kind, str) else None
    if kind == "SalesItemLineDetail" and isinstance(detail, dict):
        kept = {k: detail[k] for k in ("ItemRef", "TaxCodeRef", "ServiceDate") if k in detail}
        zeroed[kind] = {**kept, "Qty": ZERO}
    elif kind == "DiscountLineDetail" and isinstance(detail, dict):
        kept = {k: detail[k] for k in ("DiscountAccountRef",) if k in detail}
        zeroed[kind] = {**kept, "PercentBased": False}
    elif isinstance(detail, dict):
        zeroed[str(kind)] = detail
    return zeroed


def qbo_zeroed_credit_memo(memo: dict[str, Any]) -> dict[str, Any]:
    """The sparse update that leaves ``memo`` as QBO's void leaves a document: its number,
    date, customer and lines kept, every amount and quantity zero, "Voided" before its memo.

    QBO's API cannot void a credit memo (QuickBooks-V3-PHP-SDK#133); its UI void does this.
    """
    lines = [z for z in (_zero_line(line) for line in memo.get("Line") or []) if z is not None]
    update: dict[str, Any] = {
        "Id": memo["Id"],
        "SyncToken": memo["SyncToken"],
        "sparse": True,
        "Line": lines,
        "PrivateNote": voided_note(memo.get("PrivateNote")),
    }
    if memo.get("TxnTaxDetail"):
        update["TxnTaxDetail"] = {"TotalTax": ZERO}
    return update


def qbo_sales_receipt_from_failed_refund(
    refund: StripeRefund,
    customer: Ref,
    form: TaxedForm,
    clearing: Ref,
    terms: CurrencyTerms,
    *,
    returned_on: date,
) -> QboSalesReceipt:
    """A refund Stripe gave back (failed or canceled after it was paid): the refund receipt's
    lines and tax (``form``) again, back into clearing, on the day the funds returned. Stripe
    books the return as a balance transaction of its own (``refund_failure``), so the refund
    receipt stays and this receipt reverses it: each payout's deposit still matches what went
    through clearing."""
    return QboSalesReceipt(
        CustomerRef=customer,
        TxnDate=returned_on,
        DocNumber=doc_number_from_stripe_number(f"{refund.id}-R"),
        DepositToAccountRef=clearing,
        PrivateNote=marker("refund_reversal", refund.id, refund.status),
        **form.fields(),
        **terms.fields(),
    )
