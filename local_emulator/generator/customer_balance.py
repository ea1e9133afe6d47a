"""The customer's credit balance: balance transactions (bare objects: Stripe sends no event for
them, only ``customer.updated``), adjustments by hand, and what invoices take at finalization.

Stripe keeps the balance in the customer's currency; an invoice in another currency neither uses
nor changes it (docs.stripe.com/billing/customer/balance).
"""

from __future__ import annotations

from local_emulator.generator.core import JsonDict, SimCore, SimError


class BalanceOps(SimCore):
    def balance_txn(
        self,
        customer_id: str,
        amount: int,
        txn_type: str,
        *,
        invoice: str | None = None,
        credit_note: str | None = None,
        description: str | None = None,
        txn_id: str | None = None,
    ) -> str:
        """Move the customer's balance by ``amount`` (< 0 credits it); ``customer.updated``."""
        customer = self.get(customer_id)
        previous = {"balance": customer["balance"]}
        customer["balance"] = int(customer["balance"]) + amount
        txn_id = txn_id or self.new_id("cbtxn")
        self.bare(
            {
                "id": txn_id,
                "object": "customer_balance_transaction",
                "amount": amount,
                "checkout_session": None,
                "created": self.now + 1,
                "credit_note": credit_note,
                "currency": customer["currency"],
                "customer": customer_id,
                "customer_account": None,
                "description": description,
                "ending_balance": customer["balance"],
                "invoice": invoice,
                "livemode": False,
                "metadata": {},
                "type": txn_type,
            }
        )
        self.emit("customer.updated", customer, previous)
        return txn_id

    def adjust_balance(self, customer_id: str, amount: int, description: str) -> str:
        """A credit (amount < 0) or debit given by hand (``POST .../balance_transactions``)."""
        if amount == 0:
            raise SimError("a balance adjustment moves the balance")
        return self.balance_txn(customer_id, amount, "adjustment", description=description)

    def _take_balance(self, invoice: JsonDict) -> None:
        """At finalization: the customer's balance pays what it can of the invoice."""
        customer = self.get(invoice["customer"])
        starting = int(customer["balance"]) if customer["currency"] == invoice["currency"] else 0
        total = int(invoice["total"])
        amount_due = max(total + starting, 0)
        ending = starting + total - amount_due
        invoice.update(
            starting_balance=starting,
            ending_balance=ending,
            amount_due=amount_due,
            amount_remaining=amount_due - int(invoice["amount_paid"]),
        )
        if ending != starting:
            self.balance_txn(
                invoice["customer"], ending - starting, "applied_to_invoice", invoice=invoice["id"]
            )

    def _return_balance(self, invoice: JsonDict) -> None:
        """A voided invoice gives back the credit it took."""
        taken = int(invoice["ending_balance"] or 0) - int(invoice["starting_balance"])
        if taken:
            self.balance_txn(
                invoice["customer"], -taken, "unapplied_from_invoice", invoice=invoice["id"]
            )
