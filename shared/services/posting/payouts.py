"""Payouts: fees out of clearing, unknown movements to suspense, one deposit into the bank on
the arrival date (reversed if the payout fails), then a reconciliation row for the payout.

An automatic payout posts once Stripe has reconciled it (``reconciliation_status`` completed,
``payout.reconciliation_completed``); until then it is SKIPPED and that event brings it back.
Its entries follow Stripe's figures on every sync: one posted from a partial list (by an older
run) is updated to the complete one, never left frozen. A manual payout books the balance
transactions of its window (``payout_transactions``)."""

from __future__ import annotations

import logging
from functools import partial

from shared.domain.fingerprint import fingerprint
from shared.domain.idempotency import payload_hash, qbo_request_id_from
from shared.domain.mapping import date_from_unix
from shared.domain.mapping_payouts import (
    PayoutAccounts,
    StripePayout,
    payout_plan_from_balance_transactions,
    qbo_connect_entry_from_payout,
    qbo_deposit_from_payout,
    qbo_fee_entry_from_payout,
    qbo_reversal_from_failed_payout,
    qbo_suspense_entry_from_payout,
)
from shared.domain.mapping_rounding import (
    RoundingAccounts,
    clearing_bookings,
    payout_rounding,
    qbo_rounding_entry,
)
from shared.domain.payout_reconciliation import PayoutReconciliation, payout_reconciliation_from
from shared.domain.qbo_models import QboTxn
from shared.errors import NotFoundError
from shared.logging import get_logger, log_event
from shared.services.posting.conversions import conversions_of, ensure_conversion
from shared.services.posting.cutover import cutover_of, ensure_opening_clearing, failed_before
from shared.services.posting.payout_transactions import payout_transactions
from shared.services.posting.work import SyncResult, Work
from shared.services.qbo_lookup import find_all

PAYOUT_RECONCILIATIONS = "payout_reconciliations"
NOT_YET = ("pending", "in_transit")
UNDONE = ("failed", "canceled")

log = get_logger("payouts")


def _ensure_entry(work: Work, payout_id: str, key: str, document: QboTxn) -> str:
    """Create once (requestid from payout and role), healed by DocNumber after a lost answer."""
    entity = "Deposit" if key == "Deposit" else "JournalEntry"
    return work.ensure(
        payout_id,
        "payout",
        key,
        entity,
        build=document.to_qbo,
        lookup=partial(find_all, work.deps.qbo, entity, "DocNumber", document.DocNumber or ""),
        doc_number=document.DocNumber,
    )


def _converge_entry(work: Work, payout_id: str, key: str, document: QboTxn) -> str:
    """A payout's journal entry as Stripe's figures say now: created once, and when a run
    posted it from other figures (a payout posted before Stripe finished reconciling it), the
    same entry updated in place (its SyncToken read fresh; a retried update carries the same
    requestid, derived from the content it writes)."""
    link = work.current(payout_id, key)
    if link is None or not link.completed or link.qbo_entity_id is None:
        return _ensure_entry(work, payout_id, key, document)
    body = document.to_qbo()
    wanted = fingerprint(body)
    if link.payload_hash == wanted:
        return link.qbo_entity_id
    qbo = work.deps.qbo
    current = qbo.read("JournalEntry", link.qbo_entity_id)
    if fingerprint(current) != wanted:
        work.writing(payout_id, key)
        update = {**body, "Id": current["Id"], "SyncToken": current.get("SyncToken", "0")}
        operation = f"{key.lower().replace(':', '-')}-{wanted[-6:]}"
        qbo.update("JournalEntry", update, qbo_request_id_from(operation, payout_id))
    work.record(
        payout_id,
        "payout",
        key,
        link.qbo_entity_id,
        payload_hash=wanted,
        doc_number=document.DocNumber,
    )
    return link.qbo_entity_id


def _failure_date_unix(work: Work, payout: StripePayout) -> int:
    """When the funds came back: the failure balance transaction's time, else arrival."""
    if payout.failure_balance_transaction:
        try:
            raw = work.deps.stripe.retrieve(
                "balance_transaction", payout.failure_balance_transaction
            )
        except NotFoundError:
            return payout.arrival_date
        return max(int(raw.get("created") or 0), payout.arrival_date)
    return payout.arrival_date


