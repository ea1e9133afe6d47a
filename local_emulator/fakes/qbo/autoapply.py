"""QBO's "Automatically apply credits" (``Preferences.SalesFormsPrefs.AutoApplyCredit``).

When it is on, QBO applies a customer's open credits by itself: a new credit memo goes to the
customer's oldest open invoices, and a new invoice takes the customer's open credit memos, each
application a zero payment QBO creates (Account and Settings > Advanced > Automation; "credits
can be automatically applied to the oldest open invoice", begincodingnow.com; a migration
vendor switches it off before importing so QBO does not change imported data, relokia.com).
New companies have it on. Unapplied payments are applied the same way in QBO; the sync never
leaves one, so the fake does not model that part.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from local_emulator.fakes.qbo.books import Books, JsonDict, ref_value, stored
from local_emulator.fakes.qbo.transactions import txn_currency

CreateHook = Callable[[str, JsonDict], JsonDict]


def _open(books: Books, entity: str, field: str, customer: str, currency: str) -> list[JsonDict]:
    docs = [
        d
        for d in books.all(entity)
        if ref_value(d, "CustomerRef") == customer
        and txn_currency(d) == currency
        and stored(d.get(field)) > 0
    ]
    return sorted(docs, key=lambda d: (str(d.get("TxnDate")), int(d["Id"])))


def _apply(create: CreateHook, invoice: JsonDict, memo: JsonDict, amount: Decimal) -> None:
    """QBO's own zero payment: no memo of ours, no deposit account."""
    body = {
        "CustomerRef": {"value": ref_value(invoice, "CustomerRef")},
        "CurrencyRef": {"value": txn_currency(invoice)},
        "TxnDate": max(str(invoice["TxnDate"]), str(memo["TxnDate"])),
        "TotalAmt": Decimal(0),
        "Line": [
            {"Amount": amount, "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]},
            {"Amount": amount, "LinkedTxn": [{"TxnId": memo["Id"], "TxnType": "CreditMemo"}]},
        ],
    }
    if "ExchangeRate" in invoice:
        body["ExchangeRate"] = invoice["ExchangeRate"]
    create("Payment", body)


def auto_apply(books: Books, entity: str, doc: JsonDict, create: CreateHook) -> None:
    """After ``doc`` (an Invoice or a CreditMemo) was created: apply credits as QBO would."""
    if not books.auto_apply_credit or entity not in ("Invoice", "CreditMemo"):
        return
    customer, currency = ref_value(doc, "CustomerRef"), txn_currency(doc)
    if customer is None:
        return
    if entity == "CreditMemo":
        pairs = [(inv, doc) for inv in _open(books, "Invoice", "Balance", customer, currency)]
    else:
        memos = _open(books, "CreditMemo", "RemainingCredit", customer, currency)
        pairs = [(doc, memo) for memo in memos]
    for invoice, memo in pairs:  # the stored documents: each application updates them
        amount = min(stored(invoice.get("Balance")), stored(memo.get("RemainingCredit")))
        if amount > 0:
            _apply(create, invoice, memo, amount)
