"""The simulator's core: ids, a clock that only moves on, objects, and the events emitted."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from local_emulator.generator import objects as o

JsonDict = dict[str, Any]
DAY = 86_400
DISPUTE_FEE = 1_500  # minor units, the same number in every currency
MONTH_START = 1_767_225_600  # 2026-01-01T00:00:00Z


class SimError(ValueError):
    """An operation Stripe would refuse (paying a void invoice, refunding too much...)."""


@dataclass
class SimCore:
    """Objects by id, the output lines (events and bare objects), a clock that only moves on."""

    tag: str
    now: int = MONTH_START
    lines: list[JsonDict] = field(default_factory=list)
    objects: dict[str, JsonDict] = field(default_factory=dict)
    # invoice id -> ids of its charges (succeeded, via invoice_payments)
    invoice_charges: dict[str, list[str]] = field(default_factory=dict)
    # invoice id -> ids of the payment records (payments outside Stripe) that paid it
    invoice_records: dict[str, list[str]] = field(default_factory=dict)
    _counters: dict[str, int] = field(default_factory=dict)

    # --- plumbing ---------------------------------------------------------------------------

    def new_id(self, prefix: str) -> str:
        n = self._counters.get(prefix, 0) + 1
        self._counters[prefix] = n
        return f"{prefix}_{self.tag}{n:05d}"

    def at(self, when: int) -> int:
        """Move the clock to ``when`` (never backwards: at least one second later)."""
        self.now = max(self.now + 1, when)
        return self.now

    def emit(self, event_type: str, obj: JsonDict, previous: JsonDict | None = None) -> JsonDict:
        self.now += 1
        evt = o.event(self.new_id("evt"), event_type, self.now, copy.deepcopy(obj), previous)
        self.lines.append(evt)
        return evt

    def bare(self, obj: JsonDict) -> None:
        self.lines.append(copy.deepcopy(obj))

    def get(self, object_id: str) -> JsonDict:
        return self.objects[object_id]

    def _store(self, obj: JsonDict) -> JsonDict:
        self.objects[obj["id"]] = obj
        return obj

    # --- invoice plumbing shared by every kind of operation -------------------------------

    @staticmethod
    def _public(invoice: JsonDict) -> JsonDict:
        return {k: v for k, v in invoice.items() if not k.startswith("_")}

    def _invoice_event(
        self, event_type: str, invoice: JsonDict, previous: JsonDict | None = None
    ) -> None:
        self.emit(event_type, self._public(invoice), previous)

    def _mark_paid(self, invoice: JsonDict) -> None:
        invoice["status"] = "paid"
        invoice["status_transitions"]["paid_at"] = self.now + 1

    def _credit(
        self, invoice_id: str, amount: int, payment: JsonDict, *, is_default: bool
    ) -> JsonDict:
        """A payment credited to an open invoice: its invoice payment (``invoice_payment.paid``),
        then the invoice (``invoice.paid`` when nothing remains, else ``invoice.updated``)."""
        invoice = self.get(invoice_id)
        remaining = int(invoice["amount_remaining"])
        if invoice["status"] != "open" or not 0 < amount <= remaining:
            raise SimError(f"cannot credit {amount} to {invoice_id} ({invoice['status']})")
        at = self.now + 1
        inpay = o.invoice_payment(
            self.new_id("inpay"),
            invoice_id=invoice_id,
            amount=amount,
            currency=str(invoice["currency"]),
            payment=payment,
            created=at,
            paid_at=at,
            is_default=is_default,
        )
        self._store(inpay)
        self.emit("invoice_payment.paid", inpay)
        previous = {
            "amount_paid": invoice["amount_paid"],
            "amount_remaining": invoice["amount_remaining"],
        }
        invoice["amount_paid"] = int(invoice["amount_paid"]) + amount
        invoice["amount_remaining"] = remaining - amount
        invoice["attempted"], invoice["attempt_count"] = True, int(invoice["attempt_count"]) + 1
        if invoice["amount_remaining"] == 0:
            self._mark_paid(invoice)
            self._invoice_event("invoice.payment_succeeded", invoice)
            self._invoice_event("invoice.paid", invoice)
        else:
            self._invoice_event("invoice.updated", invoice, previous)
        return inpay
