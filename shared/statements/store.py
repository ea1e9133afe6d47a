"""Statements rebuilt on demand from the warehouse (and the Stripe invoice when there is one)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from shared.domain.money import minor_from_decimal
from shared.domain.settlement import (
    CreditApplication,
    InvoicePlan,
    OpenCredit,
    Settlement,
    invoice_plan_from_settlement,
    settlement_from_row,
)
from shared.domain.settlement_invoice import PAYMENT_TERMS_DAYS, invoice_plan_from_metadata
from shared.errors import NotFoundError, PermanentError
from shared.ports import Warehouse
from shared.statements.model import (
    DEFAULT_COMPANY,
    CompanyProfile,
    InvoiceRef,
    Statement,
    bill_to_from_stripe,
    invoice_ref_from_stripe,
)
from shared.statements.pdf import statement_from_settlement, statement_pdf

SETTLEMENT_SQL = "SELECT * FROM ledger_settlements_current WHERE settlement_id = @settlement_id"
LINK_SQL = "SELECT * FROM settlement_invoice_links_current WHERE settlement_id = @settlement_id"
APPLIED_SQL = """
SELECT a.credit_id, a.applied_amount, c.reason, c.revenue_lost
FROM settlement_credit_applications_current AS a
LEFT JOIN settlement_credits_current AS c ON c.credit_id = a.credit_id
WHERE a.settlement_id = @settlement_id
ORDER BY c.created_at, a.credit_id
"""
CREDIT_DETAILS_SQL = """
SELECT credit_id, revenue_lost FROM settlement_credits_current WHERE credit_id IN UNNEST(@ids)
"""
OPEN_CREDITS_SQL = """
SELECT c.credit_id, c.reason, c.revenue_lost, c.currency, c.open_amount
FROM settlement_credits_open AS c
WHERE c.customer_id = @customer_id
ORDER BY c.created_at, c.credit_id
"""
PDF = "application/pdf"


@dataclass(frozen=True)
class StatementFile:
    filename: str
    content: bytes
    content_type: str = PDF


class StatementStore:
    """Regenerates the statement of a settlement; nothing is stored, the same input gives the
    same bytes, so the QBO attachment and the command line agree."""

    def __init__(
        self,
        warehouse: Warehouse,
        *,
        tax_rates: Mapping[str, Decimal] | None = None,
        company: CompanyProfile = DEFAULT_COMPANY,
    ) -> None:
        self._warehouse = warehouse
        self._tax_rates = dict(tax_rates or {})
        self._company = company

    def pdf_for_invoice(self, invoice: Mapping[str, Any]) -> StatementFile | None:
        """The statement of a Stripe invoice made from a settlement; None for other invoices."""
        statement = self.statement_for_invoice(invoice)
        return None if statement is None else _file(statement)

    def pdf_for_settlement(self, settlement_id: str) -> StatementFile:
        return _file(self.statement_for_settlement(settlement_id))

    def statement_for_invoice(self, invoice: Mapping[str, Any]) -> Statement | None:
        metadata = invoice.get("metadata") or {}
        settlement_id = metadata.get("settlement_id")
        if not settlement_id:
            return None
        settlement = self._settlement(str(settlement_id))
        plan = invoice_plan_from_metadata(metadata, str(invoice.get("currency") or ""))
        return statement_from_settlement(
            settlement,
            plan,
            invoice_ref_from_stripe(invoice),
            bill_to=bill_to_from_stripe(invoice, settlement.customer_name),
            company=self._company,
            revenue_lost=self._revenue_lost([c.credit_id for c in plan.credits]),
        )

    def statement_for_settlement(self, settlement_id: str) -> Statement:
        """As invoiced when the link table knows the invoice; otherwise a draft preview."""
        settlement = self._settlement(settlement_id)
        links = self._warehouse.query(LINK_SQL, {"settlement_id": settlement_id})
        link = links[0] if links else None
        if link and link.get("stripe_invoice_id") and link.get("fee_amount") is not None:
            plan, revenue_lost = self._plan_from_link(settlement, link)
            issued = link.get("invoice_date") or _as_utc(link["recorded_at"]).date()
            invoice: InvoiceRef | None = InvoiceRef(
                number=link.get("stripe_invoice_number"),
                issued_on=issued,
                due_on=link.get("due_date") or issued + timedelta(days=PAYMENT_TERMS_DAYS),
                hosted_url=link.get("hosted_invoice_url"),
                stripe_invoice_id=link.get("stripe_invoice_id"),
            )
        else:
            plan, revenue_lost = self._preview_plan(settlement)
            invoice = None
        return statement_from_settlement(
            settlement, plan, invoice, company=self._company, revenue_lost=revenue_lost
        )

    # --- internals ------------------------------------------------------------------------------

    def _settlement(self, settlement_id: str) -> Settlement:
        rows = self._warehouse.query(SETTLEMENT_SQL, {"settlement_id": settlement_id})
        if not rows:
            raise NotFoundError(f"no settlement {settlement_id}", code="settlement_not_found")
        return settlement_from_row(rows[0])

    def _revenue_lost(self, credit_ids: list[str]) -> dict[str, Decimal]:
        if not credit_ids:
            return {}
        rows = self._warehouse.query(CREDIT_DETAILS_SQL, {"ids": credit_ids})
        return {
            str(r["credit_id"]): Decimal(str(r["revenue_lost"]))
            for r in rows
            if r.get("revenue_lost") is not None
        }

    def _plan_from_link(
        self, settlement: Settlement, link: Mapping[str, Any]
    ) -> tuple[InvoicePlan, dict[str, Decimal]]:
        currency = settlement.currency
        applied = self._warehouse.query(APPLIED_SQL, {"settlement_id": settlement.settlement_id})
        credits = tuple(
            CreditApplication(
                str(r["credit_id"]),
                str(r.get("reason") or "").upper(),
                minor_from_decimal(Decimal(str(r["applied_amount"])), currency),
            )
            for r in applied
        )
        plan = InvoicePlan(
            settlement_id=settlement.settlement_id,
            currency=currency,
            fee_minor=minor_from_decimal(Decimal(str(link["fee_amount"])), currency),
            credits=credits,
            tax_jurisdiction=str(link.get("tax_jurisdiction") or settlement.tax_jurisdiction),
            tax_rate=Decimal(str(link.get("tax_rate") or 0)),
            tax_minor=minor_from_decimal(Decimal(str(link.get("tax_amount") or 0)), currency),
        )
        lost = {
            str(r["credit_id"]): Decimal(str(r["revenue_lost"]))
            for r in applied
            if r.get("revenue_lost") is not None
        }
        return plan, lost

    def _preview_plan(self, settlement: Settlement) -> tuple[InvoicePlan, dict[str, Decimal]]:
        rows = self._warehouse.query(OPEN_CREDITS_SQL, {"customer_id": settlement.customer_id})
        credits = [
            OpenCredit(
                str(r["credit_id"]),
                str(r.get("reason") or ""),
                str(r.get("currency") or ""),
                Decimal(str(r["open_amount"])),
                None if r.get("revenue_lost") is None else Decimal(str(r["revenue_lost"])),
            )
            for r in rows
        ]
        plan = invoice_plan_from_settlement(settlement, credits, self._tax_rates)
        if plan is None:
            raise PermanentError(
                f"settlement {settlement.settlement_id} has no fee: no statement", code="no_fee"
            )
        lost = {c.credit_id: c.revenue_lost for c in credits if c.revenue_lost is not None}
        return plan, lost


def _file(statement: Statement) -> StatementFile:
    return StatementFile(statement.filename, statement_pdf(statement))


def _as_utc(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value)).astimezone(UTC)
