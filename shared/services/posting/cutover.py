"""The cutover (``Settings.cutover_date``): opening balances instead of what came before.

A customer's opening documents in one currency (an invoice for what its invoices owed at the
cutover, a credit memo for the credit it held) are created the first time something needs them:
an invoice from before the cutover that owed something then, or is settled after it; a credit
note from before it that credited the customer's balance. What clearing held at the cutover is
one journal entry per currency, created by a backfill's first step (``sync_cutover``) or by the
first payout after the cutover. Figures and documents: ``shared.domain.cutover``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import partial

from shared.domain.cutover import (
    OPENING_CLEARING,
    OPENING_CREDIT,
    OPENING_INVOICE,
    Cutover,
    OpenInvoice,
    clearing_at_cutover,
    credit_at_cutover,
    credit_from_balance_at_cutover,
    finalized_before,
    open_at_cutover,
    qbo_opening_credit_from_credit_notes,
    qbo_opening_entry_from_clearing,
    qbo_opening_invoice_from_open_invoices,
)
from shared.domain.mapping_payouts import StripePayout
from shared.domain.money import normalize_currency
from shared.domain.qbo_models import QboTxn, Ref
from shared.domain.stripe_customer_balance import StripeCustomerBalanceTransaction
from shared.domain.stripe_models import invoice_from_api
from shared.domain.stripe_payments import StripeBalanceTransaction, StripeCreditNote
from shared.errors import NotFoundError
from shared.services.posting.autoapply import release_auto_applications
from shared.services.posting.customers import ensure_customer
from shared.services.posting.settlements import invoice_payments
from shared.services.posting.work import SyncResult, Work
from shared.services.qbo_lookup import find_all
from shared.services.records import Link

ALL_CURRENCIES = "all"
SETTLED = ("COMPLETED", "SKIPPED")


def cutover_of(work: Work) -> Cutover | None:
    books = work.deps.books
    return Cutover(books.cutover_date, books.tz) if books.cutover_date else None


@dataclass(frozen=True)
class Opening:
    """A customer's opening documents in one currency (None: nothing to carry)."""

    customer: Ref
    invoice: Ref | None
    credit: Ref | None


def _ref(link: Link | None) -> Ref | None:
    return Ref(value=link.qbo_entity_id) if link and link.completed and link.qbo_entity_id else None


def ensure_opening(work: Work, customer_id: str, currency: str, cutover: Cutover) -> Opening:
    """The customer's opening invoice and credit in ``currency``, created once."""
    deps, code = work.deps, currency.upper()
    terms = deps.references.terms(currency, cutover.opening_day)
    customer = ensure_customer(work, customer_id, terms)
    roles = (f"{OPENING_INVOICE}:{code}", f"{OPENING_CREDIT}:{code}")
    links = [work.current(customer_id, role) for role in roles]
    if all(link is not None and link.status in SETTLED for link in links):
        return Opening(customer, _ref(links[0]), _ref(links[1]))
    lines, credit = _customer_figures(work, customer_id, normalize_currency(currency), cutover)
    item = deps.references.item(deps.books.items.opening_balance, "opening")
    found: list[Ref | None] = []
    for role, entity, wanted in zip(roles, ("Invoice", "CreditMemo"), (lines, credit), strict=True):
        if not wanted:
            work.skip(customer_id, "customer", role)
            found.append(None)
            continue
        document: QboTxn
        if entity == "Invoice":
            document = qbo_opening_invoice_from_open_invoices(
                customer_id, lines, customer, item, terms, cutover=cutover
            )
        else:
            document = qbo_opening_credit_from_credit_notes(
                customer_id, credit, customer, item, terms, cutover=cutover
            )
        number = document.DocNumber or ""
        qbo_id = work.ensure(
            customer_id,
            "customer",
            role,
            entity,
            build=document.to_qbo,
            lookup=partial(find_all, deps.qbo, entity, "DocNumber", number),
            doc_number=number,
        )
        release_auto_applications(work, customer_id, "customer", entity, qbo_id, role=role)
        found.append(Ref(value=qbo_id))
    return Opening(customer, found[0], found[1])


def _customer_figures(
    work: Work, customer_id: str, currency: str, cutover: Cutover
) -> tuple[list[OpenInvoice], int]:
    """What each of the customer's invoices owed at the cutover, and the credit it held."""
    stripe = work.deps.stripe
    notes = [
        note
        for note in (
            StripeCreditNote.model_validate(raw)
            for raw in stripe.list_objects("credit_note", {"customer": customer_id})
        )
        if normalize_currency(note.currency) == currency
    ]
    by_invoice: dict[str, list[StripeCreditNote]] = defaultdict(list)
    for note in notes:
        by_invoice[note.invoice].append(note)
    lines: list[OpenInvoice] = []
    listed = stripe.list_objects(
        "invoice", {"customer": customer_id, "created": {"lt": cutover.moment}}
    )
    for raw in listed:
        invoice = invoice_from_api(raw, [])
        if normalize_currency(invoice.currency) != currency:
            continue
        if not finalized_before(invoice, cutover) or invoice.status == "void":
            continue
        payments = invoice_payments(work, invoice, raw)
        owed = open_at_cutover(invoice, payments, by_invoice[invoice.id], cutover)
        if owed > 0:
            lines.append(OpenInvoice(invoice.id, invoice.number, owed))
    balance = [
        StripeCustomerBalanceTransaction.model_validate(raw)
        for raw in stripe.list_objects("customer_balance_transaction", {"customer": customer_id})
    ]
    credit = credit_from_balance_at_cutover(balance, currency, cutover)
    return lines, credit_at_cutover(notes, cutover) if credit is None else credit


