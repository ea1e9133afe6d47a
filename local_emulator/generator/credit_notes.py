"""Credit notes: before payment they lower what is due, after it they refund or credit."""

from __future__ import annotations

from local_emulator.generator import objects as o
from local_emulator.generator.attached import AttachOps
from local_emulator.generator.core import JsonDict, SimError
from local_emulator.generator.customer_balance import BalanceOps


class CreditNoteOps(AttachOps, BalanceOps):
    """Issuing and voiding credit notes, and the customer balance they move."""

    def credit_note(
        self, invoice_id: str, amount: int, *, refund: int = 0, reason: str = "order_change"
    ) -> str:
        """Before payment (open invoice): lowers what is due. After payment (paid invoice):
        ``refund`` of it is paid back on the invoice's charges, the rest credits the balance."""
        invoice = self.get(invoice_id)
        count = sum(
            1
            for x in self.objects.values()
            if x.get("object") == "credit_note" and x["invoice"] == invoice_id
        )
        number = f"{invoice['number']}-CN-{count + 1:02d}"
        cn_id = self.new_id("cn")

        def issue(kind: str) -> JsonDict:
            note = o.credit_note(
                cn_id,
                invoice=invoice,
                number=number,
                amount=amount,
                created=self.now + 1,
                kind=kind,
                reason=reason,
                memo=None,
            )
            return self._store(note)

        if invoice["status"] == "open":
            if refund or not 0 < amount <= int(invoice["amount_remaining"]):
                raise SimError("a pre-payment credit note is at most the amount remaining")
            cn = issue("pre_payment")
            self.emit("credit_note.created", cn)
            self._adjust_pre_payment(invoice, amount)
            return cn_id
        if invoice["status"] != "paid":
            raise SimError(f"cannot credit a {invoice['status']} invoice")
        credited = int(invoice["post_payment_credit_notes_amount"])
        if not 0 < amount <= int(invoice["amount_paid"]) - credited or not 0 <= refund <= amount:
            raise SimError("a post-payment credit note is at most what was paid")
        if amount > refund and invoice["currency"] != self.get(invoice["customer"])["currency"]:
            raise SimError("the customer's balance is in its own currency: refund instead")
        refunds = self._refund_parts(invoice_id, refund)
        cn = issue("post_payment")
        cn["refunds"] = refunds
        credit = amount - refund
        txn_id = self.new_id("cbtxn") if credit else None
        cn["customer_balance_transaction"] = txn_id
        self.emit("credit_note.created", cn)
        previous = {"post_payment_credit_notes_amount": credited}
        invoice["post_payment_credit_notes_amount"] = credited + amount
        self._invoice_event("invoice.updated", invoice, previous)
        if credit:
            self.balance_txn(
                str(invoice["customer"]),
                -credit,
                "credit_note",
                credit_note=cn_id,
                invoice=invoice_id,
                txn_id=txn_id,
            )
        return cn_id

    def _refund_parts(self, invoice_id: str, refund: int) -> list[JsonDict]:
        """Pay ``refund`` back: card refunds on the invoice's charges first, then refunds made
        outside Stripe on the payment records that paid it."""
        charges = self.invoice_charges.get(invoice_id, [])
        records = self.invoice_records.get(invoice_id, [])
        available = sum(self.refundable(c) for c in charges)
        available += sum(self.refundable_record(r) for r in records)
        if available < refund:
            raise SimError("not enough refundable on the invoice's payments")
        refunds: list[JsonDict] = []
        left = refund
        for charge_id in charges:
            part = min(left, self.refundable(charge_id))
            if part:
                refunds.append(
                    {
                        "amount_refunded": part,
                        "payment_record_refund": None,
                        "refund": self.refund(charge_id, part),
                        "type": "refund",
                    }
                )
                left -= part
        for record_id in records:
            part = min(left, self.refundable_record(record_id))
            if part:
                group = self.refund_record(record_id, part)
                refunds.append(
                    {
                        "amount_refunded": part,
                        "payment_record_refund": {
                            "payment_record": record_id,
                            "refund_group": group,
                        },
                        "refund": None,
                        "type": "payment_record_refund",
                    }
                )
                left -= part
        return refunds

    def credit_amount(self, cn_id: str) -> int:
        """The part of a post-payment credit note credited to the customer's balance."""
        cn = self.get(cn_id)
        refunded = sum(int(r["amount_refunded"]) for r in cn["refunds"])
        return int(cn["post_payment_amount"]) - refunded - int(cn["out_of_band_amount"] or 0)

    def _adjust_pre_payment(self, invoice: JsonDict, delta: int) -> None:
        previous = {
            key: invoice[key]
            for key in ("amount_due", "amount_remaining", "pre_payment_credit_notes_amount")
        }
        invoice["pre_payment_credit_notes_amount"] = (
            int(previous["pre_payment_credit_notes_amount"]) + delta
        )
        invoice["amount_due"] = int(invoice["amount_due"]) - delta
        invoice["amount_remaining"] = int(invoice["amount_remaining"]) - delta
        if invoice["amount_remaining"] == 0:
            self._mark_paid(invoice)
            self._invoice_event("invoice.paid", invoice)
        else:
            self._invoice_event("invoice.updated", invoice, previous)

    def void_credit_note(self, cn_id: str) -> None:
        cn = self.get(cn_id)
        invoice = self.get(cn["invoice"])
        if cn["status"] != "issued":
            raise SimError(f"{cn_id} is not issued")
        if cn["type"] == "pre_payment" and invoice["status"] != "open":
            raise SimError("only a credit note on an open invoice can be voided")
        if cn["type"] == "post_payment" and cn["refunds"]:
            raise SimError("a credit note with a refund cannot be voided")
        if cn["type"] == "post_payment" and self._credit_used_since(cn):
            raise SimError("its credit may have paid an invoice since: the simulator keeps it")
        cn.update(status="void", voided_at=self.now + 1)
        self.emit("credit_note.voided", cn)
        if cn["type"] == "pre_payment":
            self._adjust_pre_payment(invoice, -int(cn["amount"]))
        else:
            previous = {
                "post_payment_credit_notes_amount": invoice["post_payment_credit_notes_amount"]
            }
            invoice["post_payment_credit_notes_amount"] = int(
                invoice["post_payment_credit_notes_amount"]
            ) - int(cn["amount"])
            self._invoice_event("invoice.updated", invoice, previous)
            credit = self.credit_amount(cn_id)
            if credit:
                self.balance_txn(
                    str(cn["customer"]),
                    credit,
                    "credit_note",
                    credit_note=cn_id,
                    invoice=cn["invoice"],
                )

    def _credit_used_since(self, cn: JsonDict) -> bool:
        """Whether any invoice of the customer took credit after the note was issued."""
        return any(
            line.get("object") == "customer_balance_transaction"
            and line["customer"] == cn["customer"]
            and line["type"] == "applied_to_invoice"
            and int(line["created"]) >= int(cn["created"])
            for line in self.lines
        )
