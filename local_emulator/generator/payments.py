"""Money moving on charges: payment intents and charges, refunds, disputes."""

from __future__ import annotations

from local_emulator.generator import objects as o
from local_emulator.generator.core import DISPUTE_FEE, JsonDict, SimCore, SimError


class PaymentOps(SimCore):
    """Charges (of invoices or on their own), their refunds and their disputes."""

    def _charge(self, pi: JsonDict, *, succeeded: bool) -> JsonDict:
        charge_id = self.new_id("ch")
        txn_id = None
        amount, currency = int(pi["amount"]), str(pi["currency"])
        if succeeded:
            txn_id = self.new_id("txn")
            fee = amount * 29 // 1000 + (30 if currency in ("usd", "eur") else 0)
            self.bare(
                o.balance_transaction(
                    txn_id,
                    amount=amount,
                    fee=fee,
                    currency=currency,
                    created=self.now + 1,
                    source=charge_id,
                    txn_type="charge",
                    category="charge",
                    description=pi["description"] or "Charge",
                    fee_description="Stripe processing fees",
                )
            )
        charge = self._store(
            o.charge(
                charge_id,
                amount=amount,
                currency=currency,
                customer_id=pi["customer"],
                pi_id=pi["id"],
                created=self.now + 1,
                description=pi["description"],
                succeeded=succeeded,
                balance_transaction=txn_id,
            )
        )
        pi["latest_charge"] = charge_id
        if succeeded:
            pi.update(status="succeeded", amount_received=amount, last_payment_error=None)
            self.emit("charge.succeeded", charge)
            self.emit("payment_intent.succeeded", pi)
        else:
            pi["last_payment_error"] = {"type": "card_error", "code": "card_declined"}
            self.emit("charge.failed", charge)
            self.emit("payment_intent.payment_failed", pi)
        return charge

    def charge(
        self,
        customer_id: str | None,
        currency: str,
        amount: int,
        *,
        succeeded: bool = True,
        description: str = "One-off purchase",
    ) -> str:
        """A payment that belongs to no invoice."""
        pi = self._store(
            o.payment_intent(
                self.new_id("pi"),
                amount=amount,
                currency=currency,
                customer_id=customer_id,
                created=self.now + 1,
                description=description,
            )
        )
        return str(self._charge(pi, succeeded=succeeded)["id"])

    def refundable(self, charge_id: str) -> int:
        charge = self.get(charge_id)
        if charge["status"] != "succeeded" or charge["disputed"]:
            return 0
        return int(charge["amount"]) - int(charge["amount_refunded"])

    def refund(self, charge_id: str, amount: int | None = None, *, fail: bool = False) -> str:
        charge = self.get(charge_id)
        available = self.refundable(charge_id)
        amount = available if amount is None else amount
        if not 0 < amount <= available:
            raise SimError(f"cannot refund {amount} of {charge_id} ({available} left)")
        refund_id = self.new_id("re")
        currency = str(charge["currency"])
        txn_id = None if fail else self.new_id("txn")
        obj = self._store(
            o.refund(
                refund_id,
                charge_id=charge_id,
                pi_id=charge["payment_intent"],
                amount=amount,
                currency=currency,
                created=self.now + 1,
                status="pending" if fail else "succeeded",
                balance_transaction=txn_id,
            )
        )
        if fail:
            self.emit("refund.created", obj)
            obj.update(status="failed", failure_reason="expired_or_canceled_card")
            self.emit("refund.updated", obj, {"status": "pending", "failure_reason": None})
            return refund_id
        self.bare(
            o.balance_transaction(
                str(txn_id),
                amount=-amount,
                fee=0,
                currency=currency,
                created=self.now + 1,
                source=refund_id,
                txn_type="refund",
                category="refund",
                description="REFUND FOR CHARGE",
                fee_description="",
            )
        )
        charge["amount_refunded"] = int(charge["amount_refunded"]) + amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]
        self.emit("refund.created", obj)
        self.emit("charge.refunded", charge)
        return refund_id

    def dispute(self, charge_id: str, outcome: str | None, reason: str = "fraudulent") -> str:
        """A dispute on the whole charge; ``outcome`` won, lost or None (still open)."""
        charge = self.get(charge_id)
        if self.refundable(charge_id) != int(charge["amount"]):
            raise SimError(f"{charge_id} is refunded or disputed already")
        amount, currency = int(charge["amount"]), str(charge["currency"])
        dispute_id = self.new_id("dp")
        obj = self._store(
            o.dispute(
                dispute_id,
                charge_id=charge_id,
                pi_id=charge["payment_intent"],
                amount=amount,
                currency=currency,
                created=self.now + 1,
                reason=reason,
            )
        )
        charge["disputed"] = True
        withdrawal = o.balance_transaction(
            self.new_id("txn"),
            amount=-amount,
            fee=DISPUTE_FEE,
            currency=currency,
            created=self.now + 1,
            source=dispute_id,
            txn_type="adjustment",
            category="dispute",
            description=f"Chargeback withdrawal for {charge_id}",
            fee_description="Dispute fee",
        )
        obj["balance_transactions"].append(withdrawal)
        self.bare(withdrawal)
        self.emit("charge.dispute.created", obj)
        self.emit("charge.dispute.funds_withdrawn", obj)
        if outcome is None:
            return dispute_id
        obj["status"] = "under_review"
        obj["evidence_details"].update(has_evidence=True, submission_count=1)
        self.emit("charge.dispute.updated", obj, {"status": "needs_response"})
        if outcome == "won":
            reinstated = o.balance_transaction(
                self.new_id("txn"),
                amount=amount,
                fee=-DISPUTE_FEE,
                currency=currency,
                created=self.now + 1,
                source=dispute_id,
                txn_type="adjustment",
                category="dispute_reversal",
                description=f"Chargeback reversal for {charge_id}",
                fee_description="Dispute fee refund",
            )
            obj["balance_transactions"].append(reinstated)
            self.bare(reinstated)
            obj["status"] = "won"
            self.emit("charge.dispute.funds_reinstated", obj)
        else:
            obj["status"] = "lost"
        self.emit("charge.dispute.closed", obj)
        return dispute_id
