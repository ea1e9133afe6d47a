"""Pydantic models of the QBO documents the sync writes, serialised as QBO JSON."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

DOC_NUMBER_MAX = 21
CUSTOMER_MEMO_MAX = 1000  # Finance.xsd


def plain_decimal(value: Decimal) -> Decimal:
    """The same number with no positive exponent (``1.65E+3`` -> ``1650``), so that it is
    written with plain digits whichever way it is printed."""
    exponent = value.as_tuple().exponent
    return value.quantize(Decimal(1)) if isinstance(exponent, int) and exponent > 0 else value


def _wire(value: Any) -> Any:
    if isinstance(value, Decimal):
        return plain_decimal(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _wire(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_wire(item) for item in value]
    return value


class QboModel(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True)

    def to_qbo(self) -> dict[str, Any]:
        """The QBO JSON body: field names as QBO spells them, unset fields left out. Amounts stay
        Decimal, so that the body is written with JSON numbers (never strings, never exponent
        notation: QBO's schema types them xs:decimal); dates become ISO text."""
        return dict(_wire(self.model_dump(mode="python", by_alias=True, exclude_none=True)))


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
    ClassRef: Ref | None = None
    # TAX or NON in a US company; a sales tax code outside the US (every line needs one there)
    TaxCodeRef: Ref | None = None
    TaxInclusiveAmt: Decimal | None = None  # the gross, with GlobalTaxCalculation TaxInclusive


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


class QboTaxLineDetail(QboModel):
    TaxRateRef: Ref
    PercentBased: bool = True
    TaxPercent: Decimal | None = None
    NetAmountTaxable: Decimal | None = None


class QboTaxLine(QboModel):
    """The tax of one rate on the document (Finance.xsd TxnTaxDetail.TaxLine)."""

    Amount: Decimal
    DetailType: Literal["TaxLineDetail"] = "TaxLineDetail"
    TaxLineDetail: QboTaxLineDetail


class QboTxnTaxDetail(QboModel):
    """The tax a sales document records: per rate (outside the US), or one total under the
    document's code (US); a supplied amount overrides QBO's own computation."""

    TxnTaxCodeRef: Ref | None = None
    TotalTax: Decimal
    TaxLine: list[QboTaxLine] | None = None


class QboTxn(QboModel):
    """Fields every transaction shares; ExchangeRate only when not in the home currency."""

    TxnDate: date
    DocNumber: str | None = Field(default=None, max_length=DOC_NUMBER_MAX)
    PrivateNote: str | None = None
    CurrencyRef: Ref | None = None
    ExchangeRate: Decimal | None = None


class Memo(QboModel):
    value: str = Field(max_length=CUSTOMER_MEMO_MAX)


class QboSalesForm(QboTxn):
    """Invoice, CreditMemo, SalesReceipt, RefundReceipt: lines and how they are taxed."""

    CustomerRef: Ref
    Line: list[SalesLine]
    TxnTaxDetail: QboTxnTaxDetail | None = None
    GlobalTaxCalculation: Literal["TaxExcluded", "TaxInclusive", "NotApplicable"] | None = None
    DepartmentRef: Ref | None = None  # the location, where the company tracks them


class QboInvoice(QboSalesForm):
    DueDate: date | None = None
    CustomerMemo: Memo | None = None


class QboCreditMemo(QboSalesForm):
    pass


class QboSalesReceipt(QboSalesForm):
    DepositToAccountRef: Ref


class QboRefundReceipt(QboSalesForm):
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
