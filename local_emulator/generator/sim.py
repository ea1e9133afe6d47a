"""A tiny Stripe: business operations that change objects and emit the events Stripe would."""

from __future__ import annotations

from typing import Any

from local_emulator.generator import objects as o
from local_emulator.generator.core import DAY, DISPUTE_FEE, MONTH_START, JsonDict, SimError
from local_emulator.generator.credit_notes import CreditNoteOps
from local_emulator.generator.invoices import InvoiceTerms, LineSpec, build_invoice

__all__ = ["DAY", "DISPUTE_FEE", "MONTH_START", "JsonDict", "SimError", "StripeSim"]


class StripeSim(CreditNoteOps):
    """Customers, the catalog and invoices; charges, refunds, disputes, credit notes, the
    customer balance, attached payments and payment records are inherited (``PaymentOps``,
    ``CreditNoteOps``, ``BalanceOps``, ``AttachOps``). ``StripeSim(tag="t")`` starts a Stripe."""

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

    def delete_product(self, product_id: str) -> None:
        """A product that can no longer be read: ``product.deleted``, then Stripe answers 404."""
        product = self.get(product_id)
        product["active"] = False
        self.emit("product.deleted", product)
        self.bare({"id": product_id, "object": "product", "deleted": True, "created": self.now + 1})

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
        self._take_balance(invoice)
        self._invoice_event("invoice.finalized", invoice)
        if invoice["amount_due"] == 0:  # Stripe marks an invoice with nothing due paid at once
            self._mark_paid(invoice)
            self._invoice_event("invoice.paid", invoice)

    def pay(
        self,
        invoice_id: str,
        amount: int | None = None,
        *,
        failed_attempt: bool = False,
    ) -> str:
        """A card payment through the invoice (its PaymentIntent, charge and invoice payment; the
        first full payment is the invoice's default one); returns the charge id."""
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
        self.invoice_charges.setdefault(invoice_id, []).append(charge["id"])
        default = amount == int(invoice["amount_due"]) and not int(invoice["amount_paid"])
        self._credit(
            invoice_id,
            amount,
            {"type": "payment_intent", "payment_intent": pi_id},
            is_default=default,
        )
        return str(charge["id"])

    def pay_out_of_band(self, invoice_id: str) -> None:
        """``POST /v1/invoices/{id}/pay`` with ``paid_out_of_band``: paid, with no payment."""
        invoice = self.get(invoice_id)
        if invoice["status"] != "open":
            raise SimError(f"{invoice_id} is not open")
        invoice["amount_paid"] = int(invoice["amount_paid"]) + int(invoice["amount_remaining"])
        invoice["amount_remaining"] = 0
        self._mark_paid(invoice)
        self._invoice_event("invoice.paid", invoice)

    def void(self, invoice_id: str) -> None:
        invoice = self.get(invoice_id)
        if invoice["status"] != "open" or invoice["amount_paid"]:
            raise SimError(f"{invoice_id} cannot be voided")
        invoice["status"] = "void"
        invoice["status_transitions"]["voided_at"] = self.now + 1
        self._invoice_event("invoice.voided", invoice)
        self._return_balance(invoice)

    def mark_uncollectible(self, invoice_id: str) -> None:
        invoice = self.get(invoice_id)
        if invoice["status"] != "open":
            raise SimError(f"{invoice_id} is not open")
        invoice["status"] = "uncollectible"
        invoice["status_transitions"]["marked_uncollectible_at"] = self.now + 1
        self._invoice_event("invoice.marked_uncollectible", invoice)
