"""Pydantic models of the QBO documents the sync writes, serialised as QBO JSON."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

DOC_NUMBER_MAX = 21


class QboModel(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True)

    def to_qbo(self) -> dict[str, Any]:
        """The QBO JSON body: field names as QBO spells them, unset fields left out."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class Ref(QboModel):
    value: str
    name: str | None = None


class QboCustomer(QboModel):
    DisplayName: str
    CompanyName: str | None = None
    Notes: str | None = None
    CurrencyRef: Ref | None = None


class QboItem(QboModel):
    Name: str
    Type: Literal["Service", "NonInventory"] = "Service"
    IncomeAccountRef: Ref
    Description: str | None = None


class QboAccount(QboModel):
    Name: str
    AccountType: str
    AccountSubType: str | None = None
    CurrencyRef: Ref | None = None


class SalesItemLineDetail(QboModel):
    ItemRef: Ref
    Qty: Decimal | None = None
    UnitPrice: Decimal | None = None
    ServiceDate: date | None = None


class QboSalesLine(QboModel):
    Amount: Decimal
    Description: str | None = None
    DetailType: Literal["SalesItemLineDetail"] = "SalesItemLineDetail"
    SalesItemLineDetail: SalesItemLineDetail


class QboInvoice(QboModel):
    CustomerRef: Ref
    DocNumber: str | None = Field(default=None, max_length=DOC_NUMBER_MAX)
    TxnDate: date
    DueDate: date | None = None
    Line: list[QboSalesLine]
    PrivateNote: str | None = None
    CurrencyRef: Ref | None = None
