"""What every transaction shares: DocNumber rules, dates, the 6540 lock, and sales lines."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import ClassVar

from local_emulator.fakes.qbo import currency, errors
from local_emulator.fakes.qbo.books import Books, JsonDict, Leg, money, number, ref_value, stored
from local_emulator.fakes.qbo.rules import EntityRule
from local_emulator.fakes.qbo.taxes import apply_tax, tax_postings
from local_emulator.fakes.qbo.tracking import check_tracking

DOC_NUMBER_MAX = 21
ZERO = Decimal("0.00")


def txn_currency(doc: JsonDict) -> str:
    return str(doc["CurrencyRef"]["value"])


def txn_rate(doc: JsonDict) -> Decimal:
    return stored(doc.get("ExchangeRate", 1))


def voided_note(doc: JsonDict) -> str:
    """QBO marks a voided transaction's memo; what the memo said stays after the mark."""
    note = doc.get("PrivateNote")
    return f"Voided - {note}" if isinstance(note, str) and note else "Voided"


class TransactionRule(EntityRule):
    """DocNumber (max 21, optionally unique and auto-numbered), TxnDate, currency and rate."""

    unique_doc_number: ClassVar[bool] = False
    auto_doc_number: ClassVar[bool] = False
    # The account field where the money lands or leaves: it must be in the transaction's currency.
    money_account: ClassVar[str | None] = None
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
            if self.unique_doc_number and not books.allow_duplicate_doc_number:
                self._check_unique(doc_number, books, old)
            doc["DocNumber"] = doc_number
        else:
            doc.pop("DocNumber", None)
        doc.setdefault("TxnDate", books.today())
        self._currency(doc, books)
        return doc

    def _currency(self, doc: JsonDict, books: Books) -> None:
        """CurrencyRef: given, else the customer's, else the money account's, else home. A
        foreign transaction carries ExchangeRate (home units per unit), QBO's rate if omitted."""
        customer_currency = books.customer_currency(ref_value(doc, "CustomerRef"))
        account_id = ref_value(doc, self.money_account) if self.money_account else None
        given = ref_value(doc, "CurrencyRef")
        if given is not None:
            code = currency.code(given)
        elif customer_currency is not None:
            code = customer_currency
        elif account_id is not None and books.get("Account", account_id) is not None:
            code = books.account_currency(account_id)
        else:
            code = books.home
        if code != books.home and not books.multicurrency:
            raise errors.currency_mismatch(
                f"the company does not use multiple currencies; {code} cannot be used"
            )
        if customer_currency is not None and code != customer_currency:
            raise errors.currency_mismatch(
                f"the transaction currency {code} must be the customer's currency "
                f"{customer_currency}"
            )
        doc["CurrencyRef"] = currency.ref(code)
        doc.pop("HomeTotalAmt", None)  # read-only: computed from TotalAmt and the rate
        doc.pop("HomeBalance", None)
        if code == books.home:
            doc.pop("ExchangeRate", None)
            if books.multicurrency:
                doc["ExchangeRate"] = Decimal(1)
            return
        raw = doc.get("ExchangeRate")
        rate = (
            number(raw, "ExchangeRate")
            if raw is not None
            else books.rates.rate(code, str(doc["TxnDate"]))
        )
        if rate <= 0:
            raise errors.business_rule("ExchangeRate must be greater than zero")
        doc["ExchangeRate"] = rate

    @staticmethod
    def amount(doc: JsonDict, value: object, field: str) -> Decimal:
        """An amount of this transaction, at its currency's precision."""
        return money(value, field, txn_currency(doc))

    @staticmethod
    def set_home_total(doc: JsonDict, books: Books) -> None:
        if txn_currency(doc) != books.home:
            doc["HomeTotalAmt"] = books.to_home(stored(doc["TotalAmt"]), txn_rate(doc))

    @staticmethod
    def leg(doc: JsonDict, books: Books, account_id: str, value: Decimal) -> Leg:
        return books.leg(account_id, value, txn_currency(doc), txn_rate(doc))

    def check_money_account(self, doc: JsonDict, books: Books) -> str:
        field = self.money_account or ""
        account_id = books.require_ref(doc, field, "Account")
        books.check_account(account_id, txn_currency(doc), field, money=True)
        return account_id

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
    """Invoice, SalesReceipt, CreditMemo, RefundReceipt: item lines, discount, tax, totals.

    TotalAmt = sales lines - discount + TxnTaxDetail.TotalTax (``taxes``: QBO's computation per
    the company's tax model; each tax line posts to its agency's liability account). A tax line
    may also be a sales line whose item's income account is a liability: it posts there.
    """

    customer_required: ClassVar[bool] = True

    def prepare(self, doc: JsonDict, books: Books, old: JsonDict | None) -> JsonDict:
        doc = super().prepare(doc, books, old)
        books.require_ref(doc, "CustomerRef", "Customer", required=self.customer_required)
        lines = doc.get("Line")
        if not isinstance(lines, list) or not lines:
            raise errors.required_missing("Line")
        code = txn_currency(doc)
        out: list[JsonDict] = []
        items: list[JsonDict] = []
        subtotal = Decimal(0)
        discounts: list[JsonDict] = []
        for raw in lines:
            line = dict(raw)
            kind = line.get("DetailType")
            if kind == "SubTotalLineDetail":
                continue  # QBO recomputes the subtotal line
            if kind == "SalesItemLineDetail":
                subtotal += _sales_line(line, books, code)
                items.append(line)
            elif kind == "DiscountLineDetail":
                discounts.append(line)
            elif kind == "DescriptionOnly":
                line["Amount"] = money(line.get("Amount", 0), "Line.Amount", code)
            else:
                raise errors.required_missing("Line.DetailType")
            out.append(line)
        discount = sum((_discount_line(d, books, code, subtotal) for d in discounts), Decimal(0))
        for index, line in enumerate(out, start=1):
            line["Id"] = str(index)
            line["LineNum"] = index
        subtotal_line = {"Amount": subtotal, "DetailType": "SubTotalLineDetail"}
        out.append({**subtotal_line, "SubTotalLineDetail": {}})
        doc["Line"] = out
        check_tracking(doc, items, books)
        tax = apply_tax(doc, books, items, discount)
        total = subtotal - discount + tax
        if total < 0:
            raise errors.business_rule("the transaction total cannot be negative")
        doc["TotalAmt"] = total
        self.set_home_total(doc, books)
        doc.setdefault("ApplyTaxAfterDiscount", False)
        return doc

    def income_postings(self, doc: JsonDict, books: Books) -> list[Leg]:
        """The credit side of a sale (income, tax; a discount as a debit), sign: credit < 0."""
        legs: list[Leg] = []
        for line in doc["Line"]:
            value = stored(line.get("Amount"))
            if line.get("DetailType") == "SalesItemLineDetail":
                item = books.get("Item", str(line["SalesItemLineDetail"]["ItemRef"]["value"]))
                income = ref_value(item or {}, "IncomeAccountRef")
                if income is None:
                    raise errors.invalid_reference("ItemRef", "income account")
                legs.append(self.leg(doc, books, income, -value))
            elif line.get("DetailType") == "DiscountLineDetail":
                account = str(line["DiscountLineDetail"]["DiscountAccountRef"]["value"])
                legs.append(self.leg(doc, books, account, value))
        for account, tax in tax_postings(doc, books):
            legs.append(self.leg(doc, books, account, -tax))
        return legs

    @staticmethod
    def zeroed(doc: JsonDict) -> JsonDict:
        """The document as QBO keeps it after a void: lines and totals at zero, memo marked."""
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
        for home_field in ("HomeTotalAmt", "HomeBalance"):
            if home_field in voided:
                voided[home_field] = ZERO
        voided.pop("TxnTaxDetail", None)
        voided["PrivateNote"] = voided_note(doc)
        return voided


