"""Accounts and items that documents point at: found or created on first use, then cached."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, tzinfo

from shared.domain.idempotency import qbo_request_id_from
from shared.domain.qbo_models import QboAccount, QboItem, Ref
from shared.ports import QboGateway
from shared.services.qbo_lookup import entity_id, find_one


@dataclass(frozen=True)
class BooksConfig:
    """The settings that shape postings."""

    home_currency: str = "usd"
    default_item_name: str = "Stripe sales"
    income_account_name: str = "Stripe Sales Income"
    tz: tzinfo = UTC


class ReferenceData:
    """Per-instance cache of QBO references; a miss costs one query, a create at most one more."""

    def __init__(self, qbo: QboGateway, books: BooksConfig) -> None:
        self._qbo = qbo
        self._books = books
        self._refs: dict[tuple[str, str], Ref] = {}
        self._lock = threading.Lock()

    def _ensure(self, entity: str, name_field: str, name: str, document: dict[str, object]) -> Ref:
        key = (entity, name)
        with self._lock:
            cached = self._refs.get(key)
            if cached is not None:
                return cached
            found = find_one(self._qbo, entity, name_field, name)
            if found is None:
                found = self._qbo.create(
                    entity, document, qbo_request_id_from(f"{entity.lower()}-ref", name)
                )
            ref = Ref(value=entity_id(found), name=name)
            self._refs[key] = ref
            return ref

    def income_account(self) -> Ref:
        name = self._books.income_account_name
        account = QboAccount(Name=name, AccountType="Income", AccountSubType="SalesOfProductIncome")
        return self._ensure("Account", "Name", name, account.to_qbo())

    def default_item(self) -> Ref:
        name = self._books.default_item_name
        item = QboItem(Name=name, IncomeAccountRef=self.income_account())
        return self._ensure("Item", "Name", name, item.to_qbo())
