"""Accounts, items, classes, locations and exchange rates that documents point at: found or
created on first use, then cached for the life of the instance; and the company they belong to
(``company.CompanyReader``: home currency, tax model, tracking, tax setup)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from shared.books_settings import BooksSettings
from shared.domain.company import Company
from shared.domain.idempotency import qbo_request_id_from
from shared.domain.mapping import CurrencyTerms
from shared.domain.money import normalize_currency
from shared.domain.names import ITEM_NAME_MAX, limited_name
from shared.domain.qbo_models import QboAccount, QboItem, Ref
from shared.errors import MappingGapError, TaxMappingGapError
from shared.ports import QboGateway
from shared.services.company import CompanyReader
from shared.services.qbo_lookup import create_or_heal, entity_id, find_all, quote

SALES_FORMS = frozenset({"Invoice", "SalesReceipt", "CreditMemo", "RefundReceipt"})
# (QBO AccountType, AccountSubType) per role
ACCOUNT_KINDS = {
    "income": ("Income", "SalesOfProductIncome"),
    "discounts": ("Income", "DiscountsRefundsGiven"),
    "tax": ("Other Current Liability", "SalesTaxPayable"),
    "fees": ("Expense", "BankCharges"),
    "disputes": ("Expense", "OtherMiscellaneousServiceCost"),
    "bad_debt": ("Expense", "BadDebts"),
    "undeposited": ("Other Current Asset", "UndepositedFunds"),
    "clearing": ("Bank", "Checking"),
    "bank": ("Bank", "Checking"),
    "suspense": ("Other Current Liability", "OtherCurrentLiabilities"),
    "rounding": ("Other Expense", "OtherMiscellaneousExpense"),
    "opening": ("Equity", "OpeningBalanceEquity"),
    # Stripe Connect (README): a platform's fee income, its refunds, what it sends on
    "platform_fees": ("Income", "ServiceFeeIncome"),
    "platform_fee_refunds": ("Income", "DiscountsRefundsGiven"),
    "connect_transfers": ("Cost of Goods Sold", "OtherCostsOfServiceCos"),
    # realised exchange differences: QBO's own account (XSD AccountSubTypeEnum)
    "exchange": ("Other Expense", "ExchangeGainOrLoss"),
    # home currency, between two foreign currencies (empty after each conversion)
    "fx_conversion": ("Other Current Asset", "OtherCurrentAssets"),
}
# Roles QBO keeps a system account for, found by AccountType/AccountSubType whatever it is named:
# newer companies call Undeposited Funds "Payments to deposit". It holds payments of every
# currency (at their home value), so one account serves them all. Every company has its Opening
# Balance Equity (AccountSubType OpeningBalanceEquity) too.
SYSTEM_ROLES = frozenset({"undeposited", "opening", "exchange"})


class ReferenceData:
    """Per-instance cache of QBO references; a miss costs one query, a create at most one more."""

    def __init__(
        self,
        qbo: QboGateway,
        books: BooksSettings | None = None,
        company: CompanyReader | None = None,
    ) -> None:
        self._qbo = qbo
        self.books = books or BooksSettings()
        self.company_reader = company or CompanyReader(qbo)
        self._refs: dict[tuple[str, str], Ref] = {}
        self._rates: dict[tuple[str, date], Decimal] = {}
        self._lock = threading.RLock()

    def company(self) -> Company:
        return self.company_reader.company()

    def home_currency(self) -> str:
        return self.company_reader.home_currency()

    def _ensure(self, entity: str, name: str, build: Callable[[], dict[str, object]]) -> Ref:
        key = (entity, name)
        with self._lock:
            cached = self._refs.get(key)
            if cached is not None:
                return cached
            # Found by name first (accounts and items may exist in the books already); another
            # instance creating the same name at once makes ours a 6240, healed by the lookup.
            request_id = qbo_request_id_from(f"{entity.lower()}-ref", name)
            qbo_id = create_or_heal(
                self._qbo,
                entity,
                build(),
                request_id,
                lambda: find_all(self._qbo, entity, "Name", name),
                heal_first=True,
            )
            ref = Ref(value=qbo_id, name=name)
            self._refs[key] = ref
            return ref

    def account(self, role: str, currency: str | None = None) -> Ref:
        """The account for a role; bank-like ones (clearing, bank) exist once per currency; a
        system role's account is found by its type (created, by its configured name, only if the
        company has none)."""
        if role in SYSTEM_ROLES:
            return self._system_account(role)
        name, currency_ref = self._name_of(role), None
        if currency is not None and normalize_currency(currency) != self.home_currency():
            name = f"{name} {currency.upper()}"
            currency_ref = Ref(value=currency.upper())
        return self._ensure("Account", name, lambda: self._build(role, name, currency_ref))

    def _name_of(self, role: str) -> str:
        name = getattr(self.books.accounts, role, None)
        if not isinstance(name, str):
            raise ValueError(f"no account role {role!r} in the books settings")
        return name

    @staticmethod
    def _build(role: str, name: str, currency_ref: Ref | None) -> dict[str, object]:
        kind, subtype = ACCOUNT_KINDS[role]
        return QboAccount(
            Name=name, AccountType=kind, AccountSubType=subtype, CurrencyRef=currency_ref
        ).to_qbo()

    def _system_account(self, role: str) -> Ref:
        kind, subtype = ACCOUNT_KINDS[role]
        key = ("Account", f"system:{role}")
        with self._lock:
            cached = self._refs.get(key)
            if cached is not None:
                return cached
            rows = self._qbo.query(
                f"select * from Account where AccountType = {quote(kind)}"  # noqa: S608
            )
            found = next(
                (
                    row
                    for row in rows
                    if row.get("AccountSubType") == subtype and row.get("Active") is not False
                ),
                None,
            )
            if found is None:
                name = self._name_of(role)
                return self._ensure("Account", name, lambda: self._build(role, name, None))
            ref = Ref(value=entity_id(found), name=str(found.get("Name") or ""))
            self._refs[key] = ref
            return ref

    def item(self, name: str, income_role: str = "income") -> Ref:
        return self._ensure(
            "Item",
            name,
            lambda: QboItem(Name=name, IncomeAccountRef=self.account(income_role)).to_qbo(),
        )

    def default_item(self) -> Ref:
        return self.item(self.books.items.default)

    def income_item(self, account: str) -> Ref:
        """The item of lines the books file sends to income ``account``: "<default item>
        (<account>)", its account found by name (or created as income)."""
        income = self._ensure("Account", account, lambda: self._build("income", account, None))
        name = limited_name(f"{self.books.items.default} ({account})", ITEM_NAME_MAX)
        return self._ensure(
            "Item", name, lambda: QboItem(Name=name, IncomeAccountRef=income).to_qbo()
        )

    def existing(self, entity: str, name: str) -> Ref:
        """A Class, Department or Item the books settings name: it must exist (and be active)
        in QBO, for an accountant chose it; else a mapping gap naming it."""
        key = (entity, f"existing:{name}")
        with self._lock:
            cached = self._refs.get(key)
            if cached is not None:
                return cached
            found = [
                r for r in find_all(self._qbo, entity, "Name", name) if r.get("Active") is not False
            ]
            if len(found) != 1:
                what = "no" if not found else f"{len(found)}"
                raise MappingGapError(
                    f"the books settings name {entity} {name!r}, and QBO has {what} active "
                    f"{entity} of that name: create it in QBO or correct the books file",
                    code="books_mapping",
                )
            ref = Ref(value=entity_id(found[0]), name=name)
            self._refs[key] = ref
            return ref

    def complete_tax_codes(self, entity: str, body: dict[str, Any]) -> dict[str, Any]:
        """A sales form written without tax (a balance adjustment, a rounding memo) as the
        company needs it: outside the US each line without a code gets the books file's code
        for untaxed lines ([tax.reasons] no_tax); under automated sales tax it says NON (AST
        would tax a line without a code: Intuit blog 2018-03-28)."""
        if entity not in SALES_FORMS:
            return body
        model = self.company().tax_model
        lines = body.get("Line")
        if model == "us" or not isinstance(lines, list):
            return body
        code: str | None = "NON" if model == "us-ast" else None
        out = []
        for line in lines:
            detail = line.get("SalesItemLineDetail") if isinstance(line, dict) else None
            if isinstance(detail, dict) and not detail.get("TaxCodeRef"):
                code = code or self._untaxed_code()
                coded = {**detail, "TaxCodeRef": {"value": code}}
                out.append({**line, "SalesItemLineDetail": coded})
            else:
                out.append(line)
        return {**body, "Line": out}

    def _untaxed_code(self) -> str:
        name = self.books.tax.reasons.no_tax
        code = self.company_reader.tax_book().code(name) if name else None
        if code is None:
            raise TaxMappingGapError(
                "a document without tax needs the company's code for untaxed lines: name it "
                'in the books file as [tax.reasons] no_tax = "<QBO tax code name>", then replay'
                + (f" (no active QBO tax code {name!r})" if name else "")
            )
        return code.id

    def auto_applies_credit(self) -> bool:
        """The company's ``SalesFormsPrefs.AutoApplyCredit`` (``company``)."""
        return self.company().auto_apply_credit

    def balance_adjustment_item(self) -> Ref:
        """Credits and debits made by hand to a customer's balance: against discounts given."""
        return self.item(self.books.items.balance_adjustment, "discounts")

    def rounding_item(self) -> Ref:
        """What rounding to QBO's 2 places leaves on a customer's credit (three-decimal
        currencies): on the rounding account, like every other rounding remainder."""
        return self.item(self.books.items.rounding, "rounding")

    def terms(self, currency: str, on: date | None = None) -> CurrencyTerms:
        """Currency terms for a document; foreign ones carry QBO's own rate for the day."""
        code = normalize_currency(currency)
        home = normalize_currency(self.home_currency())
        if code == home:
            return CurrencyTerms(code, home)
        day = on or date.today()  # noqa: DTZ011 - QBO's rate table is by calendar date
        with self._lock:
            rate = self._rates.get((code, day))
            if rate is None:
                rate = self._qbo.exchange_rate(code, day)
                self._rates[(code, day)] = rate
        return CurrencyTerms(code, home, rate)
