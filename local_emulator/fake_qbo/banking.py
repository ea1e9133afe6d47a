"""Money movements: Deposit (from Undeposited Funds), JournalEntry, Purchase and Transfer."""

from __future__ import annotations

from decimal import Decimal

from local_emulator.fake_qbo import errors
from local_emulator.fake_qbo.books import Books, JsonDict, money, ref_value
from local_emulator.fake_qbo.transactions import TransactionRule

DEPOSITABLE = ("Payment", "SalesReceipt")


def _lines(doc: JsonDict) -> list[JsonDict]:
    lines = doc.get("Line")
    if not isinstance(lines, list) or not lines:
        raise errors.required_missing("Line")
    out = [dict(line) for line in lines]
    for line in out:
        if line.get("Amount") is None:
            raise errors.required_missing("Line.Amount")
        line["Amount"] = money(line["Amount"], "Line.Amount")
    return out


def _deposit_links(doc: JsonDict) -> list[tuple[str, str, Decimal]]:
    return [
        (str(link["TxnType"]), str(link["TxnId"]), money(line["Amount"], "Amount"))
        for line in doc.get("Line") or []
        for link in line.get("LinkedTxn") or []
    ]


class DepositRule(TransactionRule):
    """Debits the bank; credits Undeposited Funds for linked payments and each line's account
    for other lines (negative lines, such as fees, debit it). TotalAmt = lines - CashBack."""

    entity = "Deposit"

    def prepare(self, doc: JsonDict, books: Books, old: JsonDict | None) -> JsonDict:
        doc = super().prepare(doc, books, old)
        books.require_ref(doc, "DepositToAccountRef", "Account")
        own_id = str(old["Id"]) if old else None
        lines = _lines(doc)
        for index, line in enumerate(lines, start=1):
            line["Id"], line["LineNum"] = str(index), index
            links = line.get("LinkedTxn") or []
            if not links:
                detail = dict(line.get("DepositLineDetail") or {})
                books.require_ref(detail, "AccountRef", "Account")
                line["DetailType"], line["DepositLineDetail"] = "DepositLineDetail", detail
                continue
            if len(links) != 1:
                raise errors.business_rule("a deposit line links exactly one transaction")
            self._check_link(links[0], line["Amount"], books, own_id)
        doc["Line"] = lines
        total = sum((line["Amount"] for line in lines), Decimal(0))
        cash_back = doc.get("CashBack")
        if cash_back:
            cash_back = dict(cash_back)
            books.require_ref(cash_back, "AccountRef", "Account")
            cash_back["Amount"] = money(cash_back.get("Amount", 0), "CashBack.Amount")
            doc["CashBack"] = cash_back
            total -= cash_back["Amount"]
        doc["TotalAmt"] = total
        return doc

    @staticmethod
    def _check_link(link: JsonDict, amount: Decimal, books: Books, own_id: str | None) -> None:
        txn_type, txn_id = str(link.get("TxnType")), str(link.get("TxnId"))
        if txn_type not in DEPOSITABLE:
            raise errors.unsupported(f"a deposit cannot link a {txn_type}")
        target = books.get(txn_type, txn_id)
        if target is None:
            raise errors.invalid_reference("LinkedTxn", txn_id)
        if ref_value(target, "DepositToAccountRef") != books.account_by_subtype("UndepositedFunds"):
            raise errors.business_rule(f"{txn_type} {txn_id} is not in Undeposited Funds")
        if books.deposited.get((txn_type, txn_id)) not in (None, own_id):
            raise errors.business_rule(f"{txn_type} {txn_id} is already deposited")
        if amount != money(target["TotalAmt"], "TotalAmt"):
            raise errors.business_rule(f"the amount deposited differs from {txn_type} {txn_id}")

    def apply(self, doc: JsonDict, books: Books) -> None:
        deposit_id = str(doc["Id"])
        postings = [(str(doc["DepositToAccountRef"]["value"]), money(doc["TotalAmt"], "Total"))]
        for line in doc["Line"]:
            if line.get("LinkedTxn"):
                continue
            account = str(line["DepositLineDetail"]["AccountRef"]["value"])
            postings.append((account, -money(line["Amount"], "Amount")))
        for txn_type, txn_id, amount in _deposit_links(doc):
            target = books.get(txn_type, txn_id) or {}
            postings.append((str(target["DepositToAccountRef"]["value"]), -amount))
            books.deposited[(txn_type, txn_id)] = deposit_id
            target["LinkedTxn"] = [
                *[t for t in target.get("LinkedTxn", []) if t.get("TxnType") != "Deposit"],
                {"TxnId": deposit_id, "TxnType": "Deposit"},
            ]
        if doc.get("CashBack"):
            cash_back = doc["CashBack"]
            postings.append((str(cash_back["AccountRef"]["value"]), cash_back["Amount"]))
        books.post((self.entity, deposit_id), postings)

    def unapply(self, doc: JsonDict, books: Books) -> None:
        super().unapply(doc, books)
        for txn_type, txn_id, _ in _deposit_links(doc):
            books.deposited.pop((txn_type, txn_id), None)
            target = books.get(txn_type, txn_id)
            if target is not None:
                target["LinkedTxn"] = [
                    t for t in target.get("LinkedTxn", []) if t.get("TxnType") != "Deposit"
                ]


