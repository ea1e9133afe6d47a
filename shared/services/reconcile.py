"""Use case: compare Stripe and QBO for a window and record every drift as a finding."""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from shared.domain.mapping import marker
from shared.domain.money import decimal_from_minor, normalize_currency
from shared.domain.rounding import books_open
from shared.errors import NotFoundError, SyncError
from shared.logging import get_logger, log_event
from shared.ports import Clock, JsonDict, QboGateway, StripeGateway, Warehouse
from shared.services.company import CompanyReader
from shared.services.reconcile_changes import changed_in_qbo
from shared.services.reconcile_findings import LEVELS, Check, Finding, ReconcileReport

__all__ = ["Finding", "Reconcile", "ReconcileReport"]

POSTED_PAYOUTS = ("paid", "failed")
LINKS_SQL = """
SELECT stripe_object_id, stripe_object_type, qbo_entity_type, qbo_entity_id, status,
       payload_hash, recorded_at
FROM sync_links_current
"""
MISMATCHED_PAYOUTS_SQL = """
SELECT payout_id, deposit_id, currency, amount, deposit_amount, difference, problems
FROM payout_reconciliations_current
WHERE status = 'MISMATCH'
"""

log = get_logger("reconcile")


@dataclass
class Reconcile:
    """One run over ports passed in; ``stuck_minutes`` also spares work still in flight."""

    stripe: StripeGateway
    qbo: QboGateway
    warehouse: Warehouse
    clock: Clock
    # the company's home currency (``company.CompanyReader.home_currency``); None: read it
    home_currency: Callable[[], str] | None = None
    stuck_minutes: int = 30
    window_days: int = 30

    def _home(self) -> str:
        if self.home_currency is None:
            self.home_currency = CompanyReader(self.qbo).home_currency
        return self.home_currency()

    def run(self, since: datetime | None = None, until: datetime | None = None) -> ReconcileReport:
        now = self.clock.now()
        until = until or now
        since = since or until - timedelta(days=self.window_days)
        report = ReconcileReport(uuid.uuid4().hex, since, until)
        links = self.warehouse.query(LINKS_SQL)
        checks: tuple[tuple[str, Check], ...] = (
            ("payouts", self._payouts),  # first: its findings must never be lost
            ("invoices", self._invoices),
            ("receivables", self._receivables),
            ("changed_in_qbo", self._changed_in_qbo),
            ("stuck", self._stuck),
        )
        for name, check in checks:
            try:
                check(report, links, now)
            except Exception as error:  # one check failing must not cost the others
                self._check_failed(report, name, error)
        self._record(report, now)
        return report

    def _check_failed(self, report: ReconcileReport, name: str, error: Exception) -> None:
        """A check that could not run is itself a finding: nobody may read silence as clean."""
        what = (
            f"{error.error_class} {error.code}"
            if isinstance(error, SyncError)
            else type(error).__name__
        )
        report.failed_checks.append(name)
        report.findings.append(
            Finding(
                "check_failed",
                "CRITICAL" if name == "payouts" else "HIGH",
                qbo_entity_type="check",
                qbo_entity_id=name,
                detail=f"the {name} check could not run: {what}",
            )
        )

    # --- checks ---------------------------------------------------------------------------

    def _old_enough(self, unix: int | None, now: datetime) -> bool:
        """Older than the grace period: a younger object may still be on its way to QBO."""
        return unix is not None and unix < (now - timedelta(minutes=self.stuck_minutes)).timestamp()

    def _invoices(self, report: ReconcileReport, links: list[JsonDict], now: datetime) -> None:
        linked = {
            str(r["stripe_object_id"]): str(r["qbo_entity_id"])
            for r in links
            if r["qbo_entity_type"] == "Invoice" and r["status"] == "COMPLETED"
        }
        window = {"gte": int(report.window_start.timestamp()), "lte": int(now.timestamp())}
        stripe_invoices = {
            str(i["id"]): i
            for i in self.stripe.list_objects("invoice", {"created": window})
            if i.get("status") not in ("draft", None)
        }
        start = report.window_start.date().isoformat()
        qbo_invoices = self.qbo.query(f"select * from Invoice where TxnDate >= '{start}'")  # noqa: S608
        by_id = {str(d["Id"]): d for d in qbo_invoices}
        report.checked["stripe_invoices"] = len(stripe_invoices)
        report.checked["qbo_invoices"] = len(qbo_invoices)
        for invoice_id, invoice in sorted(stripe_invoices.items()):
            finalized = (invoice.get("status_transitions") or {}).get("finalized_at")
            qbo_id = linked.get(invoice_id)
            if qbo_id is None and self._old_enough(finalized or invoice.get("created"), now):
                report.findings.append(
                    Finding(
                        "invoice_missing_in_qbo",
                        "HIGH",
                        invoice_id,
                        "Invoice",
                        detail="no QBO invoice linked",
                    )
                )
        prefix = marker("invoice", "")
        for doc in qbo_invoices:
            note = str(doc.get("PrivateNote") or "")
            stripe_id = note.removeprefix(prefix).split(" ")[0] if note.startswith(prefix) else ""
            if not stripe_id or stripe_id in stripe_invoices:
                continue
            try:
                self.stripe.retrieve("invoice", stripe_id)
            except NotFoundError:
                report.findings.append(
                    Finding(
                        "invoice_missing_in_stripe",
                        "MEDIUM",
                        stripe_id,
                        "Invoice",
                        str(doc["Id"]),
                        detail="names a Stripe invoice that is gone",
                    )
                )
        for invoice_id, qbo_id in linked.items():
            if invoice_id in stripe_invoices and qbo_id not in by_id:
                try:
                    self.qbo.read("Invoice", qbo_id)
                except NotFoundError:
                    report.findings.append(
                        Finding(
                            "invoice_missing_in_qbo",
                            "HIGH",
                            invoice_id,
                            "Invoice",
                            qbo_id,
                            detail="the linked QBO invoice is gone",
                        )
                    )

    def _receivables(self, report: ReconcileReport, links: list[JsonDict], now: datetime) -> None:
        """Open invoices per customer and currency: Stripe's amount_remaining, QBO's Balance."""
        customers: dict[str, tuple[str, str]] = {}  # QBO customer id -> (Stripe id, currency)
        for r in links:
            role = str(r["qbo_entity_type"])
            if (
                r["stripe_object_type"] == "customer"
                and role.startswith("Customer")
                and r["qbo_entity_id"]
            ):
                currency = role.partition(":")[2] or self._home()
                customers[str(r["qbo_entity_id"])] = (str(r["stripe_object_id"]), currency.upper())
        stripe_open: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        for invoice in self.stripe.list_objects("invoice", {"status": "open"}):
            currency = normalize_currency(str(invoice["currency"]))
            key = (str(invoice["customer"]), currency.upper())
            # what QBO holds of it under the rounding policy (exact for 0/2-place currencies)
            stripe_open[key] += books_open(
                int(invoice["total"]), int(invoice["amount_remaining"]), currency
            )
        qbo_open: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        qbo_customer: dict[tuple[str, str], str] = {}
        for doc in self.qbo.query("select * from Invoice where Balance > '0'"):
            ref = str((doc.get("CustomerRef") or {}).get("value"))
            if ref not in customers:
                continue
            stripe_id, currency = customers[ref]
            qbo_open[(stripe_id, currency)] += Decimal(str(doc.get("Balance") or 0))
            qbo_customer[(stripe_id, currency)] = ref
        rows = []
        for key in sorted(set(stripe_open) | set(qbo_open)):
            ours, theirs = stripe_open.get(key, Decimal(0)), qbo_open.get(key, Decimal(0))
            rows.append(
                {
                    "run_id": report.run_id,
                    "stripe_customer_id": key[0],
                    "qbo_customer_id": qbo_customer.get(key),
                    "currency": key[1],
                    "stripe_open": ours,
                    "qbo_open": theirs,
                    "as_of": now,
                }
            )
            if ours != theirs:
                report.findings.append(
                    Finding(
                        "ar_mismatch",
                        "HIGH",
                        key[0],
                        "Customer",
                        qbo_customer.get(key),
                        key[1],
                        ours,
                        theirs,
                        "open invoices differ",
                    )
                )
        report.checked["customers_with_ar"] = len(rows)
        if rows:
            self.warehouse.append("ar_balances", rows)

    def _payouts(self, report: ReconcileReport, links: list[JsonDict], now: datetime) -> None:
        deposits = {
            str(r["stripe_object_id"]): str(r["qbo_entity_id"])
            for r in links
            if r["qbo_entity_type"] == "Deposit" and r["status"] == "COMPLETED"
        }
        window = {"gte": int(report.window_start.timestamp())}
        payouts = self.stripe.list_objects("payout", {"created": window})
        report.checked["payouts"] = len(payouts)
        for payout in payouts:
            if payout.get("status") not in POSTED_PAYOUTS:
                continue
            if not self._old_enough(int(payout.get("arrival_date") or 0), now):
                continue
            deposit_id = deposits.get(str(payout["id"]))
            missing = deposit_id is None
            if deposit_id is not None:
                try:
                    self.qbo.read("Deposit", deposit_id)
                except NotFoundError:
                    missing = True
            if missing:
                currency = normalize_currency(str(payout["currency"]))
                # the sync posts an automatic payout once Stripe has reconciled it: one that
                # Stripe has not after days is Stripe's to finish, not a lost deposit
                waiting = payout.get("automatic") is not False and (
                    payout.get("reconciliation_status") != "completed"
                )
                report.findings.append(
                    Finding(
                        "payout_awaiting_reconciliation" if waiting else "payout_without_deposit",
                        "HIGH" if waiting else "CRITICAL",
                        str(payout["id"]),
                        "Deposit",
                        deposit_id,
                        currency.upper(),
                        decimal_from_minor(int(payout["amount"]), currency),
                        None,
                        f"payout {payout.get('status')}, Stripe reconciliation "
                        f"{payout.get('reconciliation_status')}: no deposit until completed"
                        if waiting
                        else f"payout {payout.get('status')} without a QBO deposit",
                    )
                )
        for row in self.warehouse.query(MISMATCHED_PAYOUTS_SQL):
            report.findings.append(
                Finding(
                    "payout_mismatch",
                    "CRITICAL",
                    str(row["payout_id"]),
                    "Deposit",
                    row["deposit_id"],
                    row["currency"],
                    row["amount"],
                    row["deposit_amount"],
                    str(row["problems"] or "payout does not reconcile"),
                )
            )

    def _changed_in_qbo(
        self, report: ReconcileReport, links: list[JsonDict], now: datetime
    ) -> None:
        changed_in_qbo(self.qbo, report, links, now)

    def _stuck(self, report: ReconcileReport, links: list[JsonDict], now: datetime) -> None:
        limit = now - timedelta(minutes=self.stuck_minutes)
        for r in links:
            recorded: Any = r["recorded_at"]
            if r["status"] in ("PENDING", "IN_PROGRESS") and recorded < limit:
                report.findings.append(
                    Finding(
                        "link_stuck",
                        "MEDIUM",
                        str(r["stripe_object_id"]),
                        str(r["qbo_entity_type"]),
                        r["qbo_entity_id"],
                        detail=f"{r['status']} since {recorded.isoformat()}",
                    )
                )

    # --- output ---------------------------------------------------------------------------

    def _record(self, report: ReconcileReport, now: datetime) -> None:
        window = (report.window_start, report.window_end)
        if report.findings:
            rows = [f.row(report.run_id, window, now) for f in report.findings]
            self.warehouse.append(
                "reconciliation_findings",
                rows,
                row_ids=[f"{report.run_id}:{r['finding_id']}" for r in rows],
            )
        self.warehouse.append(
            "reconcile_runs",
            [
                {
                    "run_id": report.run_id,
                    "window_start": window[0],
                    "window_end": window[1],
                    "findings": len(report.findings),
                    "checked": report.checked,
                    "finished_at": now,
                }
            ],
            row_ids=[report.run_id],
        )
        for finding in report.findings:
            log_event(
                log,
                LEVELS[finding.severity],
                "reconciliation finding",
                findings=finding.kind,
                severity_hint=finding.severity,
                object_id=finding.stripe_object_id,
                qbo_entity=finding.qbo_entity_type,
                qbo_id=finding.qbo_entity_id,
            )
        log_event(
            log,
            logging.WARNING if report.findings else logging.INFO,
            "reconcile done",
            count=len(report.findings),
            outcome="DRIFT" if report.findings else "CLEAN",
        )