def _sales_line(line: JsonDict, books: Books, code: str) -> Decimal:
    if "Amount" not in line:
        raise errors.required_missing("Line.Amount")
    amount = money(line["Amount"], "Line.Amount", code)
    detail = dict(line.get("SalesItemLineDetail") or {})
    item_id = books.require_ref(detail, "ItemRef", "Item")
    income = ref_value(books.get("Item", item_id) or {}, "IncomeAccountRef")
    if income is not None:
        books.check_account(income, code, "ItemRef")
    qty = None
    if detail.get("Qty") is not None:
        qty = currency.fine(number(detail["Qty"], "Qty"), "Qty")
    price = (
        currency.fine(number(detail["UnitPrice"], "UnitPrice"), "UnitPrice")
        if "UnitPrice" in detail
        else None
    )
    if qty is not None and price is not None:
        if abs(qty * price - amount) > currency.quantum(code) / 2:
            raise errors.amount_mismatch(str(amount))
    elif qty is not None and qty != 0:
        detail["UnitPrice"] = (amount / qty).quantize(currency.RATE_FIELD_PLACES).normalize()
    line["Amount"] = amount
    line["SalesItemLineDetail"] = detail
    return amount


def _discount_line(line: JsonDict, books: Books, code: str, subtotal: Decimal) -> Decimal:
    """A fixed discount (PercentBased false, Amount) or a percentage of the subtotal."""
    detail = dict(line.get("DiscountLineDetail") or {})
    if detail.get("PercentBased") is True:
        percent = number(detail.get("DiscountPercent", 0), "DiscountPercent")
        amount = currency.amount(
            (subtotal * percent / 100).quantize(currency.quantum(code), rounding=ROUND_HALF_UP),
            "Line.Amount",
            code,
        )
    else:
        amount = money(line.get("Amount", 0), "Line.Amount", code)
        detail.setdefault("PercentBased", False)
    if amount < 0:
        raise errors.business_rule("a discount cannot be negative")
    if ref_value(detail, "DiscountAccountRef") is None:
        detail["DiscountAccountRef"] = {"value": books.account_by_subtype("DiscountsRefundsGiven")}
    account = books.require_ref(detail, "DiscountAccountRef", "Account")
    books.check_account(account, code, "DiscountAccountRef")
    line["DiscountLineDetail"] = detail
    line["Amount"] = amount
    return amount