def sync_payout(work: Work) -> SyncResult:
    deps, books = work.deps, work.deps.books
    payout = StripePayout.model_validate(deps.stripe.retrieve("payout", work.request.object_id))
    work.hold("payout", payout.id)
    if payout.status in NOT_YET:
        return SyncResult("SKIPPED", "Deposit", reason=f"payout {payout.status}: not paid yet")
    cutover = cutover_of(work)
    if cutover is not None and cutover.before(payout.arrival_date):
        return _before_cutover(work, payout)
    if payout.status == "canceled" and work.done(payout.id, "Deposit") is None:
        return SyncResult("SKIPPED", "Deposit", reason="payout canceled before it was posted")
    if payout.awaits_reconciliation:
        state = payout.reconciliation_status or "not reconciled"
        return SyncResult("SKIPPED", "Deposit", reason=f"payout {state}: awaiting Stripe")
    if cutover is not None:
        ensure_opening_clearing(work, payout.currency, cutover)
    since = cutover.moment if cutover is not None else None
    txns = payout_transactions(deps.stripe, payout, since=since)
    for conversion in conversions_of(work, payout.id, txns):  # as Stripe converted them
        ensure_conversion(work, conversion)
    plan = payout_plan_from_balance_transactions(payout, txns)
    arrival = date_from_unix(payout.arrival_date, books.tz)
    terms = deps.references.terms(payout.currency, arrival)
    accounts = _accounts(work, payout)
    for kind, amount in plan.fees_to_post.items():
        entry = qbo_fee_entry_from_payout(payout, kind, amount, accounts, terms, tz=books.tz)
        _converge_entry(work, payout.id, f"JournalEntry:fees_{kind}", entry)
    suspense = qbo_suspense_entry_from_payout(payout, plan.suspense, accounts, terms, tz=books.tz)
    if suspense is not None:
        _converge_entry(work, payout.id, "JournalEntry:suspense", suspense)
    if plan.connect:
        roles = {item.role: deps.references.account(item.role) for item in plan.connect}
        connect = qbo_connect_entry_from_payout(
            payout, plan.connect, accounts, roles, terms, tz=books.tz
        )
        if connect is not None:
            _converge_entry(work, payout.id, "JournalEntry:connect", connect)
    residual = payout_rounding(payout, clearing_bookings(payout, plan, txns))
    if residual:  # three-decimal currencies only (``rounding`` rule 3)
        rounding = RoundingAccounts(accounts.clearing, deps.references.account("rounding"))
        entry = qbo_rounding_entry(payout.id, "payout", residual, rounding, terms, on=arrival)
        _converge_entry(work, payout.id, "JournalEntry:rounding", entry)
    deposit = qbo_deposit_from_payout(payout, accounts, terms, tz=books.tz)
    deposit_id = _ensure_entry(work, payout.id, "Deposit", deposit)
    reason = None
    if payout.status in UNDONE:
        failed_on = date_from_unix(_failure_date_unix(work, payout), books.tz)
        reversal = qbo_reversal_from_failed_payout(payout, accounts, terms, failed_on)
        _ensure_entry(work, payout.id, "JournalEntry:reversal", reversal)
        reason = f"payout {payout.status}: deposit reversed"
    check = payout_reconciliation_from(
        payout, plan, terms, deps.qbo.read("Deposit", deposit_id), tz=books.tz
    )
    record_reconciliation(work, check)
    return SyncResult("COMPLETED", "Deposit", deposit_id, reason=reason)


def _accounts(work: Work, payout: StripePayout) -> PayoutAccounts:
    refs = work.deps.references
    return PayoutAccounts(
        clearing=refs.account("clearing", payout.currency),
        bank=refs.account("bank", payout.currency),
        fees=refs.account("fees"),
        suspense=refs.account("suspense"),
    )


def _before_cutover(work: Work, payout: StripePayout) -> SyncResult:
    """A payout that arrived before the cutover is in the opening balance; if it failed after
    the cutover, its funds coming back to clearing are posted."""
    cutover = cutover_of(work)
    if payout.status not in UNDONE or cutover is None or failed_before(work, payout, cutover):
        return SyncResult("SKIPPED", "Deposit", reason="arrived before the cutover")
    failed_on = date_from_unix(_failure_date_unix(work, payout), work.deps.books.tz)
    terms = work.deps.references.terms(payout.currency, failed_on)
    reversal = qbo_reversal_from_failed_payout(payout, _accounts(work, payout), terms, failed_on)
    entry = _ensure_entry(work, payout.id, "JournalEntry:reversal", reversal)
    return SyncResult("COMPLETED", "JournalEntry", entry, reason=f"payout {payout.status}")


def record_reconciliation(work: Work, check: PayoutReconciliation) -> None:
    """Append the check (append-only; the latest row per payout is its current state)."""
    if check.status != "BALANCED":
        log_event(
            log,
            logging.WARNING,
            "payout does not reconcile",
            payout_id=check.payout_id,
            qbo_id=check.deposit_id,
            status=check.status,
            reason=",".join(check.problems),
            severity_hint="high",
        )
    warehouse = work.deps.warehouse
    if warehouse is None:
        return
    request = work.request
    # one row per run and outcome: a run that finds other figures than an earlier one with the
    # same task name (a payout completed after an early post) is not dropped as its repeat
    seen = payload_hash({"status": check.status, "fees": check.fees, "c": check.components})
    row_id = f"{check.payout_id}:{request.task_name}:{request.attempt}:{seen[:8]}"
    warehouse.append(
        PAYOUT_RECONCILIATIONS, [check.row(work.deps.clock.now())], row_ids=[row_id[:128]]
    )
