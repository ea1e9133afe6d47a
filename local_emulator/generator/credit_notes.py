"""Credit notes: before payment they lower what is due, after it they refund or credit."""

from __future__ import annotations

from local_emulator.generator import objects as o
from local_emulator.generator.core import JsonDict, SimError
from local_emulator.generator.payments import PaymentOps


class CreditNoteOps(PaymentOps):
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
        charges = self.invoice_charges.get(invoice_id, [])
        if sum(self.refundable(c) for c in charges) < refund:
            raise SimError("not enough refundable on the invoice's charges")
        refunds = []
        left = refund
        for charge_id in charges:
            part = min(left, self.refundable(charge_id))
            if part:
                refunds.append(
                    {
                        "amount_refunded": part,
                        "refund": self.refund(charge_id, part),
                        "type": "refund",
                        "payment_record_refund": None,
                    }
                )
                left -= part
        cn = issue("post_payment")
        cn["refunds"] = refunds
        credit = amount - refund
        if credit:
            cn["customer_balance_transaction"] = self.new_id("cbtxn")
        self.emit("credit_note.created", cn)
        previous = {"post_payment_credit_notes_amount": credited}
        invoice["post_payment_credit_notes_amount"] = credited + amount
        self._invoice_event("invoice.updated", invoice, previous)
        if credit:
            self._adjust_balance(str(invoice["customer"]), -credit)
        return cn_id

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

    def _adjust_balance(self, customer_id: str, delta: int) -> None:
        customer = self.get(customer_id)
        previous = {"balance": customer["balance"]}
        customer["balance"] = int(customer["balance"]) + delta
        self.emit("customer.updated", customer, previous)

    def void_credit_note(self, cn_id: str) -> None:
        cn = self.get(cn_id)
        invoice = self.get(cn["invoice"])
        if cn["status"] != "issued":
            raise SimError(f"{cn_id} is not issued")
        if cn["type"] == "pre_payment" and invoice["status"] != "open":
            raise SimError("only a credit note on an open invoice can be voided")
        if cn["type"] == "post_payment" and cn["refunds"]:
            raise SimError("a credit note with a refund cannot be voided")
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
            self._adjust_balance(str(cn["customer"]), self.credit_amount(cn_id))
