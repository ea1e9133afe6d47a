"""The customer's credit balance in QBO: a CreditMemo per credit (credit notes post their own;
adjustments made by hand get one here), and, for each invoice that consumed credit, a zero-total
Payment applying exactly the memos Stripe's ledger says it used
(``shared.domain.customer_balance``).

So the invoice's open balance is Stripe's ``amount_remaining``, and the customer's unapplied
credit in QBO is Stripe's customer balance (three-decimal currencies: its rounded credits less
its rounded uses, README rounding policy rule 4; a use its memos cannot cover by a cent gets a
rounding memo, ``Stripe credit_rounding``).
"""

from __future__ import annotations

from decimal import Decimal
from functools import partial

from shared.domain.customer_balance import Consumption, CreditSource, Ledger
from shared.domain.customer_balance import ledger_from_transactions as ledger_of
from shared.domain.idempotency import doc_number_from_stripe_number
from shared.domain.mapping import CurrencyTerms, date_from_unix
from shared.domain.mapping_balance import (
    qbo_balance_application,
    qbo_credit_memo_from_balance_adjustment,
    qbo_invoice_from_balance_adjustment,
    qbo_rounding_credit_memo,
)
from shared.domain.qbo_models import Ref
from shared.domain.stripe_customer_balance import StripeCustomerBalanceTransaction
from shared.errors import MappingGapError
from shared.services.posting.autoapply import ensure_payment, release_auto_applications
from shared.services.posting.credits import fetch_credit_note, post_credit_note
from shared.services.posting.customers import ensure_customer
from shared.services.posting.cutover import cutover_of, ensure_opening
from shared.services.posting.invoices import PostedInvoice
from shared.services.posting.work import Work
from shared.services.qbo_lookup import find_all

APPLICATION = "Payment:balance"
ROUNDING_MEMO = "CreditMemo:rounding"
BALANCE_TXN = "customer_balance_transaction"


def balance_transactions(work: Work, customer_id: str) -> list[StripeCustomerBalanceTransaction]:
    found = work.deps.stripe.list_objects(BALANCE_TXN, {"customer": customer_id})
    return [StripeCustomerBalanceTransaction.model_validate(raw) for raw in found]


def _terms(work: Work, currency: str, when: int) -> CurrencyTerms:
    return work.deps.references.terms(currency, date_from_unix(when, work.deps.books.tz))


def ensure_adjustment(work: Work, txn: StripeCustomerBalanceTransaction) -> Ref:
    """A balance adjustment made by hand: a CreditMemo for a credit, an Invoice for a debit;
    the customer's family (an invoice using it posts it under that lease too)."""
    entity = "CreditMemo" if txn.amount < 0 else "Invoice"
    linked = work.done(txn.id, entity)
    if linked is not None and not _to_release(work, txn.id, entity):
        return Ref(value=linked)
    with work.holding("customer", txn.customer):
        ref = Ref(value=linked) if linked is not None else _post_adjustment(work, txn, entity)
        # QBO set to apply credits itself applied it (or to it) on create: undone
        release_auto_applications(work, txn.id, BALANCE_TXN, entity, ref.value)
        return ref


def _to_release(work: Work, stripe_id: str, role: str) -> bool:
    """Whether what QBO may have applied by itself to this document is still to be undone."""
    released = work.done(stripe_id, f"{role}:released") is not None
    return not released and work.deps.references.auto_applies_credit()


def _post_adjustment(work: Work, txn: StripeCustomerBalanceTransaction, entity: str) -> Ref:
    terms = _terms(work, txn.currency, txn.created)
    customer = ensure_customer(work, txn.customer, terms)
    item = work.deps.references.balance_adjustment_item()
    mapper = (
        qbo_credit_memo_from_balance_adjustment
        if txn.amount < 0
        else qbo_invoice_from_balance_adjustment
    )
    document = mapper(txn, customer, item, terms, tz=work.deps.books.tz)
    doc_number = document.DocNumber or doc_number_from_stripe_number(txn.id)
    return Ref(
        value=work.ensure(
            txn.id,
            BALANCE_TXN,
            entity,
            entity,
            build=document.to_qbo,
            lookup=partial(find_all, work.deps.qbo, entity, "DocNumber", doc_number),
            doc_number=doc_number,
        )
    )


def ensure_source(
    work: Work,
    source: CreditSource,
    txns: dict[str, StripeCustomerBalanceTransaction],
    currency: str,
) -> Ref:
    """The CreditMemo holding a credit; posted now if its own sync has not run yet."""
    if source.kind == "adjustment":
        return ensure_adjustment(work, txns[source.stripe_id])
    if source.kind == "opening":
        return ensure_opening_credit(work, source.stripe_id, currency)
    if source.kind == "rounding":  # a voided invoice gave its rounding memo's credit back
        linked = work.done(source.stripe_id, ROUNDING_MEMO)
        if linked is None:
            raise MappingGapError(
                f"the rounding memo of {source.stripe_id} was never posted",
                code="credit_source_missing",
            )
        return Ref(value=linked)
    if source.kind == "credit_note":
        linked = work.done(source.stripe_id, "CreditMemo")
        if linked is None:
            note = fetch_credit_note(work, source.stripe_id)
            with work.holding("invoice", note.invoice):  # the note's family: its invoice's
                linked = post_credit_note(work, note).qbo_entity_id
        if linked is None:
            raise MappingGapError(
                f"credit note {source.stripe_id} credits the balance but has no CreditMemo",
                code="credit_source_missing",
            )
        return Ref(value=linked)
    raise MappingGapError(
        f"customer credit from a {source.txn_type} balance transaction ({source.stripe_id}) "
        "has no posting rule",
        code="credit_source_type",
    )


