"""Test doubles for the settlement flow: an in-memory Stripe with idempotency keys and crashes."""

from __future__ import annotations

import copy
import itertools
import json
import threading
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from shared.errors import NotFoundError, ValidationFailedError

JsonDict = dict[str, Any]
T0 = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)


class SimulatedCrash(BaseException):
    """The process dies here (BaseException: no handler of the use case may swallow it)."""


class CrashSchedule:
    """Counts every external step (Stripe writes, warehouse appends); crashes at chosen counts.

    ``crash_at`` holds (step number, "before" | "after"): before = the step never happened;
    after = it happened but the caller never learnt (a dropped response, a killed process).
    """

    def __init__(self, crash_at: Sequence[tuple[int, str]] = ()) -> None:
        self.crash_at = {n: when for n, when in crash_at}
        self.count = 0
        self.crashes = 0
        self._lock = threading.Lock()

    def step(self) -> str | None:
        with self._lock:
            self.count += 1
            return self.crash_at.pop(self.count, None)

    def crash(self) -> None:
        with self._lock:
            self.crashes += 1
        raise SimulatedCrash


class InMemoryStripe:
    """The six StripeBilling calls with Stripe's semantics: same key -> same response, the same
    key with other parameters -> 400, drafts only take items, zero-total invoices finalize paid."""

    def __init__(self, schedule: CrashSchedule | None = None) -> None:
        self.schedule = schedule or CrashSchedule()
        self.invoices: dict[str, JsonDict] = {}
        self.keys: dict[str, tuple[str, JsonDict]] = {}
        self.sent: dict[str, int] = {}
        self.calls: list[str] = []
        self._ids = itertools.count(1)
        self._numbers = itertools.count(1)
        self._lock = threading.RLock()

    def expire_keys(self) -> None:
        """Stripe forgets idempotency keys after 24 hours."""
        with self._lock:
            self.keys.clear()

    # --- StripeBilling ----------------------------------------------------------------------------

    def create_invoice(self, params: JsonDict, idempotency_key: str) -> JsonDict:
        return self._write("create_invoice", idempotency_key, params, self._create_invoice)

    def create_invoice_item(self, params: JsonDict, idempotency_key: str) -> JsonDict:
        return self._write("create_invoice_item", idempotency_key, params, self._create_item)

    def finalize_invoice(self, invoice_id: str, idempotency_key: str) -> JsonDict:
        return self._write("finalize_invoice", idempotency_key, {"id": invoice_id}, self._finalize)

    def send_invoice(self, invoice_id: str, idempotency_key: str) -> JsonDict:
        return self._write("send_invoice", idempotency_key, {"id": invoice_id}, self._send)

    def retrieve_invoice(self, invoice_id: str) -> JsonDict:
        with self._lock:
            return copy.deepcopy(self._invoice(invoice_id))

    def list_invoices(
        self, customer: str, metadata_settlement_id: str | None = None
    ) -> list[JsonDict]:
        with self._lock:
            found = [
                copy.deepcopy(inv)
                for inv in self.invoices.values()
                if inv["customer"] == customer
                and (
                    metadata_settlement_id is None
                    or inv["metadata"].get("settlement_id") == metadata_settlement_id
                )
            ]
        return sorted(found, key=lambda inv: -int(inv["created"]))

    # --- internals ------------------------------------------------------------------------------

    def _write(self, op: str, key: str, params: JsonDict, action: Any) -> JsonDict:
        crash = self.schedule.step()
        if crash == "before":
            self.schedule.crash()
        fingerprint = json.dumps(params, sort_keys=True, default=str)
        with self._lock:
            self.calls.append(op)
            if key in self.keys:
                first, response = self.keys[key]
                if first != fingerprint:
                    raise ValidationFailedError(
                        "Keys for idempotent requests can only be used with the same parameters",
                        code="idempotency_error",
                    )
                result = copy.deepcopy(response)
            else:
                result = action(params)
                self.keys[key] = (fingerprint, copy.deepcopy(result))
        if crash == "after":
            self.schedule.crash()
        return result

    def _invoice(self, invoice_id: str) -> JsonDict:
        if invoice_id not in self.invoices:
            raise NotFoundError(f"No such invoice: {invoice_id}", code="resource_missing")
        return self.invoices[invoice_id]

    def _create_invoice(self, params: JsonDict) -> JsonDict:
        invoice_id = f"in_{next(self._ids):06d}"
        created = int(T0.timestamp()) + next(self._ids)
        self.invoices[invoice_id] = {
            "id": invoice_id,
            "object": "invoice",
            "customer": params["customer"],
            "currency": params["currency"],
            "status": "draft",
            "number": None,
            "hosted_invoice_url": None,
            "created": created,
            "due_date": created + 86_400 * int(params.get("days_until_due", 30)),
            "collection_method": params.get("collection_method"),
            "custom_fields": copy.deepcopy(params.get("custom_fields")),
            "description": params.get("description"),
            "metadata": dict(params.get("metadata") or {}),
            "lines": {"object": "list", "data": [], "has_more": False},
            "total": 0,
            "amount_due": 0,
        }
        return copy.deepcopy(self.invoices[invoice_id])

    def _create_item(self, params: JsonDict) -> JsonDict:
        invoice = self._invoice(params["invoice"])
        if invoice["status"] != "draft":
            raise ValidationFailedError("invoice is not a draft", code="invoice_not_editable")
        item = {
            "id": f"ii_{next(self._ids):06d}",
            "object": "invoiceitem",
            "amount": int(params["amount"]),
            "description": params.get("description"),
            "metadata": dict(params.get("metadata") or {}),
            "invoice": invoice["id"],
        }
        invoice["lines"]["data"].append({**item, "object": "line_item"})
        invoice["total"] = sum(line["amount"] for line in invoice["lines"]["data"])
        invoice["amount_due"] = max(invoice["total"], 0)
        return item

    def _finalize(self, params: JsonDict) -> JsonDict:
        invoice = self._invoice(params["id"])
        if invoice["status"] != "draft":
            raise ValidationFailedError("invoice is already finalized", code="invoice_not_draft")
        invoice["number"] = f"SETL-{next(self._numbers):04d}"
        invoice["hosted_invoice_url"] = f"https://invoice.stripe.test/i/{invoice['id']}"
        invoice["status"] = "open" if invoice["amount_due"] > 0 else "paid"
        return copy.deepcopy(invoice)

    def _send(self, params: JsonDict) -> JsonDict:
        invoice = self._invoice(params["id"])
        if invoice["status"] != "open":
            raise ValidationFailedError("only open invoices can be sent", code="invoice_not_open")
        self.sent[invoice["id"]] = self.sent.get(invoice["id"], 0) + 1
        return copy.deepcopy(invoice)


