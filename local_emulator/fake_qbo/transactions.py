"""What every transaction shares: DocNumber rules, dates, the 6540 lock, and sales lines."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from local_emulator.fake_qbo import errors
from local_emulator.fake_qbo.books import Books, JsonDict, money, number, ref_value
from local_emulator.fake_qbo.rules import USD, EntityRule

DOC_NUMBER_MAX = 21
ROUNDING_TOLERANCE = Decimal("0.005")
ZERO = Decimal("0.00")


class TransactionRule(EntityRule):
    """DocNumber (max 21, optionally unique and auto-numbered), TxnDate, currency."""

    unique_doc_number: ClassVar[bool] = False
    auto_doc_number: ClassVar[bool] = False
    deletable = True

    def prepare(self, doc: JsonDict, books: Books, old: JsonDict | None) -> JsonDict:
        doc_number = doc.get("DocNumber")
        if doc_number in (None, "", "AUTO_GENERATE") and self.auto_doc_number:
            doc_number = old.get("DocNumber") if old else None
            if not doc_number:
                doc_number = str(books.next_doc_number)
                books.next_doc_number += 1
        if doc_number not in (None, ""):
            doc_number = str(doc_number)
            if len(doc_number) > DOC_NUMBER_MAX:
                raise errors.string_length("DocNumber", DOC_NUMBER_MAX, len(doc_number))
            if self.unique_doc_number:
                self._check_unique(doc_number, books, old)
            doc["DocNumber"] = doc_number
        else:
            doc.pop("DocNumber", None)
        doc.setdefault("TxnDate", books.today())
        doc.setdefault("CurrencyRef", dict(USD))
        return doc

    def _check_unique(self, doc_number: str, books: Books, old: JsonDict | None) -> None:
        own_id = str(old["Id"]) if old else None
        for other in books.lookup(self.entity, "DocNumber", doc_number):
            if other.get("DocNumber") == doc_number and str(other["Id"]) != own_id:
                raise errors.duplicate_doc_number(doc_number, self.entity, str(other["Id"]))

    def check_change(self, doc: JsonDict, books: Books) -> None:
        deposit = books.deposited.get((self.entity, str(doc["Id"])))
        if deposit is not None:
            raise errors.QboFault(
                "6540",
                "Deposited Transaction cannot be changed",
                f"This transaction has been deposited (Deposit Id={deposit}). "
                "If you want to change or delete it, you must edit the deposit it appears on "
                "and remove it first.",
            )


class SalesFormRule(TransactionRule):
    """Invoice, SalesReceipt, CreditMemo, RefundReceipt: item lines, discount, tax, totals."""

    customer_required: ClassVar[bool] = True

    def prepare(self, doc: JsonDict, books: Books, old: JsonDict | None) -> JsonDict:
        doc = super().prepare(doc, books, old)
        books.require_ref(doc, "CustomerRef", "Customer", required=self.customer_required)
        lines = doc.get("Line")
        if not isinstance(lines, list) or not lines:
            raise errors.required_missing("Line")
        out: list[JsonDict] = []
        subtotal = Decimal(0)
        discount = Decimal(0)
        for raw in lines:
            line = dict(raw)
            kind = line.get("DetailType")
            if kind == "SubTotalLineDetail":
                continue  # QBO recomputes the subtotal line
            if kind == "SalesItemLineDetail":
                subtotal += _sales_line(line, books)
            elif kind == "DiscountLineDetail":
                discount += _discount_line(line, books)
            elif kind == "DescriptionOnly":
                line["Amount"] = money(line.get("Amount", 0), "Line.Amount")
            else:
                raise errors.required_missing("Line.DetailType")
            out.append(line)
        for index, line in enumerate(out, start=1):
            line["Id"] = str(index)
            line["LineNum"] = index
        subtotal_line = {"Amount": subtotal, "DetailType": "SubTotalLineDetail"}
        out.append({**subtotal_line, "SubTotalLineDetail": {}})
        doc["Line"] = out
        tax = money((doc.get("TxnTaxDetail") or {}).get("TotalTax", 0), "TotalTax")
        if tax:
            doc["TxnTaxDetail"] = {**(doc.get("TxnTaxDetail") or {}), "TotalTax": tax}
        doc["TotalAmt"] = subtotal - discount + tax
        doc.setdefault("ApplyTaxAfterDiscount", False)
        return doc

    @staticmethod
    def income_postings(doc: JsonDict, books: Books) -> list[tuple[str, Decimal]]:
        """The credit side of a sale (income, tax; a discount as a debit), sign: credit < 0."""
        postings: list[tuple[str, Decimal]] = []
        for line in doc["Line"]:
            amount = money(line.get("Amount", 0), "Line.Amount")
            if line.get("DetailType") == "SalesItemLineDetail":
                item = books.get("Item", str(line["SalesItemLineDetail"]["ItemRef"]["value"]))
                income = ref_value(item or {}, "IncomeAccountRef")
                if income is None:
                    raise errors.invalid_reference("ItemRef", "income account")
                postings.append((income, -amount))
            elif line.get("DetailType") == "DiscountLineDetail":
                account = str(line["DiscountLineDetail"]["DiscountAccountRef"]["value"])
                postings.append((account, amount))
        tax = money((doc.get("TxnTaxDetail") or {}).get("TotalTax", 0), "TotalTax")
        if tax:
            postings.append((books.account_by_subtype("SalesTaxPayable"), -tax))
        return postings

    @staticmethod
    def zeroed(doc: JsonDict) -> JsonDict:
        """The document as QBO keeps it after a void: lines and totals at zero."""
        voided = dict(doc)
        lines: list[JsonDict] = []
        for original in doc["Line"]:
            line = dict(original)
            line["Amount"] = ZERO
            if "SalesItemLineDetail" in line:
                line["SalesItemLineDetail"] = {**line["SalesItemLineDetail"], "Qty": 0}
            lines.append(line)
        voided["Line"] = lines
        voided["TotalAmt"] = ZERO
        voided.pop("TxnTaxDetail", None)
        voided["PrivateNote"] = "Voided"
        return voided


def _sales_line(line: JsonDict, books: Books) -> Decimal:
    if "Amount" not in line:
        raise errors.required_missing("Line.Amount")
    amount = money(line["Amount"], "Line.Amount")
    detail = dict(line.get("SalesItemLineDetail") or {})
    books.require_ref(detail, "ItemRef", "Item")
    qty = number(detail["Qty"], "Qty") if detail.get("Qty") is not None else None
    price = number(detail["UnitPrice"], "UnitPrice") if "UnitPrice" in detail else None
    if qty is not None and price is not None:
        if abs(qty * price - amount) > ROUNDING_TOLERANCE:
            raise errors.amount_mismatch(str(amount))
    elif qty is not None and qty != 0:
        detail["UnitPrice"] = amount / qty
    line["Amount"] = amount
    line["SalesItemLineDetail"] = detail
    return amount


def _discount_line(line: JsonDict, books: Books) -> Decimal:
    amount = money(line.get("Amount", 0), "Line.Amount")
    detail = dict(line.get("DiscountLineDetail") or {})
    if ref_value(detail, "DiscountAccountRef") is None:
        detail["DiscountAccountRef"] = {"value": books.account_by_subtype("DiscountsRefundsGiven")}
    books.require_ref(detail, "DiscountAccountRef", "Account")
    line["DiscountLineDetail"] = detail
    line["Amount"] = amount
    return amount
