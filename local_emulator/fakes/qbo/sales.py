"""Sales forms: Invoice, SalesReceipt, CreditMemo, RefundReceipt, and how each is booked."""

from __future__ import annotations

from local_emulator.fakes.qbo import errors
from local_emulator.fakes.qbo.books import Books, JsonDict, Leg, ref_value, stored
from local_emulator.fakes.qbo.transactions import ZERO, SalesFormRule, txn_currency


def _reversed(legs: list[Leg]) -> list[Leg]:
    return [Leg(leg.account, -leg.amount, -leg.home) for leg in legs]


class _ReceivableRule(SalesFormRule):
    """Invoice and CreditMemo: booked to the A/R account of their currency, open until paid or
    used; ``open_field`` falls as payments apply the document (HomeBalance alongside)."""

    open_field = "Balance"

    def prepare(self, doc: JsonDict, books: Books, old: JsonDict | None) -> JsonDict:
        doc = super().prepare(doc, books, old)
        applied, applied_home = books.applied(self.entity, str(old["Id"])) if old else (0, 0)
        total = doc["TotalAmt"]
        if total < applied:
            raise errors.business_rule(
                f"the {self.entity} total is less than what payments have applied of it"
            )
        doc[self.open_field] = total - applied
        doc["Balance"] = total - applied
        if "HomeTotalAmt" in doc:
            doc["HomeBalance"] = doc["HomeTotalAmt"] - applied_home
        doc["LinkedTxn"] = list(old.get("LinkedTxn", [])) if old else []
        return doc

    def receivable_leg(self, doc: JsonDict, books: Books) -> Leg:
        receivable = books.receivable(txn_currency(doc))
        return self.leg(doc, books, receivable, stored(doc["TotalAmt"]))

    def unapply(self, doc: JsonDict, books: Books) -> None:
        super().unapply(doc, books)
        customer = ref_value(doc, "CustomerRef")
        if customer:
            books.refresh_customer(customer)

    def check_unlinked(self, doc: JsonDict, books: Books, operation: str) -> None:
        """QBO will not void (or delete) an invoice that a payment settles, nor a credit memo a
        payment applies: undo the payment first (LanternOps/breeze#5180, a production void
        refused five times for an applied payment). The exact code is undocumented; 6000."""
        ledger = books.applications if self.entity == "Invoice" else books.credit_applications
        if ledger.get(str(doc["Id"])):
            raise errors.business_rule(
                f"cannot {operation} a {self.entity} that payments apply; "
                "void or delete those payments first"
            )

    def void(self, doc: JsonDict, books: Books) -> JsonDict:
        self.check_unlinked(doc, books, "void")
        voided = self.zeroed(doc)
        voided[self.open_field] = ZERO
        voided["Balance"] = ZERO
        return voided

    def check_delete(self, doc: JsonDict, books: Books) -> None:
        self.check_unlinked(doc, books, "delete")


class InvoiceRule(_ReceivableRule):
    """Debits A/R (of its currency), credits income; Balance falls as payments are applied."""

    entity = "Invoice"
    unique_doc_number = True
    auto_doc_number = True
    # ``POST /invoice?operation=void`` with Id and SyncToken (Intuit's Invoice reference;
    # python-quickbooks VoidMixin.get_void_params).
    void_form = "operation"

    def prepare(self, doc: JsonDict, books: Books, old: JsonDict | None) -> JsonDict:
        doc = super().prepare(doc, books, old)
        doc.setdefault("DueDate", doc["TxnDate"])
        doc.setdefault("EmailStatus", "NotSet")
        doc.setdefault("PrintStatus", "NotSet")
        return doc

    def apply(self, doc: JsonDict, books: Books) -> None:
        legs = [self.receivable_leg(doc, books), *self.income_postings(doc, books)]
        books.post((self.entity, str(doc["Id"])), legs)
        books.refresh_customer(str(doc["CustomerRef"]["value"]))


class CreditMemoRule(_ReceivableRule):
    """Credits A/R (a customer credit), debits income; RemainingCredit (and Balance) fall as
    payments apply it to invoices. The API cannot void a credit memo (Intuit's CreditMemo
    reference lists create, read, update, delete; QuickBooks-V3-PHP-SDK#133: "The Operation
    Void for CreditMemo is not supported for Quickbooks Online"). Deleting an applied one is
    refused: void the payment that applies it first (which restores the invoice and credit)."""

    entity = "CreditMemo"
    auto_doc_number = True
    open_field = "RemainingCredit"

    def prepare(self, doc: JsonDict, books: Books, old: JsonDict | None) -> JsonDict:
        doc = super().prepare(doc, books, old)
        if books.refuse_zero_credit_memos and doc["TotalAmt"] == 0:
            raise errors.business_rule("a credit memo total must be greater than zero")
        return doc

    def apply(self, doc: JsonDict, books: Books) -> None:
        legs = [self.receivable_leg(doc, books), *self.income_postings(doc, books)]
        books.post((self.entity, str(doc["Id"])), _reversed(legs))
        books.refresh_customer(str(doc["CustomerRef"]["value"]))


class SalesReceiptRule(SalesFormRule):
    """A cash sale: debits the deposit account (Undeposited Funds by default), credits income."""

    entity = "SalesReceipt"
    auto_doc_number = True
    customer_required = False
    # ``POST /salesreceipt?operation=update&include=void``, sparse {Id, SyncToken} (Intuit's
    # SalesReceipt reference; python-quickbooks VoidMixin; node-quickbooks#43).
    void_form = "include"
    money_account = "DepositToAccountRef"

    def prepare(self, doc: JsonDict, books: Books, old: JsonDict | None) -> JsonDict:
        if ref_value(doc, "DepositToAccountRef") is None:
            doc["DepositToAccountRef"] = {"value": books.account_by_subtype("UndepositedFunds")}
        doc = super().prepare(doc, books, old)
        self.check_money_account(doc, books)
        doc["Balance"] = ZERO
        return doc

    def apply(self, doc: JsonDict, books: Books) -> None:
        deposit_to = str(doc["DepositToAccountRef"]["value"])
        cash = self.leg(doc, books, deposit_to, stored(doc["TotalAmt"]))
        books.post((self.entity, str(doc["Id"])), [cash, *self.income_postings(doc, books)])

    def void(self, doc: JsonDict, books: Books) -> JsonDict:
        return self.zeroed(doc)


class RefundReceiptRule(SalesFormRule):
    """Money paid back: credits the account it is paid from (DepositToAccountRef), debits the
    income account of each line's item. The API cannot void it (Intuit's RefundReceipt
    reference lists create, read, update, delete; python-quickbooks gives it DeleteMixin and
    no VoidMixin): a refund undone is reversed by another document, or deleted."""

    entity = "RefundReceipt"
    auto_doc_number = True
    customer_required = False
    money_account = "DepositToAccountRef"

    def prepare(self, doc: JsonDict, books: Books, old: JsonDict | None) -> JsonDict:
        doc = super().prepare(doc, books, old)
        self.check_money_account(doc, books)
        doc["Balance"] = ZERO
        return doc

    def apply(self, doc: JsonDict, books: Books) -> None:
        paid_from = str(doc["DepositToAccountRef"]["value"])
        cash = self.leg(doc, books, paid_from, stored(doc["TotalAmt"]))
        legs = _reversed([cash, *self.income_postings(doc, books)])
        books.post((self.entity, str(doc["Id"])), legs)
