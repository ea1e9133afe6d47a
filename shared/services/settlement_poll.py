"""Use case: turn every completed ledger settlement into one sent Stripe invoice, exactly once.

Exactly once without locks: every Stripe write carries an idempotency key derived from the
settlement id; before creating, the customer's invoices are searched for one whose metadata names
the settlement (Stripe forgets keys after 24 h), and work resumes from that invoice's state. The
invoice's metadata carries the plan (fee, credits, tax), so a poll that finds an invoice created
by another poll continues with the same figures. Progress is appended to
``settlement_invoice_links``; credits used are appended to ``settlement_credit_applications``.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from shared.domain.money import decimal_from_minor
from shared.domain.settlement import (
    InvoicePlan,
    OpenCredit,
    Settlement,
    SettlementRejectedError,
    fee_from_settlement,
    invoice_plan_from_settlement,
    settlement_from_row,
)
from shared.domain.settlement_invoice import (
    idempotency_key,
    invoice_item_params_from_plan,
    invoice_params_from_plan,
    invoice_plan_from_metadata,
)
from shared.errors import PermanentError, SyncError, TransientError
from shared.logging import get_logger, log_event
from shared.ports import Clock, JsonDict, StripeBilling, Warehouse

logger = get_logger("settlement_poll")

LINKS_TABLE = "settlement_invoice_links"
APPLICATIONS_TABLE = "settlement_credit_applications"

PENDING, INVOICE_CREATED, FINALIZED, SENT = "PENDING", "INVOICE_CREATED", "FINALIZED", "SENT"
NO_FEE, FAILED, RETRY = "NO_FEE", "FAILED", "RETRY"
PROGRESS = {PENDING: 1, INVOICE_CREATED: 2, FINALIZED: 3, SENT: 4, NO_FEE: 4, FAILED: 5}

CANDIDATES_SQL = """
SELECT s.*, l.status AS link_status, l.stripe_invoice_id AS link_invoice_id
FROM ledger_settlements_current AS s
LEFT JOIN settlement_invoice_links_current AS l ON l.settlement_id = s.settlement_id
WHERE UPPER(s.status) = 'COMPLETED'
  AND (
    l.settlement_id IS NULL
    OR l.status NOT IN ('SENT', 'NO_FEE', 'FAILED')
    OR (l.status = 'FAILED' AND s.recorded_at > l.settlement_revision)
  )
ORDER BY s.completed_at, s.settlement_id
LIMIT {limit}
"""

# Open credits, counting what other settlements have used (this one's own use, if a crash left
# it recorded, is planned again identically).
OPEN_CREDITS_SQL = """
SELECT c.credit_id, c.reason, c.revenue_lost, c.currency,
  c.credit_amount - COALESCE(a.applied_amount, 0) AS open_amount
