"""The company file: entities by type, a double-entry ledger, and payment applications."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from local_emulator.fakes.qbo import currency, errors
from local_emulator.fakes.qbo.company.profile import TaxSetup
from shared.ports import Clock

JsonDict = dict[str, Any]

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


@dataclass(frozen=True)
class Leg:
    """One posting: ``amount`` in the account's currency, ``home`` in the home currency."""

    account: str
    amount: Decimal
    home: Decimal

    def absorb(self, residual: Decimal, *, home_account: bool) -> Leg:
        """This leg less a rounding residual (in home units; a home account moves both)."""
        amount = self.amount - residual if home_account else self.amount
        return Leg(self.account, amount, self.home - residual)


@dataclass(frozen=True)
class Applied:
    """What one payment applies to an invoice or a credit memo, and its home-currency value."""

    amount: Decimal
    home: Decimal


def money(value: Any, field: str, in_currency: str = "USD") -> Decimal:
    """A QBO amount (number or numeric string) at the currency's precision; finer is refused."""
    return currency.amount(number(value, field), field, in_currency)


def stored(value: Any) -> Decimal:
    """An amount the fake itself stored (already validated)."""
    return value if isinstance(value, Decimal) else Decimal(str(value or 0))


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


def id_order(entity_id: object) -> tuple[int, int, str]:
    """Sort key of an entity Id: numbers by value, then the few text Ids QBO uses (TaxCode
    "TAX" and "NON" in a US company)."""
    text = str(entity_id)
    return (0, int(text), "") if text.isdigit() else (1, 0, text)


def ref_value(doc: JsonDict, field: str) -> str | None:
    ref = doc.get(field)
    if isinstance(ref, dict) and ref.get("value") not in (None, ""):
        return str(ref["value"])
    return None


