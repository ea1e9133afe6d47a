"""Sales forms: Invoice, SalesReceipt, CreditMemo, RefundReceipt, and how each is booked."""

from __future__ import annotations

from decimal import Decimal

from local_emulator.fake_qbo import errors
from local_emulator.fake_qbo.books import Books, JsonDict, money, ref_value
from local_emulator.fake_qbo.transactions import ZERO, SalesFormRule


class InvoiceRule(SalesFormRule):
    """Debits A/R, credits income; Balance falls as payments are applied."""

    entity = "Invoice"
    unique_doc_number = True
    auto_doc_number = True
    voidable = True

    def prepare(self, doc: JsonDict, books: Books, old: JsonDict | None) -> JsonDict:
        doc = super().prepare(doc, books, old)
        total = doc["TotalAmt"]
        applied = books.applied_total(str(old["Id"])) if old else Decimal(0)
        if total < applied:
            raise errors.business_rule("the invoice total is less than the payments applied to it")
        doc["Balance"] = total - applied
        doc["LinkedTxn"] = list(old.get("LinkedTxn", [])) if old else []
        doc.setdefault("DueDate", doc["TxnDate"])
        doc.setdefault("EmailStatus", "NotSet")
        doc.setdefault("PrintStatus", "NotSet")
        return doc

    def apply(self, doc: JsonDict, books: Books) -> None:
        receivable = books.account_by_subtype("AccountsReceivable")
        total = money(doc["TotalAmt"], "TotalAmt")
        books.post(
            (self.entity, str(doc["Id"])),
            [(receivable, total), *self.income_postings(doc, books)],
        )
        books.refresh_customer(str(doc["CustomerRef"]["value"]))

    def unapply(self, doc: JsonDict, books: Books) -> None:
        super().unapply(doc, books)
        customer = ref_value(doc, "CustomerRef")
        if customer:
            books.refresh_customer(customer)

    def _check_unlinked(self, doc: JsonDict, books: Books, operation: str) -> None:
        if books.applications.get(str(doc["Id"])):
            raise errors.business_rule(
                f"cannot {operation} an invoice with payments applied; remove the payments first"
            )

    def void(self, doc: JsonDict, books: Books) -> JsonDict:
        self._check_unlinked(doc, books, "void")
        voided = self.zeroed(doc)
        voided["Balance"] = ZERO
        return voided

    def check_delete(self, doc: JsonDict, books: Books) -> None:
        self._check_unlinked(doc, books, "delete")


class SalesReceiptRule(SalesFormRule):
    """A cash sale: debits the deposit account (Undeposited Funds by default), credits income."""

    entity = "SalesReceipt"
    auto_doc_number = True
    customer_required = False
    voidable = True

    def prepare(self, doc: JsonDict, books: Books, old: JsonDict | None) -> JsonDict:
        doc = super().prepare(doc, books, old)
        if ref_value(doc, "DepositToAccountRef") is None:
            doc["DepositToAccountRef"] = {"value": books.account_by_subtype("UndepositedFunds")}
        books.require_ref(doc, "DepositToAccountRef", "Account")
        doc["Balance"] = ZERO
        return doc

    def apply(self, doc: JsonDict, books: Books) -> None:
        deposit_to = str(doc["DepositToAccountRef"]["value"])
        total = money(doc["TotalAmt"], "TotalAmt")
        books.post(
            (self.entity, str(doc["Id"])), [(deposit_to, total), *self.income_postings(doc, books)]
        )

    def void(self, doc: JsonDict, books: Books) -> JsonDict:
        return self.zeroed(doc)


class CreditMemoRule(SalesFormRule):
    """Credits A/R, debits income; RemainingCredit falls as payments apply it to invoices."""

    entity = "CreditMemo"
    auto_doc_number = True

    def prepare(self, doc: JsonDict, books: Books, old: JsonDict | None) -> JsonDict:
        doc = super().prepare(doc, books, old)
        applied = books.credit_applied_total(str(old["Id"])) if old else Decimal(0)
        if doc["TotalAmt"] < applied:
            raise errors.business_rule("the credit memo total is less than the credit applied")
        doc["RemainingCredit"] = doc["TotalAmt"] - applied
        doc["Balance"] = doc["RemainingCredit"]
        doc["LinkedTxn"] = list(old.get("LinkedTxn", [])) if old else []
        return doc

    def apply(self, doc: JsonDict, books: Books) -> None:
        receivable = books.account_by_subtype("AccountsReceivable")
        total = money(doc["TotalAmt"], "TotalAmt")
        reversed_income = [(a, -amount) for a, amount in self.income_postings(doc, books)]
        books.post((self.entity, str(doc["Id"])), [(receivable, -total), *reversed_income])
        books.refresh_customer(str(doc["CustomerRef"]["value"]))

    def unapply(self, doc: JsonDict, books: Books) -> None:
        super().unapply(doc, books)
        books.refresh_customer(str(doc["CustomerRef"]["value"]))

    def check_delete(self, doc: JsonDict, books: Books) -> None:
        if books.credit_applications.get(str(doc["Id"])):
            raise errors.business_rule("cannot delete a credit memo that is applied to invoices")


class RefundReceiptRule(SalesFormRule):
    """Money paid back: credits the account it is paid from, debits income."""

    entity = "RefundReceipt"
    auto_doc_number = True
    customer_required = False
    voidable = True

    def prepare(self, doc: JsonDict, books: Books, old: JsonDict | None) -> JsonDict:
        doc = super().prepare(doc, books, old)
        books.require_ref(doc, "DepositToAccountRef", "Account")
        doc["Balance"] = ZERO
        return doc

    def apply(self, doc: JsonDict, books: Books) -> None:
        paid_from = str(doc["DepositToAccountRef"]["value"])
        total = money(doc["TotalAmt"], "TotalAmt")
        reversed_income = [(a, -amount) for a, amount in self.income_postings(doc, books)]
        books.post((self.entity, str(doc["Id"])), [(paid_from, -total), *reversed_income])

    def void(self, doc: JsonDict, books: Books) -> JsonDict:
        return self.zeroed(doc)
