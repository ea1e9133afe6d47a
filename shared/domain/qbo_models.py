"""Pydantic models of the QBO documents the sync writes, serialised as QBO JSON."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

DOC_NUMBER_MAX = 21
CUSTOMER_MEMO_MAX = 1000  # Finance.xsd


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
    Description: str | None = None


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


class DiscountLineDetail(QboModel):
    DiscountAccountRef: Ref
    PercentBased: bool = False


class QboDiscountLine(QboModel):
    Amount: Decimal
    Description: str | None = None
    DetailType: Literal["DiscountLineDetail"] = "DiscountLineDetail"
    DiscountLineDetail: DiscountLineDetail


SalesLine = QboSalesLine | QboDiscountLine


class QboTxn(QboModel):
    """Fields every transaction shares; ExchangeRate only when not in the home currency."""

    TxnDate: date
    DocNumber: str | None = Field(default=None, max_length=DOC_NUMBER_MAX)
    PrivateNote: str | None = None
    CurrencyRef: Ref | None = None
    ExchangeRate: Decimal | None = None


class Memo(QboModel):
    value: str = Field(max_length=CUSTOMER_MEMO_MAX)


class QboInvoice(QboTxn):
    CustomerRef: Ref
    DueDate: date | None = None
    Line: list[SalesLine]
    CustomerMemo: Memo | None = None


class QboCreditMemo(QboTxn):
    CustomerRef: Ref
    Line: list[SalesLine]


class QboSalesReceipt(QboTxn):
    CustomerRef: Ref
    Line: list[SalesLine]
    DepositToAccountRef: Ref


class QboRefundReceipt(QboTxn):
    CustomerRef: Ref
    Line: list[SalesLine]
    DepositToAccountRef: Ref


class LinkedTxn(QboModel):
    TxnId: str
    TxnType: Literal["Invoice", "CreditMemo"]


class QboPaymentLine(QboModel):
    Amount: Decimal
    LinkedTxn: list[LinkedTxn]


class QboPayment(QboTxn):
    CustomerRef: Ref
    TotalAmt: Decimal
    Line: list[QboPaymentLine]
    DepositToAccountRef: Ref | None = None
    PaymentRefNum: str | None = Field(default=None, max_length=DOC_NUMBER_MAX)


class JournalEntity(QboModel):
    Type: Literal["Customer"] = "Customer"
    EntityRef: Ref


class JournalEntryLineDetail(QboModel):
    PostingType: Literal["Debit", "Credit"]
    AccountRef: Ref
    Entity: JournalEntity | None = None


class QboJournalLine(QboModel):
    Amount: Decimal
    Description: str | None = None
    DetailType: Literal["JournalEntryLineDetail"] = "JournalEntryLineDetail"
    JournalEntryLineDetail: JournalEntryLineDetail


class QboJournalEntry(QboTxn):
    Line: list[QboJournalLine]
