"""Money movements: Deposit (from Undeposited Funds), JournalEntry, Purchase and Transfer."""

from __future__ import annotations

from decimal import Decimal

from local_emulator.fakes.qbo import errors
from local_emulator.fakes.qbo.books import Books, JsonDict, Leg, ref_value, stored
from local_emulator.fakes.qbo.transactions import TransactionRule, txn_currency

DEPOSITABLE = ("Payment", "SalesReceipt")


def _lines(rule: TransactionRule, doc: JsonDict) -> list[JsonDict]:
    lines = doc.get("Line")
    if not isinstance(lines, list) or not lines:
        raise errors.required_missing("Line")
    out = [dict(line) for line in lines]
    for line in out:
        if line.get("Amount") is None:
            raise errors.required_missing("Line.Amount")
        line["Amount"] = rule.amount(doc, line["Amount"], "Line.Amount")
    return out


def _deposit_links(doc: JsonDict) -> list[tuple[str, str, Decimal]]:
    return [
        (str(link["TxnType"]), str(link["TxnId"]), stored(line["Amount"]))
        for line in doc.get("Line") or []
        for link in line.get("LinkedTxn") or []
    ]


class DepositRule(TransactionRule):
    """Debits the bank; credits Undeposited Funds for linked payments and each line's account
    for other lines (negative lines, such as fees, debit it). TotalAmt = lines - CashBack.
    The deposit is in its bank account's currency; so are the payments it links."""

    entity = "Deposit"
    money_account = "DepositToAccountRef"

    def prepare(self, doc: JsonDict, books: Books, old: JsonDict | None) -> JsonDict:
        doc = super().prepare(doc, books, old)
        self.check_money_account(doc, books)
        own_id = str(old["Id"]) if old else None
        lines = _lines(self, doc)
        for index, line in enumerate(lines, start=1):
            line["Id"], line["LineNum"] = str(index), index
            links = line.get("LinkedTxn") or []
            if not links:
                detail = dict(line.get("DepositLineDetail") or {})
                account = books.require_ref(detail, "AccountRef", "Account")
                books.check_account(account, txn_currency(doc), "AccountRef")
                line["DetailType"], line["DepositLineDetail"] = "DepositLineDetail", detail
                continue
            if len(links) != 1:
                raise errors.business_rule("a deposit line links exactly one transaction")
            self._check_link(doc, links[0], line["Amount"], books, own_id)
        doc["Line"] = lines
        total = sum((line["Amount"] for line in lines), Decimal(0))
        cash_back = doc.get("CashBack")
        if cash_back:
            cash_back = dict(cash_back)
            account = books.require_ref(cash_back, "AccountRef", "Account")
            books.check_account(account, txn_currency(doc), "CashBack.AccountRef")
            cash_back["Amount"] = self.amount(doc, cash_back.get("Amount", 0), "CashBack.Amount")
            doc["CashBack"] = cash_back
            total -= cash_back["Amount"]
        doc["TotalAmt"] = total
        self.set_home_total(doc, books)
        return doc

    @staticmethod
    def _check_link(
        doc: JsonDict, link: JsonDict, amount: Decimal, books: Books, own_id: str | None
    ) -> None:
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
        if txn_currency(target) != txn_currency(doc):
            raise errors.currency_mismatch(
                f"{txn_type} {txn_id} is in {txn_currency(target)}, the deposit in "
                f"{txn_currency(doc)}; you can only use one foreign currency per transaction",
                "LinkedTxn",
            )
        if amount != stored(target["TotalAmt"]):
            raise errors.business_rule(f"the amount deposited differs from {txn_type} {txn_id}")

    def apply(self, doc: JsonDict, books: Books) -> None:
        deposit_id = str(doc["Id"])
        bank = str(doc["DepositToAccountRef"]["value"])
        legs = [self.leg(doc, books, bank, stored(doc["TotalAmt"]))]
        for line in doc["Line"]:
            if line.get("LinkedTxn"):
                continue
            account = str(line["DepositLineDetail"]["AccountRef"]["value"])
            legs.append(self.leg(doc, books, account, -stored(line["Amount"])))
        for txn_type, txn_id, amount in _deposit_links(doc):
            target = books.get(txn_type, txn_id) or {}
            # Undeposited Funds gives back exactly the home value the payment put there.
            home = stored(target.get("HomeTotalAmt", amount))
            legs.append(Leg(str(target["DepositToAccountRef"]["value"]), -home, -home))
            books.deposited[(txn_type, txn_id)] = deposit_id
            target["LinkedTxn"] = [
                *[t for t in target.get("LinkedTxn", []) if t.get("TxnType") != "Deposit"],
                {"TxnId": deposit_id, "TxnType": "Deposit"},
            ]
        if doc.get("CashBack"):
            cash_back = doc["CashBack"]
            account = str(cash_back["AccountRef"]["value"])
            legs.append(self.leg(doc, books, account, stored(cash_back["Amount"])))
        books.post((self.entity, deposit_id), legs, settles=True)

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
    """Lines post to their accounts as Debit or Credit; debits must equal credits (in the
    entry's currency). A foreign entry carries CurrencyRef and ExchangeRate; its lines may use
    accounts of that currency or of the home currency."""

    entity = "JournalEntry"

    def prepare(self, doc: JsonDict, books: Books, old: JsonDict | None) -> JsonDict:
        doc = super().prepare(doc, books, old)
        lines = _lines(self, doc)
        balance = {"Debit": Decimal(0), "Credit": Decimal(0)}
        for index, line in enumerate(lines):
            line["Id"] = str(index)
            line["DetailType"] = "JournalEntryLineDetail"
            detail = dict(line.get("JournalEntryLineDetail") or {})
            side = detail.get("PostingType")
            if side not in balance:
                raise errors.required_missing("JournalEntryLineDetail.PostingType")
            account = books.require_ref(detail, "AccountRef", "Account")
            books.check_account(account, txn_currency(doc), "AccountRef")
            line["JournalEntryLineDetail"] = detail
            balance[str(side)] += line["Amount"]
        if balance["Debit"] != balance["Credit"]:
            raise errors.business_rule(
                "Transaction must be balanced: the debits and credits are not equal"
            )
        doc["Line"] = lines
        doc["TotalAmt"] = balance["Debit"]
        self.set_home_total(doc, books)
        doc.setdefault("Adjustment", False)
        return doc

    def apply(self, doc: JsonDict, books: Books) -> None:
        legs = []
        for line in doc["Line"]:
            detail = line["JournalEntryLineDetail"]
            sign = 1 if detail["PostingType"] == "Debit" else -1
            account = str(detail["AccountRef"]["value"])
            legs.append(self.leg(doc, books, account, sign * stored(line["Amount"])))
        books.post((self.entity, str(doc["Id"])), legs)


