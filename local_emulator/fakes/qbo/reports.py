"""Pure reports over the fake's dumped state (``FakeQbo.state_json()`` or qbo.json), for checks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

State = Mapping[str, Sequence[Mapping[str, Any]]]
# What each document adds to its customer's receivable: open invoices less unused credit.
_RECEIVABLE = (("Invoice", "Balance", 1), ("CreditMemo", "RemainingCredit", -1),
               ("Payment", "UnappliedAmt", -1))  # fmt: skip


def _decimal(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):  # qbo.json read without parse_float=Decimal
        return Decimal(repr(value))
    return Decimal(str(value if value is not None else 0))


def _ref(doc: Mapping[str, Any], field: str) -> str | None:
    ref = doc.get(field)
    return str(ref["value"]) if isinstance(ref, Mapping) and "value" in ref else None


def home_currency(state: State) -> str:
    """The home currency: the currency of the home A/R account (the first one QBO has)."""
    for account in state.get("Account", []):
        if account.get("AccountSubType") == "AccountsReceivable":
            return _ref(account, "CurrencyRef") or "USD"
    return "USD"


def ar_by_customer(state: State) -> dict[tuple[str, str], Decimal]:
    """(customer id, currency) -> open invoices less unapplied credit, in that currency.

    Every customer with a receivable document has an entry (zero when settled).
    """
    home = home_currency(state)
    result: dict[tuple[str, str], Decimal] = {}
    for entity, field, sign in _RECEIVABLE:
        for doc in state.get(entity, []):
            customer = _ref(doc, "CustomerRef")
            if customer is None:
                continue
            key = (customer, _ref(doc, "CurrencyRef") or home)
            result[key] = result.get(key, Decimal(0)) + sign * _decimal(doc.get(field))
    return result


def account_balances(state: State) -> dict[str, Decimal]:
    """Account name -> CurrentBalance, in the account's own currency (CurrencyRef)."""
    return {
        str(account["Name"]): _decimal(account.get("CurrentBalance"))
        for account in state.get("Account", [])
    }


def account_currencies(state: State) -> dict[str, str]:
    """Account name -> the currency its balance is kept in."""
    home = home_currency(state)
    return {
        str(account["Name"]): _ref(account, "CurrencyRef") or home
        for account in state.get("Account", [])
    }
