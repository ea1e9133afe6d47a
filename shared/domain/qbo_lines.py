"""The lines of QBO sales forms: an item line (with its quantity and unit price) and a discount
line."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from shared.domain.qbo_models import (
    DiscountLineDetail,
    QboDiscountLine,
    QboSalesLine,
    Ref,
    SalesItemLineDetail,
)

UNIT_PRICE_PLACES = Decimal("0.0000001")


def sales_line_from_amount(
    amount: Decimal,
    item: Ref,
    description: str | None,
    *,
    quantity: int | None = None,
    service_date: date | None = None,
) -> QboSalesLine:
    unit_price = None
    if quantity is not None and quantity > 0:
        unit_price = (amount / quantity).quantize(UNIT_PRICE_PLACES).normalize()
    return QboSalesLine(
        Amount=amount,
        Description=description,
        SalesItemLineDetail=SalesItemLineDetail(
            ItemRef=item,
            Qty=Decimal(quantity) if quantity is not None and quantity > 0 else None,
            UnitPrice=unit_price,
            ServiceDate=service_date,
        ),
    )


def discount_line(amount: Decimal, account: Ref, description: str) -> QboDiscountLine:
    return QboDiscountLine(
        Amount=amount,
        Description=description,
        DiscountLineDetail=DiscountLineDetail(DiscountAccountRef=account),
    )
