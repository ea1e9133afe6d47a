"""The Payment: applied to invoices (and credit memos) through Line[].LinkedTxn."""

from __future__ import annotations

from decimal import Decimal

from local_emulator.fakes.qbo import errors
from local_emulator.fakes.qbo.books import Applied, Books, JsonDict, Leg, ref_value, stored
from local_emulator.fakes.qbo.transactions import (
    ZERO,
    TransactionRule,
    txn_currency,
    txn_rate,
    voided_note,
)

LINKABLE = {"Invoice": "Balance", "CreditMemo": "RemainingCredit"}


def _links(doc: JsonDict) -> dict[tuple[str, str], Decimal]:
    """(TxnType, TxnId) -> amount applied, summed over the payment's (validated) lines."""
    result: dict[tuple[str, str], Decimal] = {}
    for line in doc.get("Line") or []:
        for link in line.get("LinkedTxn") or []:
            key = (str(link.get("TxnType")), str(link.get("TxnId")))
            result[key] = result.get(key, Decimal(0)) + stored(line.get("Amount"))
    return result


class PaymentRule(TransactionRule):
    """Debits the deposit account (Undeposited Funds by default), credits A/R by TotalAmt.

    TotalAmt = invoices paid - credit memos used + UnappliedAmt. A payment with TotalAmt 0 that
    links an invoice and a credit memo for the same amount applies the credit to the invoice.
    QBO refuses applying more than an invoice's open balance or a credit memo's remaining
    credit, documents of another customer (620), and a deposit account in another currency.
    A foreign payment clears each invoice at the invoice's own rate; the difference to its own
    rate is a realised exchange gain or loss.
    """

    entity = "Payment"
    # ``POST /payment?operation=update&include=void``, sparse {Id, SyncToken} (Intuit's Payment
    # reference: "Use a sparse update operation with include=void"; python-quickbooks VoidMixin,
    # routablehq/python-quickbooks#304). A deposited payment is locked (6540) until the
    # deposit lets it go.
    void_form = "include"
    money_account = "DepositToAccountRef"

    def prepare(self, doc: JsonDict, books: Books, old: JsonDict | None) -> JsonDict:
        if ref_value(doc, "DepositToAccountRef") is None:
            doc["DepositToAccountRef"] = {"value": books.account_by_subtype("UndepositedFunds")}
        doc = super().prepare(doc, books, old)
        customer_id = books.require_ref(doc, "CustomerRef", "Customer")
        if doc.get("TotalAmt") is None:
            raise errors.required_missing("TotalAmt")
        total = self.amount(doc, doc["TotalAmt"], "TotalAmt")
        if total < 0:
            raise errors.business_rule("a payment amount cannot be negative")
        self.check_money_account(doc, books)
        lines = [dict(line) for line in doc.get("Line") or []]
        for line in lines:
            line["Amount"] = self.amount(doc, line.get("Amount", 0), "Line.Amount")
            if line["Amount"] < 0:
                raise errors.business_rule("a payment line amount cannot be negative")
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
            if txn_currency(target) != txn_currency(doc):
                raise errors.cannot_link(txn_id)
            if amount > stored(target.get(LINKABLE[txn_type])):
                raise errors.business_rule(
                    f"the amount applied to {txn_type} {txn_id} exceeds its open balance"
                )
            net += amount if txn_type == "Invoice" else -amount
        if net < 0:
            raise errors.business_rule("the credit applied exceeds the invoices it is applied to")
        if net > total:
            raise errors.business_rule("the amounts applied exceed the payment's TotalAmt")
        doc["TotalAmt"] = total
        doc["UnappliedAmt"] = total - net
        self.set_home_total(doc, books)
        doc.setdefault("ProcessPayment", False)
        return doc

    def apply(self, doc: JsonDict, books: Books) -> None:
        payment_id = str(doc["Id"])
        receivable = books.receivable(txn_currency(doc))
        deposit_to = str(doc["DepositToAccountRef"]["value"])
        legs = [self.leg(doc, books, deposit_to, stored(doc["TotalAmt"]))]
        for (txn_type, txn_id), amount in _links(doc).items():
            home = self._home_share(txn_type, txn_id, amount, books)
            self._ledger_of(txn_type, books)[txn_id][payment_id] = Applied(amount, home)
            sign = -1 if txn_type == "Invoice" else 1
            legs.append(Leg(receivable, sign * amount, sign * home))
            self._refresh(txn_type, txn_id, books)
        unapplied = stored(doc.get("UnappliedAmt"))
        if unapplied:
            legs.append(self.leg(doc, books, receivable, -unapplied))
        books.post((self.entity, payment_id), legs, settles=True)
        books.refresh_customer(str(doc["CustomerRef"]["value"]))

    def unapply(self, doc: JsonDict, books: Books) -> None:
        super().unapply(doc, books)
        payment_id = str(doc["Id"])
        for txn_type, txn_id in _links(doc):
            self._ledger_of(txn_type, books)[txn_id].pop(payment_id, None)
            self._refresh(txn_type, txn_id, books)
        books.refresh_customer(str(doc["CustomerRef"]["value"]))

    @staticmethod
    def _ledger_of(txn_type: str, books: Books) -> dict[str, dict[str, Applied]]:
        return books.applications if txn_type == "Invoice" else books.credit_applications

    @staticmethod
    def _home_share(txn_type: str, txn_id: str, amount: Decimal, books: Books) -> Decimal:
        """The home value of what is applied, at the document's own rate; the payment that
        closes the document takes exactly what is left of its home value."""
        target = books.get(txn_type, txn_id) or {}
        if "HomeTotalAmt" not in target:
            return books.to_home(amount, txn_rate(target))
        applied, applied_home = books.applied(txn_type, txn_id)
        if amount == stored(target["TotalAmt"]) - applied:
            return stored(target["HomeTotalAmt"]) - applied_home
        return books.to_home(amount, txn_rate(target))

    def _refresh(self, txn_type: str, txn_id: str, books: Books) -> None:
        target = books.get(txn_type, txn_id)
        if target is None:
            return
        applied, applied_home = books.applied(txn_type, txn_id)
        remaining = stored(target["TotalAmt"]) - applied
        target[LINKABLE[txn_type]] = remaining
        target["Balance"] = remaining
        if "HomeTotalAmt" in target:
            target["HomeBalance"] = stored(target["HomeTotalAmt"]) - applied_home
        payments = self._ledger_of(txn_type, books).get(txn_id, {})
        others = [t for t in target.get("LinkedTxn", []) if t.get("TxnType") != "Payment"]
        target["LinkedTxn"] = others + [
            {"TxnId": pid, "TxnType": "Payment"} for pid in sorted(payments, key=int)
        ]
        books.bump(target)

    def void(self, doc: JsonDict, books: Books) -> JsonDict:
        voided = dict(doc)
        voided["Line"] = []
        voided["TotalAmt"] = ZERO
        voided["UnappliedAmt"] = ZERO
        if "HomeTotalAmt" in voided:
            voided["HomeTotalAmt"] = ZERO
        voided["PrivateNote"] = voided_note(doc)
        return voided