# --- clearing -------------------------------------------------------------------------------


def clearing_key(cutover: Cutover, currency: str) -> str:
    """The pseudo Stripe id the clearing opening of one currency is linked under."""
    return f"cutover_{cutover.day:%Y%m%d}_{normalize_currency(currency)}"


def ensure_opening_clearing(work: Work, currency: str, cutover: Cutover) -> str | None:
    """The journal entry for what clearing held at the cutover in ``currency``, once."""
    key = clearing_key(cutover, currency)
    link = work.current(key, OPENING_CLEARING)
    if link is not None and link.status in SETTLED:
        return link.qbo_entity_id
    held = _clearing_figures(work, cutover, currency).get(normalize_currency(currency), 0)
    return _post_clearing(work, cutover, currency, held)


def _post_clearing(work: Work, cutover: Cutover, currency: str, held: int) -> str | None:
    key = clearing_key(cutover, currency)
    if held == 0:
        work.skip(key, "cutover", OPENING_CLEARING)
        return None
    refs = work.deps.references
    terms = refs.terms(currency, cutover.opening_day)
    entry = qbo_opening_entry_from_clearing(
        held, refs.account("clearing", currency), refs.account("opening"), terms, cutover
    )
    number = entry.DocNumber or ""
    return work.ensure(
        key,
        "cutover",
        OPENING_CLEARING,
        "JournalEntry",
        build=entry.to_qbo,
        lookup=partial(find_all, work.deps.qbo, "JournalEntry", "DocNumber", number),
        doc_number=number,
    )


def _clearing_figures(work: Work, cutover: Cutover, currency: str | None) -> dict[str, int]:
    """Currency -> what clearing held at the cutover (one currency, or every one seen)."""
    stripe, before = work.deps.stripe, {"lt": cutover.moment}
    only = {"currency": normalize_currency(currency)} if currency else {}
    txns: dict[str, list[StripeBalanceTransaction]] = defaultdict(list)
    for raw in stripe.list_objects("balance_transaction", {**only, "created": before}):
        txn = StripeBalanceTransaction.model_validate(raw)
        txns[normalize_currency(txn.currency)].append(txn)
    paid_out: set[str] = set()
    failed_out: set[str] = set()
    for raw in stripe.list_objects("payout", {"arrival_date": before}):
        payout = StripePayout.model_validate(raw)
        if currency and normalize_currency(payout.currency) != normalize_currency(currency):
            continue
        if payout.status == "paid" or (
            payout.status in ("failed", "canceled") and not failed_before(work, payout, cutover)
        ):
            target = paid_out  # at the cutover the deposit had taken them out of clearing
        elif payout.status in ("failed", "canceled"):
            target = failed_out
        else:
            continue
        for listed in stripe.list_objects("balance_transaction", {"payout": payout.id}):
            target.add(str(listed["id"]))
    return {
        code: clearing_at_cutover(found, paid_out, failed_out, cutover)
        for code, found in txns.items()
    }


def failed_before(work: Work, payout: StripePayout, cutover: Cutover) -> bool:
    """Whether a failed payout's funds were back in Stripe before the cutover."""
    when = payout.arrival_date
    if payout.failure_balance_transaction:
        try:
            raw = work.deps.stripe.retrieve(
                "balance_transaction", payout.failure_balance_transaction
            )
            when = max(when, int(raw.get("created") or 0))
        except NotFoundError:
            pass
    return cutover.before(when)


def sync_cutover(work: Work) -> SyncResult:
    """``cutover`` objects: ``all`` (a backfill's first step: every currency's clearing at the
    cutover, from one pass over the balance transactions before it) or one currency code."""
    cutover = cutover_of(work)
    wanted = work.request.object_id
    if cutover is None:
        return SyncResult("SKIPPED", "JournalEntry", reason="no cutover date is set")
    work.hold("cutover", wanted)
    if wanted != ALL_CURRENCIES:
        posted = ensure_opening_clearing(work, wanted, cutover)
        return SyncResult("COMPLETED", "JournalEntry", posted)
    marker = f"cutover_{cutover.day:%Y%m%d}"
    done = work.current(marker, OPENING_CLEARING)
    if done is not None and done.status in SETTLED:
        return SyncResult("SKIPPED", "JournalEntry", reason="opening balances posted already")
    posted_any = None
    for code, held in sorted(_clearing_figures(work, cutover, None).items()):
        link = work.current(clearing_key(cutover, code), OPENING_CLEARING)
        if link is None or link.status not in SETTLED:
            posted_any = _post_clearing(work, cutover, code, held) or posted_any
    work.skip(marker, "cutover", OPENING_CLEARING)
    return SyncResult("COMPLETED", "JournalEntry", posted_any, reason="clearing at the cutover")


__all__ = [
    "ALL_CURRENCIES",
    "Opening",
    "clearing_key",
    "cutover_of",
    "ensure_opening",
    "ensure_opening_clearing",
    "failed_before",
    "sync_cutover",
]