def ensure_opening_credit(work: Work, customer_id: str, currency: str) -> Ref:
    """The customer's opening credit memo: what it held at the cutover, which every use after
    the cutover takes from first (``shared.domain.customer_balance``); the customer's family."""
    cutover = cutover_of(work)
    opening = None
    if cutover is not None:
        with work.holding("customer", customer_id):
            opening = ensure_opening(work, customer_id, currency, cutover)
    if opening is None or opening.credit is None:
        raise MappingGapError(
            f"the credit {customer_id} held at the cutover has no opening credit memo",
            code="credit_source_missing",
        )
    return opening.credit


def ensure_rounding_memo(
    work: Work, consumption: Consumption, customer: Ref, terms: CurrencyTerms
) -> Ref:
    """The cent or so a use takes beyond what the customer's memos hold (rule 4), as a memo."""
    linked = work.done(consumption.txn_id, ROUNDING_MEMO)
    if linked is None:
        linked = _post_rounding_memo(work, consumption, customer, terms)
    release_auto_applications(
        work, consumption.txn_id, BALANCE_TXN, "CreditMemo", linked, role=ROUNDING_MEMO
    )
    return Ref(value=linked)


def _post_rounding_memo(
    work: Work, consumption: Consumption, customer: Ref, terms: CurrencyTerms
) -> str:
    item = work.deps.references.rounding_item()
    document = qbo_rounding_credit_memo(
        consumption.txn_id,
        consumption.shortfall,
        customer,
        item,
        terms,
        txn_date_unix=consumption.created,
        tz=work.deps.books.tz,
    )
    doc_number = document.DocNumber or ""
    return work.ensure(
        consumption.txn_id,
        BALANCE_TXN,
        ROUNDING_MEMO,
        "CreditMemo",
        build=document.to_qbo,
        lookup=partial(find_all, work.deps.qbo, "CreditMemo", "DocNumber", doc_number),
        doc_number=doc_number,
    )


def apply_consumption(
    work: Work,
    consumption: Consumption,
    target: Ref,
    customer: Ref,
    terms: CurrencyTerms,
    *,
    txns: dict[str, StripeCustomerBalanceTransaction],
    stripe_type: str,
) -> None:
    """Apply the memos a consumption used to its target, once (healed by PaymentRefNum)."""
    if work.done(consumption.target, APPLICATION) is not None:
        return
    memos: list[tuple[Ref, Decimal]] = [
        (ensure_source(work, source, txns, terms.currency), amount)
        for source, amount in consumption.books_parts
    ]
    if consumption.shortfall > 0:
        rounding = ensure_rounding_memo(work, consumption, customer, terms)
        memos.append((rounding, consumption.shortfall))
    document = qbo_balance_application(
        consumption.txn_id,
        target,
        memos,
        customer,
        terms,
        txn_date_unix=consumption.created,
        tz=work.deps.books.tz,
    )

    def undo() -> None:
        """What QBO applied by itself meanwhile to the target or the memos (another document
        of the customer created at the same time), undone before the second try."""
        release = partial(release_auto_applications, work, consumption.target, stripe_type)
        release("Invoice", target.value, again=True)
        for memo, _ in memos:
            release("CreditMemo", memo.value, role=f"CreditMemo:{memo.value}", again=True)

    ensure_payment(work, consumption.target, stripe_type, APPLICATION, document, undo=undo)


def _ledger(
    work: Work, customer_id: str
) -> tuple[Ledger, dict[str, StripeCustomerBalanceTransaction]]:
    txns = balance_transactions(work, customer_id)
    cutover = cutover_of(work)
    return ledger_of(txns, cutover.moment if cutover else None), {t.id: t for t in txns}


def apply_invoice_balance(work: Work, posted: PostedInvoice) -> None:
    """The customer credit an invoice consumed at finalization, applied to its QBO invoice."""
    invoice = posted.invoice
    applied = invoice.balance_applied
    if applied == 0 or work.done(invoice.id, APPLICATION) is not None:
        return
    if applied < 0:
        raise MappingGapError(
            f"invoice {invoice.id} carries a debit balance of {-applied} (minor units) into its "
            "amount due; that has no posting rule yet",
            code="debit_balance_carried",
        )
    ledger, txns = _ledger(work, invoice.customer)
    consumption = ledger.consumptions.get(invoice.id)
    if consumption is None or consumption.amount != applied or consumption.uncovered:
        raise MappingGapError(
            f"invoice {invoice.id}: the customer's balance transactions do not account for the "
            f"{applied} (minor units) of credit it used",
            code="balance_ledger_mismatch",
        )
    apply_consumption(
        work,
        consumption,
        posted.ref,
        posted.customer,
        posted.terms,
        txns=txns,
        stripe_type="invoice",
    )


def post_balance_adjustments(work: Work, customer_id: str) -> int:
    """Every adjustment of the customer's balance in the books, debits with the credit they
    consumed applied, and the credit it held at the cutover; the number of them seen."""
    ledger, txns = _ledger(work, customer_id)
    cutover = cutover_of(work)
    # one made before the cutover is in the customer's opening credit (``ensure_opening``)
    adjustments = [
        t for t in txns.values() if t.is_adjustment and not (cutover and cutover.before(t.created))
    ]
    if ledger.opening:
        ensure_opening_credit(work, customer_id, ledger.currency)
    for txn in adjustments:
        ref = ensure_adjustment(work, txn)
        consumption = ledger.consumptions.get(txn.id)
        if txn.amount > 0 and consumption is not None and consumption.parts:
            terms = _terms(work, txn.currency, txn.created)
            customer = ensure_customer(work, txn.customer, terms)
            apply_consumption(
                work, consumption, ref, customer, terms, txns=txns, stripe_type=BALANCE_TXN
            )
    return len(adjustments) + bool(ledger.opening)
