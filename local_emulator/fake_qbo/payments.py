"""The Payment: applied to invoices (and credit memos) through Line[].LinkedTxn."""

from __future__ import annotations

from decimal import Decimal

from local_emulator.fake_qbo import errors
from local_emulator.fake_qbo.books import Books, JsonDict, money, ref_value
from local_emulator.fake_qbo.transactions import ZERO, TransactionRule

LINKABLE = {"Invoice": "Balance", "CreditMemo": "RemainingCredit"}


def _links(doc: JsonDict) -> dict[tuple[str, str], Decimal]:
    """(TxnType, TxnId) -> amount applied, summed over the payment's lines."""
    result: dict[tuple[str, str], Decimal] = {}
    for line in doc.get("Line") or []:
        for link in line.get("LinkedTxn") or []:
            key = (str(link.get("TxnType")), str(link.get("TxnId")))
            result[key] = result.get(key, Decimal(0)) + money(line.get("Amount", 0), "Amount")
    return result


class PaymentRule(TransactionRule):
    """Debits the deposit account (Undeposited Funds by default), credits A/R by TotalAmt.

    TotalAmt = invoices paid - credit memos used + UnappliedAmt; QBO refuses applying more than
    an invoice's open balance or a credit memo's remaining credit.
    """

    entity = "Payment"
    voidable = True

    def prepare(self, doc: JsonDict, books: Books, old: JsonDict | None) -> JsonDict:
        doc = super().prepare(doc, books, old)
        customer_id = books.require_ref(doc, "CustomerRef", "Customer")
        if doc.get("TotalAmt") is None:
            raise errors.required_missing("TotalAmt")
        total = money(doc["TotalAmt"], "TotalAmt")
        if total < 0:
            raise errors.business_rule("a payment amount cannot be negative")
        if ref_value(doc, "DepositToAccountRef") is None:
            doc["DepositToAccountRef"] = {"value": books.account_by_subtype("UndepositedFunds")}
        books.require_ref(doc, "DepositToAccountRef", "Account")
        lines = [dict(line) for line in doc.get("Line") or []]
        for line in lines:
            line["Amount"] = money(line.get("Amount", 0), "Line.Amount")
        doc["Line"] = lines
        net = Decimal(0)
        for (txn_type, txn_id), amount in _links(doc).items():
            if txn_type not in LINKABLE:
                raise errors.unsupported(f"a payment cannot be linked to a {txn_type}")
            target = books.get(txn_type, txn_id)
            if target is None:
                raise errors.invalid_reference("LinkedTxn", txn_id)
            if ref_value(target, "CustomerRef") != customer_id:
                raise errors.cannot_link(txn_id)
            if amount > money(target.get(LINKABLE[txn_type], 0), LINKABLE[txn_type]):
                raise errors.business_rule(
                    f"the amount applied to {txn_type} {txn_id} exceeds its open balance"
                )
            net += amount if txn_type == "Invoice" else -amount
        if net > total:
            raise errors.business_rule("the amounts applied exceed the payment's TotalAmt")
        doc["TotalAmt"] = total
        doc["UnappliedAmt"] = total - net
        doc.setdefault("ProcessPayment", False)
        return doc

    def apply(self, doc: JsonDict, books: Books) -> None:
        payment_id = str(doc["Id"])
        total = money(doc["TotalAmt"], "TotalAmt")
        deposit_to = str(doc["DepositToAccountRef"]["value"])
        receivable = books.account_by_subtype("AccountsReceivable")
        books.post((self.entity, payment_id), [(deposit_to, total), (receivable, -total)])
        for (txn_type, txn_id), amount in _links(doc).items():
            self._ledger_of(txn_type, books)[txn_id][payment_id] = amount
            self._refresh(txn_type, txn_id, books)
        books.refresh_customer(str(doc["CustomerRef"]["value"]))

    def unapply(self, doc: JsonDict, books: Books) -> None:
        super().unapply(doc, books)
        payment_id = str(doc["Id"])
        for txn_type, txn_id in _links(doc):
            self._ledger_of(txn_type, books)[txn_id].pop(payment_id, None)
            self._refresh(txn_type, txn_id, books)
        books.refresh_customer(str(doc["CustomerRef"]["value"]))

    @staticmethod
    def _ledger_of(txn_type: str, books: Books) -> dict[str, dict[str, Decimal]]:
        return books.applications if txn_type == "Invoice" else books.credit_applications

    def _refresh(self, txn_type: str, txn_id: str, books: Books) -> None:
        target = books.get(txn_type, txn_id)
        if target is None:
            return
        payments = self._ledger_of(txn_type, books).get(txn_id, {})
        remaining = money(target["TotalAmt"], "TotalAmt") - sum(payments.values(), Decimal(0))
        target[LINKABLE[txn_type]] = remaining
        if txn_type == "CreditMemo":
            target["Balance"] = remaining
        others = [t for t in target.get("LinkedTxn", []) if t.get("TxnType") != "Payment"]
        target["LinkedTxn"] = others + [
            {"TxnId": pid, "TxnType": "Payment"} for pid in sorted(payments, key=int)
        ]
        books.touch(target)

    def void(self, doc: JsonDict, books: Books) -> JsonDict:
        voided = dict(doc)
        voided["Line"] = []
        voided["TotalAmt"] = ZERO
        voided["UnappliedAmt"] = ZERO
        voided["PrivateNote"] = "Voided"
        return voided
