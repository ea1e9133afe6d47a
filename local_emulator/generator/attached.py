"""Payments made apart from the invoice and attached to it (Stripe's partial-payment flow), and
payments recorded as made outside Stripe (PaymentRecords), with their refunds.

``POST /v1/invoices/{id}/attach_payment`` takes a PaymentIntent (credited at once if it has
succeeded, else when it succeeds) or a PaymentRecord (docs.stripe.com/invoicing/partial-payments,
stripe-python 16.1.0 ``Invoice.attach_payment``). Payment records carry no events of their own:
they are bare objects here, and the invoice payment and the invoice carry the news.
"""

from __future__ import annotations

from local_emulator.generator import objects as o
from local_emulator.generator.core import JsonDict, SimError
from local_emulator.generator.payments import PaymentOps


class AttachOps(PaymentOps):
    def standalone_payment(self, customer_id: str, currency: str, amount: int) -> str:
        """A PaymentIntent paid by card for no invoice yet; returns its id."""
        charge_id = self.charge(customer_id, currency, amount, description="Partial payment")
        return str(self.get(charge_id)["payment_intent"])

    def attach(self, invoice_id: str, pi_id: str) -> str:
        """Attach a PaymentIntent that already succeeded: credited to the invoice at once."""
        pi = self.get(pi_id)
        if pi["status"] != "succeeded":
            raise SimError(f"{pi_id} has not succeeded")
        self._credit(
            invoice_id,
            int(pi["amount_received"]),
            {"type": "payment_intent", "payment_intent": pi_id},
            is_default=False,
        )
        self.invoice_charges.setdefault(invoice_id, []).append(str(pi["latest_charge"]))
        return pi_id

    def attach_then_pay(self, invoice_id: str, amount: int) -> str:
        """The documented order: create a PaymentIntent, attach it, then confirm it; the invoice
        payment is open until the charge succeeds. Returns the charge id."""
        invoice = self.get(invoice_id)
        if invoice["status"] != "open" or not 0 < amount <= int(invoice["amount_remaining"]):
            raise SimError(f"cannot attach {amount} to {invoice_id}")
        pi = self._store(
            o.payment_intent(
                self.new_id("pi"),
                amount=amount,
                currency=str(invoice["currency"]),
                customer_id=str(invoice["customer"]),
                created=self.now + 1,
                description=f"Partial payment of {invoice['number']}",
            )
        )
        pending = self._store(
            o.invoice_payment(
                self.new_id("inpay"),
                invoice_id=invoice_id,
                amount=amount,
                currency=str(invoice["currency"]),
                payment={"type": "payment_intent", "payment_intent": pi["id"]},
                created=self.now + 1,
                paid_at=None,
                is_default=False,
            )
        )
        charge = self._charge(pi, succeeded=True)
        paid = o.invoice_payment(
            str(pending["id"]),
            invoice_id=invoice_id,
            amount=amount,
            currency=str(invoice["currency"]),
            payment=dict(pending["payment"]),
            created=int(pending["created"]),
            paid_at=self.now + 1,
            is_default=False,
        )
        self._settle_pending(invoice_id, paid)
        self.invoice_charges.setdefault(invoice_id, []).append(str(charge["id"]))
        return str(charge["id"])

    def _settle_pending(self, invoice_id: str, inpay: JsonDict) -> None:
        """An attached payment that has now succeeded: the same as crediting it anew, but the
        invoice payment keeps its id and creation time."""
        self.objects[inpay["id"]] = inpay
        invoice = self.get(invoice_id)
        amount = int(inpay["amount_paid"])
        self.emit("invoice_payment.paid", inpay)
        previous = {
            "amount_paid": invoice["amount_paid"],
            "amount_remaining": invoice["amount_remaining"],
        }
        invoice["amount_paid"] = int(invoice["amount_paid"]) + amount
        invoice["amount_remaining"] = int(invoice["amount_remaining"]) - amount
        if invoice["amount_remaining"] == 0:
            self._mark_paid(invoice)
            self._invoice_event("invoice.paid", invoice)
        else:
            self._invoice_event("invoice.updated", invoice, previous)

    def record_payment(self, invoice_id: str, amount: int, reference: str) -> str:
        """A payment made outside Stripe (a bank transfer, a check), reported and attached."""
        invoice = self.get(invoice_id)
        record_id = self.new_id("pr")
        currency = str(invoice["currency"])
        money = {"currency": currency, "value": amount}
        zero = {"currency": currency, "value": 0}
        record = self._store(
            {
                "id": record_id,
                "object": "payment_record",
                "amount": dict(money),
                "amount_authorized": dict(money),
                "amount_canceled": dict(zero),
                "amount_failed": dict(zero),
                "amount_guaranteed": dict(money),
                "amount_refunded": dict(zero),
                "amount_requested": dict(money),
                "application": None,
                "created": self.now + 1,
                "customer_details": {
                    "customer": invoice["customer"],
                    "email": None,
                    "name": None,
                    "phone": None,
                },
                "customer_presence": "off_session",
                "description": f"Bank transfer for {invoice['number']}",
                "latest_payment_attempt_record": f"par_{record_id.removeprefix('pr_')}",
                "livemode": False,
                "metadata": {},
                "payment_method_details": {
                    "type": "custom",
                    "custom": {"display_name": "Bank transfer", "type": None},
                },
                "processor_details": {"type": "custom", "custom": {"payment_reference": reference}},
                "reported_by": "self",
                "shipping_details": None,
            }
        )
        self.bare(record)
        self._credit(
            invoice_id,
            amount,
            {"type": "payment_record", "payment_record": record_id},
            is_default=False,
        )
        self.invoice_records.setdefault(invoice_id, []).append(record_id)
        return record_id

    def refundable_record(self, record_id: str) -> int:
        record = self.get(record_id)
        return int(record["amount"]["value"]) - int(record["amount_refunded"]["value"])

    def refund_record(self, record_id: str, amount: int) -> str:
        """A refund made outside Stripe, reported on the record; returns its refund group (the
        ``refund_reference`` it was reported with)."""
        if not 0 < amount <= self.refundable_record(record_id):
            raise SimError(f"cannot refund {amount} of {record_id}")
        record = self.get(record_id)
        record["amount_refunded"]["value"] = int(record["amount_refunded"]["value"]) + amount
        self.now += 1
        self.bare(record)  # the latest line of an object wins when a scenario is seeded
        return self.new_id("rfgrp")
