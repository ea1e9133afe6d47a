"""The Stripe invoice of a settlement: request parameters, idempotency keys, plan in metadata."""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from shared.domain.money import decimal_from_minor, exponent
from shared.domain.settlement import (
    CreditApplication,
    InvoicePlan,
    Settlement,
    SettlementRejectedError,
    uplift_from_settlement,
)

PAYMENT_TERMS_DAYS = 30
METADATA_PLAN_VERSION = "1"
_MAX_METADATA_VALUE = 500


def idempotency_key(settlement_id: str, step: str) -> str:
    """``settlement:<id>:invoice``, ``...:item:<n>``, ``...:finalize``, ``...:send``."""
    return f"settlement:{settlement_id}:{step}"


def money_text(amount_minor: int, currency: str) -> str:
    """``USD 1,234.50``, ``JPY 185,185``, ``-USD 20.00``: unambiguous in every currency."""
    amount = decimal_from_minor(amount_minor, currency)
    return decimal_money_text(amount, currency)


def decimal_money_text(amount: Decimal, currency: str) -> str:
    places = exponent(currency)
    sign = "-" if amount < 0 else ""
    return f"{sign}{currency.upper()} {abs(amount):,.{places}f}"


def percent_text(value: Decimal | None) -> str:
    """``12.50%``; ``n/a`` when there is no value (an uplift over a zero baseline)."""
    return "n/a" if value is None else f"{value:,.2f}%"


def rate_text(rate: Decimal) -> str:
    """A fee or tax rate as a percentage without trailing zeros: 0.0725 -> ``7.25%``."""
    percent = (rate * 100).normalize()
    text = f"{percent:f}"
    return f"{text}%"


def period_text(settlement: Settlement) -> str:
    return f"{settlement.period_start.isoformat()} to {settlement.period_end.isoformat()}"


# --- the plan, carried in the invoice's metadata ----------------------------------------------
# Whoever creates the invoice first fixes its plan; a poll that finds the invoice later continues
# from the metadata, so two polls never disagree about credits or tax.


def metadata_from_invoice_plan(plan: InvoicePlan) -> dict[str, str]:
    credits = [[c.credit_id, c.amount_minor, c.reason] for c in plan.credits]
    encoded = json.dumps(credits, separators=(",", ":"))
    if len(encoded) > _MAX_METADATA_VALUE:
        raise SettlementRejectedError("credit list too long for metadata", code="too_many_credits")
    return {
        "settlement_id": plan.settlement_id,
        "settlement_plan": METADATA_PLAN_VERSION,
        "settlement_fee": str(plan.fee_minor),
        "settlement_credits": encoded,
        "settlement_tax_jurisdiction": plan.tax_jurisdiction,
        "settlement_tax_rate": str(plan.tax_rate),
        "settlement_tax": str(plan.tax_minor),
        "settlement_total": str(plan.total_minor),
    }


def invoice_plan_from_metadata(metadata: Mapping[str, Any], currency: str) -> InvoicePlan:
    """The plan an invoice was created with; SettlementRejectedError if it is not ours/readable."""
    try:
        credits = tuple(
            CreditApplication(str(cid), str(reason), int(amount))
            for cid, amount, reason in json.loads(str(metadata["settlement_credits"]))
        )
        plan = InvoicePlan(
            settlement_id=str(metadata["settlement_id"]),
            currency=currency.lower(),
            fee_minor=int(metadata["settlement_fee"]),
            credits=credits,
            tax_jurisdiction=str(metadata["settlement_tax_jurisdiction"]),
            tax_rate=Decimal(str(metadata["settlement_tax_rate"])),
            tax_minor=int(metadata["settlement_tax"]),
        )
    except (KeyError, ValueError, TypeError, InvalidOperation):
        raise SettlementRejectedError(
            "invoice metadata holds no readable settlement plan", code="bad_invoice_metadata"
        ) from None
    if plan.total_minor != int(metadata.get("settlement_total", plan.total_minor)):
        raise SettlementRejectedError("plan total does not add up", code="bad_invoice_metadata")
    return plan


# --- Stripe request parameters --------------------------------------------------------------


def invoice_params_from_plan(settlement: Settlement, plan: InvoicePlan) -> dict[str, Any]:
    incremental = decimal_money_text(settlement.incremental_revenue, settlement.currency)
    return {
        "customer": settlement.customer_id,
        "currency": plan.currency,
        "collection_method": "send_invoice",
        "days_until_due": PAYMENT_TERMS_DAYS,
        "auto_advance": False,
        "pending_invoice_items_behavior": "exclude",
        "description": f"Success fee for {period_text(settlement)}",
        "custom_fields": [
            {"name": "Incremental revenue", "value": incremental},
            {"name": "Uplift", "value": percent_text(uplift_from_settlement(settlement))},
            {"name": "Billing period", "value": period_text(settlement)},
            {"name": "Settlement", "value": plan.settlement_id},
        ],
        "metadata": metadata_from_invoice_plan(plan),
    }


def invoice_item_params_from_plan(
    settlement: Settlement, plan: InvoicePlan, invoice_id: str
) -> list[dict[str, Any]]:
    """The invoice's lines in order: fee, one per credit (negative), tax when there is any."""
    incremental = decimal_money_text(settlement.incremental_revenue, settlement.currency)
    lines: list[tuple[str, int, str]] = [
        (
            "fee",
            plan.fee_minor,
            f"Success fee: {rate_text(settlement.fee_rate)} of {incremental} incremental revenue "
            f"({period_text(settlement)})",
        )
    ]
    for credit in plan.credits:
        reason = credit.reason.replace("_", " ").lower() or "credit"
        lines.append(("credit", -credit.amount_minor, f"Credit {credit.credit_id} ({reason})"))
    if plan.tax_minor:
        lines.append(
            ("tax", plan.tax_minor, f"Tax {plan.tax_jurisdiction} at {rate_text(plan.tax_rate)}")
        )
    return [
        {
            "customer": settlement.customer_id,
            "invoice": invoice_id,
            "currency": plan.currency,
            "amount": amount,
            "description": description,
            "metadata": {
                "settlement_id": plan.settlement_id,
                "settlement_line": str(index),
                "settlement_line_kind": kind,
            },
        }
        for index, (kind, amount, description) in enumerate(lines)
    ]
