"""A tiny Stripe: business operations that change objects and emit the events Stripe would."""

from __future__ import annotations

from typing import Any

from local_emulator.generator import objects as o
from local_emulator.generator.core import DAY, DISPUTE_FEE, MONTH_START, JsonDict, SimError
from local_emulator.generator.credit_notes import CreditNoteOps
from local_emulator.generator.invoices import InvoiceTerms, LineSpec, build_invoice

__all__ = ["DAY", "DISPUTE_FEE", "MONTH_START", "JsonDict", "SimError", "StripeSim"]


class StripeSim(CreditNoteOps):
    """Customers, the catalog and invoices; charges, refunds, disputes and credit notes are
    inherited (``PaymentOps``, ``CreditNoteOps``). ``StripeSim(tag="t")`` starts a new Stripe."""

    # --- customers and catalog --------------------------------------------------------------

    def customer(self, name: str, currency: str) -> str:
        customer_id = self.new_id("cus")
        slug = customer_id.removeprefix("cus_").lower()
        prefix = ("P" + customer_id.removeprefix("cus_").upper())[-8:]
        obj = o.customer(
            customer_id,
            name=name,
            email=f"billing+{slug}@example.com",
            currency=currency,
            created=self.now + 1,
            invoice_prefix=prefix,
        )
        self.emit("customer.created", self._store(obj))
        return customer_id

    def update_customer(self, customer_id: str, **changes: Any) -> None:
        obj = self.get(customer_id)
        previous = {key: obj.get(key) for key in changes}
        obj.update(changes)
        self.emit("customer.updated", obj, previous)

    def product(self, name: str) -> str:
        product_id = self.new_id("prod")
        self.emit(
            "product.created", self._store(o.product(product_id, name=name, created=self.now + 1))
        )
        return product_id

    def price(self, product_id: str, currency: str, unit_amount: int) -> str:
        price_id = self.new_id("price")
        obj = o.price(
            price_id,
            product_id=product_id,
            currency=currency,
            unit_amount=unit_amount,
            created=self.now + 1,
        )
        self.emit("price.created", self._store(obj))
        return price_id

    # --- invoices ---------------------------------------------------------------------------

    def draft(
        self,
        customer_id: str,
        currency: str,
        specs: list[LineSpec],
        terms: InvoiceTerms | None = None,
    ) -> str:
        invoice_id = self.new_id("in")
        obj = build_invoice(
            invoice_id,
            customer=self.get(customer_id),
            currency=currency,
            created=self.now + 1,
            specs=specs,
            terms=terms or InvoiceTerms(),
        )
        obj["_days_until_due"] = (terms or InvoiceTerms()).days_until_due
        self._store(obj)
        self.emit("invoice.created", self._public(obj))
        return invoice_id

    def finalize(self, invoice_id: str, number: str | None = None) -> None:
        invoice = self.get(invoice_id)
        if invoice["status"] != "draft":
            raise SimError(f"{invoice_id} is not a draft")
        customer = self.get(invoice["customer"])
        if number is None:
            sequence = int(customer["next_invoice_sequence"])
            customer["next_invoice_sequence"] = sequence + 1
            number = f"{customer['invoice_prefix']}-{sequence:04d}"
        at = self.now + 1
        invoice.update(number=number, status="open", effective_at=at)
        invoice["status_transitions"]["finalized_at"] = at
        if invoice["collection_method"] == "send_invoice":
            invoice["due_date"] = at + int(invoice["_days_until_due"]) * DAY
        self._invoice_event("invoice.finalized", invoice)

    def pay(
        self,
        invoice_id: str,
        amount: int | None = None,
        *,
        failed_attempt: bool = False,
    ) -> str:
        """A Stripe payment (payment intent, charge, invoice_payment); returns the charge id."""
        invoice = self.get(invoice_id)
        if invoice["status"] != "open":
            raise SimError(f"{invoice_id} is {invoice['status']}, not open")
        remaining = int(invoice["amount_remaining"])
        amount = remaining if amount is None else amount
        if not 0 < amount <= remaining:
            raise SimError(f"cannot pay {amount} of {remaining}")
        currency, customer_id = invoice["currency"], invoice["customer"]
        pi_id = self.new_id("pi")
        pi = self._store(
            o.payment_intent(
                pi_id,
                amount=amount,
                currency=currency,
                customer_id=customer_id,
                created=self.now + 1,
                description=f"Payment for {invoice['number']}",
            )
        )
        if failed_attempt:
            self._charge(pi, succeeded=False)
            self._invoice_event("invoice.payment_failed", invoice)
        charge = self._charge(pi, succeeded=True)
        at = self.now + 1
        inpay = o.invoice_payment(
            self.new_id("inpay"),
            invoice_id=invoice_id,
            amount=amount,
            currency=currency,
            pi_id=pi_id,
            charge_id=charge["id"],
            paid_at=at,
        )
        self._store(inpay)
        self.invoice_charges.setdefault(invoice_id, []).append(charge["id"])
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
        return str(charge["id"])

    def pay_out_of_band(self, invoice_id: str) -> None:
        invoice = self.get(invoice_id)
        if invoice["status"] != "open":
            raise SimError(f"{invoice_id} is not open")
        invoice["amount_paid"] = int(invoice["amount_paid"]) + int(invoice["amount_remaining"])
        invoice["amount_remaining"] = 0
        invoice["paid_out_of_band"] = True
        self._mark_paid(invoice)
        self._invoice_event("invoice.paid", invoice)

    def void(self, invoice_id: str) -> None:
        invoice = self.get(invoice_id)
        if invoice["status"] != "open" or invoice["amount_paid"]:
            raise SimError(f"{invoice_id} cannot be voided")
        invoice["status"] = "void"
        invoice["status_transitions"]["voided_at"] = self.now + 1
        self._invoice_event("invoice.voided", invoice)

    def mark_uncollectible(self, invoice_id: str) -> None:
        invoice = self.get(invoice_id)
        if invoice["status"] != "open":
            raise SimError(f"{invoice_id} is not open")
        invoice["status"] = "uncollectible"
        invoice["status_transitions"]["marked_uncollectible_at"] = self.now + 1
        self._invoice_event("invoice.marked_uncollectible", invoice)