class CrashingWarehouse:
    """Wraps a Warehouse; appends count as steps of the crash schedule."""

    def __init__(self, inner: Any, schedule: CrashSchedule) -> None:
        self.inner = inner
        self.schedule = schedule

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.inner.query(sql, params)
        return result

    def append(
        self, table: str, rows: Sequence[Mapping[str, Any]], row_ids: Sequence[str] | None = None
    ) -> None:
        crash = self.schedule.step()
        if crash == "before":
            self.schedule.crash()
        self.inner.append(table, rows, row_ids)
        if crash == "after":
            self.schedule.crash()


def settlement_row(settlement_id: str, **overrides: Any) -> JsonDict:
    """A valid completed ledger_settlements row (USD, 20 % of 10,000.00, California tax)."""
    row: JsonDict = {
        "settlement_id": settlement_id,
        "customer_id": "cus_test_1",
        "customer_name": "Acme Corp",
        "period_start": date(2026, 1, 1),
        "period_end": date(2026, 1, 31),
        "baseline_revenue": Decimal("50000.00"),
        "actual_revenue": Decimal("60000.00"),
        "incremental_revenue": Decimal("10000.00"),
        "fee_rate": Decimal("0.20"),
        "currency": "usd",
        "tax_jurisdiction": "US-CA",
        "contributions": json.dumps({"Paid search": "6000.00", "Email": "4000.00"}),
        "status": "COMPLETED",
        "completed_at": T0,
        "recorded_at": T0,
    }
    row.update(overrides)
    return row


def credit_row(credit_id: str, amount: str, **overrides: Any) -> JsonDict:
    row: JsonDict = {
        "credit_id": credit_id,
        "customer_id": "cus_test_1",
        "reason": "ROLLBACK",
        "revenue_lost": Decimal(amount) * 5,
        "credit_amount": Decimal(amount),
        "currency": "usd",
        "applied_to_invoice": None,
        "created_at": T0,
        "recorded_at": T0,
    }
    row.update(overrides)
    return row


TAX_RATES = {"US-CA": Decimal("0.0725"), "GB": Decimal("0.20"), "NONE": Decimal("0")}
