"""The company file: entities by type, a double-entry ledger, and payment applications."""

from __future__ import annotations

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from local_emulator.fake_qbo import errors
from shared.ports import Clock

JsonDict = dict[str, Any]
CENT = Decimal("0.01")

# AccountType -> Classification, as QBO derives it.
CLASSIFICATION = {
    "Bank": "Asset",
    "Accounts Receivable": "Asset",
    "Other Current Asset": "Asset",
    "Fixed Asset": "Asset",
    "Other Asset": "Asset",
    "Accounts Payable": "Liability",
    "Credit Card": "Liability",
    "Other Current Liability": "Liability",
    "Long Term Liability": "Liability",
    "Equity": "Equity",
    "Income": "Revenue",
    "Other Income": "Revenue",
    "Expense": "Expense",
    "Other Expense": "Expense",
    "Cost of Goods Sold": "Expense",
}
DEBIT_NORMAL = frozenset({"Asset", "Expense"})
INDEXED = ("DocNumber", "DisplayName", "Name")


def money(value: Any, field: str) -> Decimal:
    """A QBO amount (number or numeric string) as a Decimal rounded to cents."""
    return number(value, field).quantize(CENT, rounding=ROUND_HALF_UP)


def number(value: Any, field: str) -> Decimal:
    if isinstance(value, bool) or value is None or isinstance(value, float):
        raise errors.invalid_number(field)
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        raise errors.invalid_number(field) from None
    if not result.is_finite():
        raise errors.invalid_number(field)
    return result


def ref_value(doc: JsonDict, field: str) -> str | None:
    ref = doc.get(field)
    if isinstance(ref, dict) and ref.get("value") not in (None, ""):
        return str(ref["value"])
    return None


