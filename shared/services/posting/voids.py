"""Undoing what the sync posted, in the ways QBO allows, each recorded as a link.

- Invoice: ``operation=void``, once nothing applies to it any more. QBO refuses to void an
  invoice a payment settles, so each payment on it is undone first: a zero payment that applies
  a credit is voided (and a credit that existed only for this invoice, its write-off or a credit
  note of it, is voided too); a payment with money is unlinked from it and stays the customer's
  credit, as the money was really received.
- Payment, SalesReceipt: voided in their own form (a sparse update with ``include=void``).
- CreditMemo: the API cannot void it. Once nothing applies it, it is zeroed the way QBO's own
  void leaves a document (number, date and customer kept, amounts zero, "Voided" before the
  memo), so the accountant sees what was undone; should QBO refuse the zero update, deleted
  (QBO's audit log keeps a deleted transaction).
- RefundReceipt: reversed by a receipt on the day the money came back (``charges``).

A pre-payment credit note Stripe voided gives its invoice back what it took off; its own task
undoes its application, but the invoice's payment (or another credit) may get there first, so
whatever applies to an invoice undoes the voided notes' applications before it applies
(``undo_voided_credit_notes``): QBO refuses more than the open balance (6000).
"""

from __future__ import annotations

import logging
from decimal import Decimal

from shared.domain.fingerprint import fingerprint
from shared.domain.idempotency import qbo_request_id_from
from shared.domain.mapping_reversals import VOIDED, qbo_zeroed_credit_memo
from shared.domain.stripe_payments import StripeCreditNote
from shared.errors import PermanentError, ValidationFailedError
from shared.logging import get_logger, log_event
from shared.ports import JsonDict
from shared.services.posting.work import Work

log = get_logger("voids")


class CreditInUseError(PermanentError):
    """A credit to undo is used by a payment that moved money (a person's)."""

    default_code = "credit_in_use"


def is_voided(document: JsonDict) -> bool:
    """QBO marks what it voided by putting "Voided" before the memo."""
    return str(document.get("PrivateNote") or "").startswith(VOIDED)


def _amount(value: object) -> Decimal:
    return Decimal(str(value if value is not None else 0))


def void_in_qbo(
    work: Work,
    stripe_id: str,
    stripe_type: str,
    entity: str,
    qbo_id: str,
    *,
    role: str | None = None,
) -> None:
    """Void an Invoice, Payment or SalesReceipt once; the link ``<role>:void`` records it.

    ``role`` names what the document is to the Stripe object (``Payment:credit``...); it
    defaults to the entity. An invoice's applications are undone first.
    """
    key = f"{role or entity}:void"
    if work.done(stripe_id, key) is not None:
        return
    qbo = work.deps.qbo
    current = qbo.read(entity, qbo_id)
    if not is_voided(current):
        if entity == "Invoice" and release_invoice(work, stripe_id, stripe_type, current):
            current = qbo.read(entity, qbo_id)
        work.writing(stripe_id, key)
        request_id = qbo_request_id_from(f"{entity.lower()}-void", f"{qbo_id}:{stripe_id}")
        current = qbo.void(entity, qbo_id, str(current["SyncToken"]), request_id)
    work.record(stripe_id, stripe_type, key, qbo_id, payload_hash=fingerprint(current))


def release_invoice(work: Work, invoice_id: str, stripe_type: str, invoice: JsonDict) -> bool:
    """Undo every payment that applies to the QBO ``invoice``; True if there was any."""
    qbo = work.deps.qbo
    payments = [
        str(link["TxnId"])
        for link in invoice.get("LinkedTxn") or []
        if link.get("TxnType") == "Payment"
    ]
    own_credits: dict[str, tuple[str, str]] | None = None
    for payment_id in payments:
        payment = qbo.read("Payment", payment_id)
        if is_voided(payment):
            continue
        if _amount(payment.get("TotalAmt")) != 0:
            _unlink(work, invoice_id, stripe_type, payment, invoice["Id"])
            continue
        void_in_qbo(
            work, invoice_id, stripe_type, "Payment", payment_id, role=f"Payment:{payment_id}"
        )
        if own_credits is None:
            own_credits = _credits_of_invoice(work, invoice_id)
        for memo_id in _linked(payment, "CreditMemo"):
            owner = own_credits.get(memo_id)
            if owner is not None:
                void_credit_memo(work, owner[0], owner[1], memo_id)
    return bool(payments)


def undo_voided_credit_notes(work: Work, invoice_id: str) -> None:
    """Every pre-payment credit note of the invoice that Stripe has voided since it was posted:
    its application voided and its memo zeroed (``void_credit_memo``, once for both this and
    the note's own task), so the invoice's open balance in QBO is Stripe's again. Under the
    invoice's lease, the family of both the invoice and its credit notes."""
    for raw in work.deps.stripe.list_objects("credit_note", {"invoice": invoice_id}):
        note = StripeCreditNote.model_validate(raw)
        if note.status != "void" or note.applied_before_payment <= 0:
            continue
        memo = work.done(note.id, "CreditMemo")
        if memo is not None:
            void_credit_memo(work, note.id, "credit_note", memo)