FROM settlement_credits_current AS c
LEFT JOIN (
  SELECT credit_id, SUM(applied_amount) AS applied_amount
  FROM settlement_credit_applications_current
  WHERE settlement_id != @settlement_id
  GROUP BY credit_id
) AS a ON a.credit_id = c.credit_id
WHERE c.customer_id = @customer_id AND c.applied_to_invoice IS NULL
ORDER BY c.created_at, c.credit_id
"""


@dataclass(frozen=True)
class SettlementOutcome:
    settlement_id: str
    status: str  # SENT | NO_FEE | FAILED | RETRY
    stripe_invoice_id: str | None = None
    reason: str | None = None


@dataclass
class PollReport:
    poll_id: str
    outcomes: list[SettlementOutcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    def as_dict(self) -> dict[str, Any]:
        return {
            "poll_id": self.poll_id,
            "settlements": len(self.outcomes),
            **{s.lower(): self.count(s) for s in (SENT, NO_FEE, FAILED, RETRY)},
            "failures": [
                {"settlement_id": o.settlement_id, "reason": o.reason}
                for o in self.outcomes
                if o.status == FAILED
            ],
        }


@dataclass
class _Progress:
    """What one poll knows of one settlement while working on it."""

    settlement: Settlement
    revision: datetime | None
    progress: int
    invoice_id: str | None


class SettlementPoll:
    def __init__(
        self,
        warehouse: Warehouse,
        stripe: StripeBilling,
        clock: Clock,
        tax_rates: Mapping[str, Decimal],
        *,
        batch_size: int = 200,
    ) -> None:
        self._warehouse = warehouse
        self._stripe = stripe
        self._clock = clock
        self._tax_rates = dict(tax_rates)
        self._batch_size = int(batch_size)
        self._poll_id = ""

    def run(self) -> PollReport:
        """One poll: every candidate settlement, oldest first; one bad row never stops the rest."""
        self._poll_id = uuid.uuid4().hex[:16]
        report = PollReport(self._poll_id)
        rows = self._warehouse.query(CANDIDATES_SQL.format(limit=max(self._batch_size, 1)))
        # A customer's settlements go in order: a later one is planned only once the earlier one
        # has recorded which credits it used.
        blocked: set[str] = set()
        for row in rows:
            customer = str(row.get("customer_id") or "")
            if customer and customer in blocked:
                report.outcomes.append(
                    SettlementOutcome(str(row.get("settlement_id")), RETRY, reason="blocked")
                )
                continue
            outcome = self.process_row(row)
            report.outcomes.append(outcome)
            if outcome.status == RETRY and customer:
                blocked.add(customer)
        log_event(logger, logging.INFO, "settlement poll done", count=len(rows), outcome="done")
        return report

    def process_row(self, row: Mapping[str, Any]) -> SettlementOutcome:
        settlement_id = str(row.get("settlement_id") or "")
        revision = row.get("recorded_at")
        try:
            settlement = settlement_from_row(row)
        except SettlementRejectedError as error:
            return self._fail(settlement_id, revision, error)
        state = _Progress(
            settlement,
            revision,
            PROGRESS.get(str(row.get("link_status") or ""), 0),
            row.get("link_invoice_id"),
        )
        try:
            return self._advance(state)
        except PermanentError as error:
            return self._fail(settlement_id, revision, error, state.invoice_id)
        except Exception as error:
            # Transient (Stripe or the warehouse is away) or unexpected: leave the recorded
            # progress as it is; the next poll resumes from there.
            code = error.code if isinstance(error, SyncError) else "unexpected"
            level = logging.WARNING if isinstance(error, TransientError) else logging.ERROR
            log_event(
                logger,
                level,
                "settlement deferred",
                settlement_id=settlement_id,
                outcome=RETRY,
                error_class=type(error).__name__,
                error_code=code,
            )
            return SettlementOutcome(settlement_id, RETRY, state.invoice_id, code)

    # --- the steps ------------------------------------------------------------------------------

    def _advance(self, state: _Progress) -> SettlementOutcome:
        settlement = state.settlement
        if fee_from_settlement(settlement) <= 0:
            self._record(state, NO_FEE, reason="no_incremental_revenue_or_zero_fee")
            return SettlementOutcome(settlement.settlement_id, NO_FEE)
        invoice = self._find_invoice(state)
        if invoice is None:
            invoice = self._create_invoice(state)
        state.invoice_id = str(invoice["id"])
        plan = invoice_plan_from_metadata(invoice.get("metadata") or {}, settlement.currency)
        if state.progress < PROGRESS[INVOICE_CREATED]:
            self._record_applications(state, plan)
            self._record(state, INVOICE_CREATED, invoice=invoice, plan=plan)
        status = invoice.get("status")
        if status == "draft":
            self._ensure_items(state, plan, invoice)
            invoice = self._finalize(state, plan)
            status = invoice.get("status")
        if status in ("void", "uncollectible"):
            message = f"invoice {state.invoice_id} is {status}"
            raise PermanentError(message, code=f"invoice_{status}")
        if state.progress < PROGRESS[FINALIZED]:
            self._record(state, FINALIZED, invoice=invoice, plan=plan)
        reason = None
        if status != "open":
            reason = f"not_emailed_{status}"  # a zero total is paid on finalization
        elif int(invoice.get("amount_due", plan.total_minor)) <= 0:
            reason = "not_emailed_nothing_due"
        else:
            # Sending again (a lost key) only repeats the email; a refusal is FAILED, with the
            # invoice id, for a person to look at.
            invoice = self._stripe.send_invoice(
                state.invoice_id, idempotency_key(settlement.settlement_id, "send")
            )
        self._record(state, SENT, invoice=invoice, plan=plan, reason=reason)
        log_event(
            logger,
            logging.INFO,
            "settlement invoiced",
            settlement_id=settlement.settlement_id,
            object_id=state.invoice_id,
            outcome=SENT,
        )
        return SettlementOutcome(settlement.settlement_id, SENT, state.invoice_id, reason)

    def _find_invoice(self, state: _Progress) -> JsonDict | None:
        """The settlement's invoice if one exists already (heal-by-lookup), at its current state."""
        settlement = state.settlement
        if state.invoice_id:
            try:
                return self._stripe.retrieve_invoice(state.invoice_id)
            except PermanentError:
                pass  # deleted draft or unknown id: search instead
        found = [
            inv
            for inv in self._stripe.list_invoices(
                settlement.customer_id, metadata_settlement_id=settlement.settlement_id
            )
            if (inv.get("metadata") or {}).get("settlement_id") == settlement.settlement_id
        ]
        live = [inv for inv in found if inv.get("status") not in ("void", "deleted")]
        if len(live) > 1:
            raise PermanentError(
                f"{len(live)} invoices carry settlement {settlement.settlement_id}",
                code="duplicate_invoices",
            )
        if live:
            return live[0]
        return found[0] if found else None

    def _create_invoice(self, state: _Progress) -> JsonDict:
        settlement = state.settlement
        credits = self._open_credits(settlement)
        plan = invoice_plan_from_settlement(settlement, credits, self._tax_rates)
        if plan is None:  # fee checked positive before; kept for the type checker
            raise SettlementRejectedError("no fee to invoice", code="no_fee")
        if state.progress < PROGRESS[PENDING]:
            self._record(state, PENDING, plan=plan)
        try:
            return self._stripe.create_invoice(
                invoice_params_from_plan(settlement, plan),
                idempotency_key(settlement.settlement_id, "invoice"),
            )
        except PermanentError:
            # Another poll created it with a different plan (the key's parameters differ):
            # continue with that invoice.
            existing = self._find_invoice(state)
            if existing is None:
                raise
            return existing

    def _ensure_items(self, state: _Progress, plan: InvoicePlan, invoice: JsonDict) -> None:
        settlement = state.settlement
        present = {
            str((line.get("metadata") or {}).get("settlement_line"))
            for line in (invoice.get("lines") or {}).get("data") or []
            if (line.get("metadata") or {}).get("settlement_id") == settlement.settlement_id
        }
        items = invoice_item_params_from_plan(settlement, plan, str(state.invoice_id))
        for index, params in enumerate(items):
            if str(index) not in present:
                self._stripe.create_invoice_item(
                    params, idempotency_key(settlement.settlement_id, f"item:{index}")
                )
        current = self._stripe.retrieve_invoice(str(state.invoice_id))
        total = current.get("total")
        if total is not None and int(total) != plan.total_minor:
            raise PermanentError(
                f"invoice {state.invoice_id} does not total what its plan says",
                code="invoice_total_mismatch",
            )

    def _finalize(self, state: _Progress, plan: InvoicePlan) -> JsonDict:
        invoice_id = str(state.invoice_id)
        try:
            return self._stripe.finalize_invoice(
                invoice_id, idempotency_key(plan.settlement_id, "finalize")
            )
        except PermanentError:
            # Finalized meanwhile by another poll whose key this one no longer replays.
            current = self._stripe.retrieve_invoice(invoice_id)
            if current.get("status") != "draft":
                return current
            raise

    # --- the warehouse --------------------------------------------------------------------------

    def _open_credits(self, settlement: Settlement) -> list[OpenCredit]:
        rows = self._warehouse.query(
            OPEN_CREDITS_SQL,
            {"settlement_id": settlement.settlement_id, "customer_id": settlement.customer_id},
        )
        return [
            OpenCredit(
                credit_id=str(r["credit_id"]),
                reason=str(r.get("reason") or ""),
                currency=str(r.get("currency") or ""),
                open_amount=Decimal(str(r["open_amount"])),
                revenue_lost=_decimal_or_none(r.get("revenue_lost")),
            )
            for r in rows
            if r.get("open_amount") is not None and Decimal(str(r["open_amount"])) > 0
        ]

    def _record_applications(self, state: _Progress, plan: InvoicePlan) -> None:
        if not plan.credits:
            return
        now = self._clock.now()
        rows = [
            {
                "credit_id": c.credit_id,
                "settlement_id": plan.settlement_id,
                "stripe_invoice_id": state.invoice_id,
                "currency": plan.currency,
                "applied_amount": decimal_from_minor(c.amount_minor, plan.currency),
                "recorded_at": now,
            }
            for c in plan.credits
        ]
        ids = [f"{plan.settlement_id}:{c.credit_id}" for c in plan.credits]
        self._warehouse.append(APPLICATIONS_TABLE, rows, row_ids=ids)

    def _record(
        self,
        state: _Progress,
        status: str,
        *,
        invoice: JsonDict | None = None,
        plan: InvoicePlan | None = None,
        reason: str | None = None,
    ) -> None:
        settlement_id = state.settlement.settlement_id
        self._append_link(
            settlement_id, state.revision, status, invoice=invoice, plan=plan, reason=reason
        )
        state.progress = max(state.progress, PROGRESS[status])

    def _append_link(
        self,
        settlement_id: str,
        revision: Any,
        status: str,
        *,
        invoice: JsonDict | None = None,
        plan: InvoicePlan | None = None,
        reason: str | None = None,
        invoice_id: str | None = None,
    ) -> None:
        row: dict[str, Any] = {
            "settlement_id": settlement_id,
            "settlement_revision": revision,
            "status": status,
            "progress": PROGRESS[status],
            "stripe_invoice_id": (invoice or {}).get("id") or invoice_id,
            "stripe_invoice_number": (invoice or {}).get("number"),
            "hosted_invoice_url": (invoice or {}).get("hosted_invoice_url"),
            **_invoice_dates(invoice),
            "reason": reason,
            "poll_id": self._poll_id,
            "recorded_at": self._clock.now(),
        }
        if plan is not None:
            row |= {
                "currency": plan.currency,
                "fee_amount": decimal_from_minor(plan.fee_minor, plan.currency),
                "credit_amount": decimal_from_minor(plan.credit_minor, plan.currency),
                "tax_jurisdiction": plan.tax_jurisdiction,
                "tax_rate": plan.tax_rate,
                "tax_amount": decimal_from_minor(plan.tax_minor, plan.currency),
                "total_amount": decimal_from_minor(plan.total_minor, plan.currency),
            }
        revision_key = revision.isoformat() if isinstance(revision, datetime) else str(revision)
        row_id = f"{settlement_id}:{revision_key}:{status}"
        self._warehouse.append(LINKS_TABLE, [row], row_ids=[row_id])

    def _fail(
        self,
        settlement_id: str,
        revision: Any,
        error: SyncError,
        invoice_id: str | None = None,
    ) -> SettlementOutcome:
        reason = f"{error.code}: {error.message}"
        log_event(
            logger,
            logging.ERROR,
            "settlement failed",
            settlement_id=settlement_id,
            outcome=FAILED,
            error_class=error.error_class,
            error_code=error.code,
        )
        if settlement_id:
            try:
                self._append_link(
                    settlement_id, revision, FAILED, reason=reason, invoice_id=invoice_id
                )
            except SyncError as append_error:
                return SettlementOutcome(settlement_id, RETRY, invoice_id, append_error.code)
        return SettlementOutcome(settlement_id, FAILED, invoice_id, reason)


def _decimal_or_none(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _invoice_dates(invoice: JsonDict | None) -> dict[str, date | None]:
    """Issue and due dates (UTC) of a finalized invoice, for statements rebuilt later."""
    if not invoice or invoice.get("status") == "draft":
        return {}
    finalized = (invoice.get("status_transitions") or {}).get("finalized_at")
    due = invoice.get("due_date")
    return {
        "invoice_date": None if finalized is None else _utc_date(finalized),
        "due_date": None if due is None else _utc_date(due),
    }


def _utc_date(unix: Any) -> date:
    return datetime.fromtimestamp(int(unix), UTC).date()