class JournalEntryRule(TransactionRule):
    """Lines post to their accounts as Debit or Credit; debits must equal credits."""

    entity = "JournalEntry"

    def prepare(self, doc: JsonDict, books: Books, old: JsonDict | None) -> JsonDict:
        doc = super().prepare(doc, books, old)
        lines = _lines(doc)
        balance = {"Debit": Decimal(0), "Credit": Decimal(0)}
        for index, line in enumerate(lines):
            line["Id"] = str(index)
            line["DetailType"] = "JournalEntryLineDetail"
            detail = dict(line.get("JournalEntryLineDetail") or {})
            side = detail.get("PostingType")
            if side not in balance:
                raise errors.required_missing("JournalEntryLineDetail.PostingType")
            books.require_ref(detail, "AccountRef", "Account")
            line["JournalEntryLineDetail"] = detail
            balance[str(side)] += line["Amount"]
        if balance["Debit"] != balance["Credit"]:
            raise errors.business_rule(
                "Transaction must be balanced: the debits and credits are not equal"
            )
        doc["Line"] = lines
        doc["TotalAmt"] = balance["Debit"]
        doc.setdefault("Adjustment", False)
        return doc

    def apply(self, doc: JsonDict, books: Books) -> None:
        postings = []
        for line in doc["Line"]:
            detail = line["JournalEntryLineDetail"]
            amount = money(line["Amount"], "Amount")
            sign = 1 if detail["PostingType"] == "Debit" else -1
            postings.append((str(detail["AccountRef"]["value"]), sign * amount))
        books.post((self.entity, str(doc["Id"])), postings)


class PurchaseRule(TransactionRule):
    """An expense paid from AccountRef (bank or card): debits each line's expense account."""

    entity = "Purchase"

    def prepare(self, doc: JsonDict, books: Books, old: JsonDict | None) -> JsonDict:
        doc = super().prepare(doc, books, old)
        if doc.get("PaymentType") not in ("Cash", "Check", "CreditCard"):
            raise errors.required_missing("PaymentType")
        books.require_ref(doc, "AccountRef", "Account")
        lines = _lines(doc)
        for index, line in enumerate(lines, start=1):
            line["Id"], line["LineNum"] = str(index), index
            if line.get("DetailType") != "AccountBasedExpenseLineDetail":
                raise errors.unsupported("the fake books account-based expense lines only")
            detail = dict(line.get("AccountBasedExpenseLineDetail") or {})
            books.require_ref(detail, "AccountRef", "Account")
            line["AccountBasedExpenseLineDetail"] = detail
        doc["Line"] = lines
        doc["TotalAmt"] = sum((line["Amount"] for line in lines), Decimal(0))
        doc.setdefault("Credit", False)
        return doc

    def apply(self, doc: JsonDict, books: Books) -> None:
        sign = -1 if doc.get("Credit") is True else 1  # a card credit reverses the purchase
        total = money(doc["TotalAmt"], "TotalAmt")
        postings = [(str(doc["AccountRef"]["value"]), -sign * total)]
        for line in doc["Line"]:
            account = str(line["AccountBasedExpenseLineDetail"]["AccountRef"]["value"])
            postings.append((account, sign * money(line["Amount"], "Amount")))
        books.post((self.entity, str(doc["Id"])), postings)


class TransferRule(TransactionRule):
    """Moves Amount from FromAccountRef to ToAccountRef."""

    entity = "Transfer"

    def prepare(self, doc: JsonDict, books: Books, old: JsonDict | None) -> JsonDict:
        doc = super().prepare(doc, books, old)
        source = books.require_ref(doc, "FromAccountRef", "Account")
        target = books.require_ref(doc, "ToAccountRef", "Account")
        if source == target:
            raise errors.business_rule("a transfer needs two different accounts")
        if doc.get("Amount") is None:
            raise errors.required_missing("Amount")
        doc["Amount"] = money(doc["Amount"], "Amount")
        return doc

    def apply(self, doc: JsonDict, books: Books) -> None:
        amount = money(doc["Amount"], "Amount")
        books.post(
            (self.entity, str(doc["Id"])),
            [(str(doc["ToAccountRef"]["value"]), amount),
             (str(doc["FromAccountRef"]["value"]), -amount)],
        )  # fmt: skip