class PurchaseRule(TransactionRule):
    """An expense paid from AccountRef (bank or card): debits each line's expense account."""

    entity = "Purchase"
    money_account = "AccountRef"

    def prepare(self, doc: JsonDict, books: Books, old: JsonDict | None) -> JsonDict:
        doc = super().prepare(doc, books, old)
        if doc.get("PaymentType") not in ("Cash", "Check", "CreditCard"):
            raise errors.required_missing("PaymentType")
        self.check_money_account(doc, books)
        lines = _lines(self, doc)
        for index, line in enumerate(lines, start=1):
            line["Id"], line["LineNum"] = str(index), index
            if line.get("DetailType") != "AccountBasedExpenseLineDetail":
                raise errors.unsupported("the fake books account-based expense lines only")
            detail = dict(line.get("AccountBasedExpenseLineDetail") or {})
            account = books.require_ref(detail, "AccountRef", "Account")
            books.check_account(account, txn_currency(doc), "AccountRef")
            line["AccountBasedExpenseLineDetail"] = detail
        doc["Line"] = lines
        doc["TotalAmt"] = sum((line["Amount"] for line in lines), Decimal(0))
        self.set_home_total(doc, books)
        doc.setdefault("Credit", False)
        return doc

    def apply(self, doc: JsonDict, books: Books) -> None:
        sign = -1 if doc.get("Credit") is True else 1  # a card credit reverses the purchase
        total = stored(doc["TotalAmt"])
        legs = [self.leg(doc, books, str(doc["AccountRef"]["value"]), -sign * total)]
        for line in doc["Line"]:
            account = str(line["AccountBasedExpenseLineDetail"]["AccountRef"]["value"])
            legs.append(self.leg(doc, books, account, sign * stored(line["Amount"])))
        books.post((self.entity, str(doc["Id"])), legs)


class TransferRule(TransactionRule):
    """Moves Amount from FromAccountRef to ToAccountRef (both in the transfer's currency)."""

    entity = "Transfer"
    money_account = "FromAccountRef"

    def prepare(self, doc: JsonDict, books: Books, old: JsonDict | None) -> JsonDict:
        doc = super().prepare(doc, books, old)
        source = self.check_money_account(doc, books)
        target = books.require_ref(doc, "ToAccountRef", "Account")
        books.check_account(target, txn_currency(doc), "ToAccountRef", money=True)
        if source == target:
            raise errors.business_rule("a transfer needs two different accounts")
        if doc.get("Amount") is None:
            raise errors.required_missing("Amount")
        doc["Amount"] = self.amount(doc, doc["Amount"], "Amount")
        return doc

    def apply(self, doc: JsonDict, books: Books) -> None:
        amount = stored(doc["Amount"])
        legs = [
            self.leg(doc, books, str(doc["ToAccountRef"]["value"]), amount),
            self.leg(doc, books, str(doc["FromAccountRef"]["value"]), -amount),
        ]
        books.post((self.entity, str(doc["Id"])), legs)