class Books:
    """All state of one realm; callers hold the engine lock while using it."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.entities: dict[str, dict[str, JsonDict]] = defaultdict(dict)
        self._next_id: dict[str, int] = defaultdict(lambda: 1)
        self._postings: dict[tuple[str, str], list[tuple[str, Decimal]]] = {}
        self.debits: dict[str, Decimal] = defaultdict(Decimal)  # debit-positive per account
        # invoice id -> {payment id -> amount applied}
        self.applications: dict[str, dict[str, Decimal]] = defaultdict(dict)
        # credit memo id -> {payment id -> credit used}
        self.credit_applications: dict[str, dict[str, Decimal]] = defaultdict(dict)
        # (entity, id) of a payment or sales receipt -> the deposit that took it out of
        # Undeposited Funds (such a transaction is locked: 6540)
        self.deposited: dict[tuple[str, str], str] = {}
        self.next_doc_number = 1001
        self.files: dict[str, bytes] = {}  # Attachable id -> uploaded content
        # Indexes, so that a company with many thousands of entities stays fast:
        # (entity, field, lowered value) -> ids, and customer id -> its (entity, id) documents.
        self._index: dict[tuple[str, str, str], set[str]] = defaultdict(set)
        self._by_customer: dict[str, set[tuple[str, str]]] = defaultdict(set)

    # --- entities ---------------------------------------------------------------------------

    def new_id(self, entity: str) -> str:
        value = self._next_id[entity]
        self._next_id[entity] = value + 1
        return str(value)

    def get(self, entity: str, entity_id: str) -> JsonDict | None:
        return self.entities[entity].get(entity_id)

    def all(self, entity: str) -> list[JsonDict]:
        return list(self.entities[entity].values())

    def put(self, entity: str, doc: JsonDict) -> None:
        entity_id = str(doc["Id"])
        self._unindex(entity, self.entities[entity].get(entity_id))
        self.entities[entity][entity_id] = doc
        for field in INDEXED:
            value = doc.get(field)
            if isinstance(value, str):
                self._index[(entity, field, value.lower())].add(entity_id)
        customer = ref_value(doc, "CustomerRef")
        if customer is not None:
            self._by_customer[customer].add((entity, entity_id))

    def remove(self, entity: str, entity_id: str) -> None:
        self._unindex(entity, self.entities[entity].pop(entity_id, None))

    def _unindex(self, entity: str, doc: JsonDict | None) -> None:
        if doc is None:
            return
        entity_id = str(doc["Id"])
        for field in INDEXED:
            value = doc.get(field)
            if isinstance(value, str):
                self._index[(entity, field, value.lower())].discard(entity_id)
        customer = ref_value(doc, "CustomerRef")
        if customer is not None:
            self._by_customer[customer].discard((entity, entity_id))

    def lookup(self, entity: str, field: str, value: str) -> list[JsonDict]:
        """Documents whose ``field`` equals ``value`` (case-insensitively); field in INDEXED."""
        ids = self._index.get((entity, field, value.lower()), set())
        return [self.entities[entity][i] for i in sorted(ids, key=int)]

    def now_iso(self) -> str:
        return self.clock.now().isoformat(timespec="seconds")

    def today(self) -> str:
        return self.clock.now().date().isoformat()

    def require_ref(self, doc: JsonDict, field: str, entity: str, *, required: bool = True) -> str:
        """The id in ``doc[field]``, which must name an active ``entity`` (2020 / 2500)."""
        value = ref_value(doc, field)
        if value is None:
            if required:
                raise errors.required_missing(field)
            return ""
        target = self.get(entity, value)
        if target is None or target.get("Active") is False:
            raise errors.invalid_reference(field, value)
        return value

    def touch(self, doc: JsonDict) -> None:
        meta = doc.setdefault("MetaData", {})
        meta["LastUpdatedTime"] = self.now_iso()

    # --- accounts and ledger ----------------------------------------------------------------

    def account_by_subtype(self, subtype: str) -> str:
        for account in self.entities["Account"].values():
            if account.get("AccountSubType") == subtype and account.get("Active", True):
                return str(account["Id"])
        raise errors.business_rule(f"no active account of subtype {subtype}")

    def post(self, key: tuple[str, str], postings: list[tuple[str, Decimal]]) -> None:
        """Replace the postings of one transaction; debits positive, credits negative."""
        self.unpost(key)
        total = sum((amount for _, amount in postings), Decimal(0))
        if total != 0:
            raise AssertionError(f"unbalanced postings for {key}: {total}")
        kept = [(account, amount) for account, amount in postings if amount != 0]
        self._postings[key] = kept
        for account, amount in kept:
            self.debits[account] += amount
        self._refresh_accounts({a for a, _ in kept})

    def unpost(self, key: tuple[str, str]) -> None:
        old = self._postings.pop(key, [])
        for account, amount in old:
            self.debits[account] -= amount
        self._refresh_accounts({a for a, _ in old})

    def _refresh_accounts(self, account_ids: set[str]) -> None:
        for account_id in account_ids:
            account = self.get("Account", account_id)
            if account is None:
                continue
            balance = self.debits[account_id]
            if account.get("Classification") not in DEBIT_NORMAL:
                balance = -balance
            account["CurrentBalance"] = balance
            account["CurrentBalanceWithSubAccounts"] = balance
            self.touch(account)

    def trial_balance(self) -> Decimal:
        """Sum of all debits minus credits: always zero in a consistent ledger."""
        return sum(self.debits.values(), Decimal(0))

    # --- receivables ------------------------------------------------------------------------

    def applied_total(self, invoice_id: str) -> Decimal:
        return sum(self.applications.get(invoice_id, {}).values(), Decimal(0))

    def credit_applied_total(self, credit_memo_id: str) -> Decimal:
        return sum(self.credit_applications.get(credit_memo_id, {}).values(), Decimal(0))

    def refresh_customer(self, customer_id: str) -> None:
        customer = self.get("Customer", customer_id)
        if customer is None:
            return
        balance = Decimal(0)
        for entity, entity_id in self._by_customer.get(customer_id, set()):
            doc = self.entities[entity][entity_id]
            if entity == "Invoice":
                balance += money(doc.get("Balance", 0), "Balance")
            elif entity == "Payment":
                balance -= money(doc.get("UnappliedAmt", 0), "UnappliedAmt")
            elif entity == "CreditMemo":
                balance -= money(doc.get("RemainingCredit", 0), "RemainingCredit")
        customer["Balance"] = balance
        customer["BalanceWithJobs"] = balance