class Books:
    """All state of one realm; callers hold the engine lock while using it."""

    def __init__(self, clock: Clock, home: str = "USD", *, multicurrency: bool = True) -> None:
        self.clock = clock
        self.home = currency.code(home)
        self.multicurrency = multicurrency
        self.rates = currency.RateTable(self.home)
        # Set by the engine: how the books create an account QBO would create on its own.
        self.create_hook: Callable[[str, JsonDict], JsonDict] | None = None
        self.entities: dict[str, dict[str, JsonDict]] = defaultdict(dict)
        self._next_id: dict[str, int] = defaultdict(lambda: 1)
        self._deleted: dict[str, dict[str, JsonDict]] = defaultdict(dict)
        self._postings: dict[tuple[str, str], list[Leg]] = {}
        # Debit-positive per account: in the account's own currency, and in the home currency.
        self.debits: dict[str, Decimal] = defaultdict(Decimal)
        self.home_debits: dict[str, Decimal] = defaultdict(Decimal)
        # invoice id -> {payment id -> applied}
        self.applications: dict[str, dict[str, Applied]] = defaultdict(dict)
        # credit memo id -> {payment id -> credit used}
        self.credit_applications: dict[str, dict[str, Applied]] = defaultdict(dict)
        # (entity, id) of a payment or sales receipt -> the deposit that took it out of
        # Undeposited Funds (such a transaction is locked: 6540)
        self.deposited: dict[tuple[str, str], str] = {}
        self.next_doc_number = 1001
        # Undocumented real behaviour, both ways proven: may a credit memo be updated to a zero
        # total (what QBO's own void leaves)? Tests set True to prove the sync's fallback.
        self.refuse_zero_credit_memos = False
        self.allow_duplicate_doc_number = False  # include=allowduplicatedocnum, for one create
        # Does QBO refuse an amount finer than it keeps, or round it? Undocumented: False
        # refuses (stricter), True rounds; the sync sends neither, and tests prove both.
        self.round_amounts = False
        # The company's sales tax (set from its profile by the engine), and whether it lets
        # apps override automated sales tax (AllowPartnerTaxOverride: a company setting the API
        # cannot read; on by default, tests turn it off to prove the sync notices).
        self.tax = TaxSetup()
        self.partner_tax_override = True
        self.files: dict[str, bytes] = {}  # Attachable id -> uploaded content
        # Indexes, so that a company with many thousands of entities stays fast:
        # (entity, field, lowered value) -> ids, and customer id -> its (entity, id) documents.
        self._index: dict[tuple[str, str, str], set[str]] = defaultdict(set)
        self._by_customer: dict[str, set[tuple[str, str]]] = defaultdict(set)

    # --- company settings -------------------------------------------------------------------

    @property
    def auto_apply_credit(self) -> bool:
        """``Preferences.SalesFormsPrefs.AutoApplyCredit`` (``autoapply``): the company's."""
        prefs = self.get("Preferences", "1") or {}
        return (prefs.get("SalesFormsPrefs") or {}).get("AutoApplyCredit") is True

    @auto_apply_credit.setter
    def auto_apply_credit(self, on: bool) -> None:
        prefs = self.get("Preferences", "1")
        if prefs is None:
            raise ValueError("the company has no Preferences to set")
        prefs.setdefault("SalesFormsPrefs", {})["AutoApplyCredit"] = on

    def preference(self, section: str, name: str) -> object:
        """``Preferences.<section>.<name>`` as the company has it now (None when unset)."""
        prefs = self.get("Preferences", "1") or {}
        return (prefs.get(section) or {}).get(name)

    def using_sales_tax(self) -> bool:
        return self.preference("TaxPrefs", "UsingSalesTax") is True

    # --- entities ---------------------------------------------------------------------------

    def new_id(self, entity: str) -> str:
        value = self._next_id[entity]
        self._next_id[entity] = value + 1
        return str(value)

    def claim_id(self, entity: str, entity_id: str) -> None:
        """A document stored with an Id of its own: new Ids continue after a numeric one."""
        if entity_id.isdigit():
            self._next_id[entity] = max(self._next_id[entity], int(entity_id) + 1)

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
        meta = {"LastUpdatedTime": self.now_iso()}
        self._deleted[entity][entity_id] = {
            "status": "Deleted", "domain": "QBO", "Id": entity_id, "MetaData": meta
        }  # fmt: skip

    def deleted(self, entity: str) -> list[JsonDict]:
        """What was deleted, as change data capture reports it."""
        return [self._deleted[entity][i] for i in sorted(self._deleted[entity], key=id_order)]

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
        return [self.entities[entity][i] for i in sorted(ids, key=id_order)]

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

    def bump(self, doc: JsonDict) -> None:
        """QBO itself changed ``doc`` (a payment applied to it, or undone): a new version.

        Applying a payment or a credit moves the invoice's and the credit memo's SyncToken and
        LastUpdatedTime. Real sandbox records (reference/qbo/examples/airbyte_sandbox): Invoice
        12, paid by Payments 61 and 120, has SyncToken 3 and the LastUpdatedTime of Payment
        120's CreateTime; CreditMemo 73, fully applied, has SyncToken 1. (Payment 98, linked by
        Deposit 121, kept SyncToken 0: a deposit does not bump what it deposits.)
        """
        doc["SyncToken"] = str(int(doc.get("SyncToken") or 0) + 1)
        self.touch(doc)

    # --- currencies ---------------------------------------------------------------------------

    def to_home(self, value: Decimal, rate: Decimal) -> Decimal:
        return (value * rate).quantize(currency.quantum(self.home), rounding=ROUND_HALF_UP)

    def account_currency(self, account_id: str) -> str:
        account = self.get("Account", account_id) or {}
        return ref_value(account, "CurrencyRef") or self.home

    def customer_currency(self, customer_id: str | None) -> str | None:
        customer = self.get("Customer", customer_id) if customer_id else None
        return (ref_value(customer, "CurrencyRef") or self.home) if customer else None

    def check_account(
        self, account_id: str, txn_currency: str, field: str, *, money: bool = False
    ) -> None:
        """An account a transaction in ``txn_currency`` may touch: its own currency or the home
        currency; a ``money`` account (where cash lands or leaves) must be in the transaction's
        currency, except Undeposited Funds, which holds every currency at home value."""
        own = self.account_currency(account_id)
        if own == txn_currency:
            return
        account = self.get("Account", account_id) or {}
        undeposited = account.get("AccountSubType") == "UndepositedFunds"
        if own != self.home or (money and not undeposited):
            raise errors.currency_mismatch(
                f"the {own} account {account_id} cannot be used in a {txn_currency} "
                "transaction; you can only use one foreign currency per transaction",
                field,
            )

    def leg(self, account_id: str, value: Decimal, txn_currency: str, rate: Decimal) -> Leg:
        """A posting of ``value`` (in the transaction's currency) to an account."""
        home = self.to_home(value, rate)
        if self.account_currency(account_id) == txn_currency:
            return Leg(account_id, value, home)
        return Leg(account_id, home, home)

    def receivable(self, txn_currency: str) -> str:
        """The A/R account of a currency; QBO creates ``Accounts Receivable (A/R) - EUR``."""
        for account in self.entities["Account"].values():
            if (
                account.get("AccountSubType") == "AccountsReceivable"
                and account.get("Active", True)
                and (ref_value(account, "CurrencyRef") or self.home) == txn_currency
            ):
                return str(account["Id"])
        name = "Accounts Receivable (A/R)"
        if txn_currency != self.home:
            name = f"{name} - {txn_currency}"
        return self._create_account(name, "Accounts Receivable", "AccountsReceivable", txn_currency)

    def exchange_account(self) -> str:
        """Realised exchange gains and losses (QBO keeps one such account per company)."""
        for account in self.entities["Account"].values():
            if account.get("AccountSubType") == "ExchangeGainOrLoss":
                return str(account["Id"])
        return self._create_account(
            "Exchange Gain or Loss", "Other Expense", "ExchangeGainOrLoss", self.home
        )

    def _create_account(self, name: str, kind: str, subtype: str, txn_currency: str) -> str:
        if self.create_hook is None:
            raise errors.business_rule(f"no {name} account")
        body = {
            "Name": name,
            "AccountType": kind,
            "AccountSubType": subtype,
            "CurrencyRef": currency.ref(txn_currency),
        }
        return str(self.create_hook("Account", body)["Id"])

    # --- accounts and ledger ----------------------------------------------------------------

    def account_by_subtype(self, subtype: str) -> str:
        for account in self.entities["Account"].values():
            if (
                account.get("AccountSubType") == subtype
                and account.get("Active", True)
                and (ref_value(account, "CurrencyRef") or self.home) == self.home
            ):
                return str(account["Id"])
        raise errors.business_rule(f"no active account of subtype {subtype}")

    def has_postings(self, account_id: str) -> bool:
        return any(leg.account == account_id for legs in self._postings.values() for leg in legs)

    def post(self, key: tuple[str, str], legs: list[Leg], *, settles: bool = False) -> None:
        """Replace the postings of one transaction; debits positive, credits negative.

        The legs balance in the home currency. When a foreign transaction ``settles`` others
        (a payment, a deposit), the difference in home value between its rate and theirs is a
        realised exchange gain or loss; otherwise what rounding to the home currency leaves
        over goes to the largest leg after the first (an invoice keeps its HomeTotalAmt).
        """
        self.unpost(key)
        legs = list(legs)
        residual = sum((leg.home for leg in legs), Decimal(0))
        if residual and settles:
            legs.append(Leg(self.exchange_account(), -residual, -residual))
        elif residual:
            if abs(residual) > currency.quantum(self.home) * len(legs) or len(legs) < 2:
                raise AssertionError(f"unbalanced postings for {key}: {residual}")
            index = max(range(1, len(legs)), key=lambda i: abs(legs[i].home))
            legs[index] = legs[index].absorb(
                residual, home_account=self.account_currency(legs[index].account) == self.home
            )
        kept = [leg for leg in legs if leg.amount or leg.home]
        self._postings[key] = kept
        for leg in kept:
            self.debits[leg.account] += leg.amount
            self.home_debits[leg.account] += leg.home
        self._refresh_accounts({leg.account for leg in kept})

    def postings(self, key: tuple[str, str]) -> list[Leg]:
        return list(self._postings.get(key, []))

    def unpost(self, key: tuple[str, str]) -> None:
        old = self._postings.pop(key, [])
        for leg in old:
            self.debits[leg.account] -= leg.amount
            self.home_debits[leg.account] -= leg.home
        self._refresh_accounts({leg.account for leg in old})

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

    def home_balance(self, account_id: str) -> Decimal:
        """The account's balance in the home currency, signed like CurrentBalance."""
        account = self.get("Account", account_id) or {}
        balance = self.home_debits.get(account_id, Decimal(0))
        return balance if account.get("Classification") in DEBIT_NORMAL else -balance

    def trial_balance(self) -> Decimal:
        """Sum of all debits minus credits in the home currency: zero in a consistent ledger."""
        return sum(self.home_debits.values(), Decimal(0))

    # --- receivables ------------------------------------------------------------------------

    def applied(self, txn_type: str, txn_id: str) -> tuple[Decimal, Decimal]:
        """(amount, home amount) applied by payments to an invoice or a credit memo."""
        ledger = self.applications if txn_type == "Invoice" else self.credit_applications
        applied = ledger.get(txn_id, {}).values()
        return (
            sum((a.amount for a in applied), Decimal(0)),
            sum((a.home for a in applied), Decimal(0)),
        )

    def customer_has_transactions(self, customer_id: str) -> bool:
        return bool(self._by_customer.get(customer_id))

    def refresh_customer(self, customer_id: str) -> None:
        customer = self.get("Customer", customer_id)
        if customer is None:
            return
        balance = Decimal(0)
        for entity, entity_id in self._by_customer.get(customer_id, set()):
            doc = self.entities[entity][entity_id]
            if entity == "Invoice":
                balance += stored(doc.get("Balance"))
            elif entity == "Payment":
                balance -= stored(doc.get("UnappliedAmt"))
            elif entity == "CreditMemo":
                balance -= stored(doc.get("RemainingCredit"))
        customer["Balance"] = balance
        customer["BalanceWithJobs"] = balance