def _credits_of_invoice(work: Work, invoice_id: str) -> dict[str, tuple[str, str]]:
    """QBO credit memo id -> (Stripe id, type) of the credits that exist only for this
    invoice: its write-off, and the credit notes issued on it before payment."""
    owners: dict[str, tuple[str, str]] = {}
    write_off = work.done(invoice_id, "CreditMemo:writeoff")
    if write_off is not None:
        owners[write_off] = (invoice_id, "invoice")
    for raw in work.deps.stripe.list_objects("credit_note", {"invoice": invoice_id}):
        note = StripeCreditNote.model_validate(raw)
        memo = work.done(note.id, "CreditMemo")
        if memo is not None and note.applied_before_payment > 0:
            owners[memo] = (note.id, "credit_note")
    return owners


def _linked(payment: JsonDict, txn_type: str) -> list[str]:
    return [
        str(link["TxnId"])
        for line in payment.get("Line") or []
        for link in line.get("LinkedTxn") or []
        if link.get("TxnType") == txn_type
    ]


def _unlink(
    work: Work, stripe_id: str, stripe_type: str, payment: JsonDict, invoice_qbo_id: str
) -> None:
    """A payment with money on an invoice being voided keeps its money, as the customer's
    credit: its lines that apply the invoice go (a sparse update replaces Line)."""
    kept = [
        line
        for line in payment.get("Line") or []
        if not any(
            link.get("TxnType") == "Invoice" and str(link.get("TxnId")) == str(invoice_qbo_id)
            for link in line.get("LinkedTxn") or []
        )
    ]
    update = {"Id": payment["Id"], "SyncToken": payment["SyncToken"], "sparse": True, "Line": kept}
    request_id = qbo_request_id_from("unlink", f"{payment['Id']}:{invoice_qbo_id}")
    role = f"Payment:{payment['Id']}:unlinked"
    work.writing(stripe_id, role)
    done = work.deps.qbo.update("Payment", update, request_id)
    log_event(
        log,
        logging.WARNING,
        "payment unlinked from a voided invoice; its money stays as customer credit",
        object_id=stripe_id,
        qbo_id=str(payment["Id"]),
    )
    work.record(stripe_id, stripe_type, role, str(payment["Id"]), payload_hash=fingerprint(done))


def void_credit_memo(work: Work, stripe_id: str, stripe_type: str, memo_id: str) -> None:
    """Undo a credit memo once (link ``CreditMemo:void``): zeroed as QBO's void leaves a
    document, or deleted when QBO refuses that. Zero payments applying it are voided first."""
    key = "CreditMemo:void"
    if work.done(stripe_id, key) is not None or work.done(stripe_id, "CreditMemo:deleted"):
        return
    qbo = work.deps.qbo
    memo = qbo.read("CreditMemo", memo_id)
    if not is_voided(memo):
        for link in memo.get("LinkedTxn") or []:
            if link.get("TxnType") == "Payment":
                _void_credit_application(work, stripe_id, stripe_type, str(link["TxnId"]))
        memo = qbo.read("CreditMemo", memo_id)
        work.writing(stripe_id, key)
        request_id = qbo_request_id_from("creditmemo-zero", f"{memo_id}:{stripe_id}")
        try:
            memo = qbo.update("CreditMemo", qbo_zeroed_credit_memo(memo), request_id)
        except ValidationFailedError:
            deleted = qbo.delete(
                "CreditMemo",
                memo_id,
                str(memo["SyncToken"]),
                qbo_request_id_from("creditmemo-delete", f"{memo_id}:{stripe_id}"),
            )
            work.record(stripe_id, stripe_type, "CreditMemo:deleted", str(deleted["Id"]))
            return
    work.record(stripe_id, stripe_type, key, memo_id, payload_hash=fingerprint(memo))


def _void_credit_application(work: Work, stripe_id: str, stripe_type: str, payment_id: str) -> None:
    """A zero payment that applies the credit is voided; one with money is a person's, and
    undoing it is theirs to decide."""
    payment = work.deps.qbo.read("Payment", payment_id)
    if is_voided(payment):
        return
    if _amount(payment.get("TotalAmt")) != 0:
        raise CreditInUseError(
            f"credit memo of {stripe_id} is used by QBO payment {payment_id}, which moved "
            "money: a person must undo that payment in QBO, then replay",
            code="credit_in_use",
        )
    void_in_qbo(work, stripe_id, stripe_type, "Payment", payment_id, role=f"Payment:{payment_id}")
