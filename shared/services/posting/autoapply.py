"""QBO's "Automatically apply credits" (``Preferences.SalesFormsPrefs.AutoApplyCredit``).

When it is on, QBO applies a customer's open credits by itself the moment an invoice or a credit
memo is created: a new credit memo to the oldest open invoices, a new invoice takes the open
credit memos. Stripe applies a credit note to the invoice it names, and keeps a credit to the
customer's balance until Stripe itself uses it. So right after the sync creates an invoice or a
credit memo in such a company, it undoes every application QBO made on it (QBO's zero payments,
which carry no Stripe marker; they are deleted, restoring the document as the sync wrote it),
and then applies what Stripe applied. The setting is read once per instance (one request); with
it off, nothing else is asked.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import partial

from shared.domain.idempotency import qbo_request_id_from
from shared.domain.qbo_models import QboPayment
from shared.errors import NotFoundError, ValidationFailedError
from shared.services.posting.work import Work
from shared.services.qbo_lookup import find_all

STRIPE_MARKER = "Stripe "  # every document the sync writes carries ``Stripe <kind> <id>``


def release_auto_applications(
    work: Work,
    stripe_id: str,
    stripe_type: str,
    entity: str,
    qbo_id: str,
    *,
    role: str = "",
    again: bool = False,
) -> None:
    """Undo what QBO applied by itself to the Invoice or CreditMemo ``qbo_id`` the sync created
    (``role``: its link key, default the entity), once: the link ``<role>:released`` records
    it, so a retry after a failure in between still does it; ``again`` looks once more."""
    if not work.deps.references.auto_applies_credit():
        return
    done = f"{role or entity}:released"
    if not again and work.done(stripe_id, done) is not None:
        return
    qbo = work.deps.qbo
    document = qbo.read(entity, qbo_id)
    for link in document.get("LinkedTxn") or []:
        if link.get("TxnType") != "Payment":
            continue
        payment_id = str(link["TxnId"])
        try:
            payment = qbo.read("Payment", payment_id)
        except NotFoundError:
            continue  # undone meanwhile from the other side (the credit memo's or the invoice's)
        ours = str(payment.get("PrivateNote") or "").startswith(STRIPE_MARKER)
        if ours or Decimal(str(payment.get("TotalAmt") or 0)) != 0:
            continue  # our own application, or a payment with money: not QBO's doing
        undone = f"Payment:{payment_id}:deleted"
        work.writing(stripe_id, undone)
        request_id = qbo_request_id_from("autoapply-undo", f"{payment_id}:{qbo_id}")
        try:
            qbo.delete("Payment", payment_id, str(payment["SyncToken"]), request_id)
        except NotFoundError:
            continue
        work.record(stripe_id, stripe_type, undone, payment_id)
    work.record(stripe_id, stripe_type, done, qbo_id)


def apply_credit_once(
    work: Work,
    apply: Callable[..., str],
    undo: Callable[[], None],
) -> str:
    """``apply`` a credit or a payment to an invoice; should QBO refuse it because it applied
    a credit by itself meanwhile (to the invoice, or the credit elsewhere: another document of
    the customer created at the same time by another worker), ``undo`` that and apply once
    more (``apply`` takes ``again``, a tag for a fresh requestid: QBO would answer the first
    one's requestid with its refusal again)."""
    try:
        return apply(again="")
    except ValidationFailedError:
        if not work.deps.references.auto_applies_credit():
            raise
        undo()
        return apply(again="-again")


def ensure_payment(
    work: Work,
    stripe_id: str,
    stripe_type: str,
    role: str,
    document: QboPayment,
    *,
    undo: Callable[[], None],
    first: Callable[[], None] | None = None,
) -> str:
    """The Payment ``document`` (money or a credit applied) created once as ``role``, healed
    by its PaymentRefNum; QBO refusing it is handled as ``apply_credit_once`` says. ``first``:
    what must be undone before it can apply (the applications of credit notes Stripe voided
    since: ``voids.undo_voided_credit_notes``), run only while the payment is still to be
    created."""
    if first is not None and work.done(stripe_id, role) is None:
        first()
    reference = document.PaymentRefNum or ""
    return apply_credit_once(
        work,
        partial(
            work.ensure,
            stripe_id,
            stripe_type,
            role,
            "Payment",
            build=document.to_qbo,
            lookup=partial(find_all, work.deps.qbo, "Payment", "PaymentRefNum", reference),
        ),
        undo,
    )
