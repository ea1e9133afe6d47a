"""Sample ledger settlements and credits for the local demo and the statement command."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from shared.ports import Warehouse

RECORDED_AT = datetime(2026, 2, 2, 6, 0, tzinfo=UTC)


@dataclass(frozen=True)
class SampleCustomer:
    key: str
    name: str
    email: str
    address: Mapping[str, str]


SAMPLE_CUSTOMERS = (
    SampleCustomer(
        "acme",
        "Acme Outdoor Co.",
        "ap@acme-outdoor.example",
        {"line1": "1200 Harbor Blvd", "city": "Oakland", "state": "CA", "postal_code": "94607",
         "country": "US"},
    ),
    SampleCustomer(
        "brightline",
        "Brightline Studios Ltd",
        "finance@brightline.example",
        {"line1": "14 Clerkenwell Road", "city": "London", "postal_code": "EC1M 5PA",
         "country": "GB"},
    ),
    SampleCustomer(
        "kobe",
        "Kobe Tea House K.K.",
        "keiri@kobetea.example",
        {"line1": "3-1-2 Sannomiya-cho, Chuo-ku", "city": "Kobe", "state": "Hyogo",
         "postal_code": "650-0021", "country": "JP"},
    ),
    SampleCustomer(
        "northwind",
        "Northwind Analytics Inc.",
        "billing@northwind.example",
        {"line1": "88 Pine Street", "city": "New York", "state": "NY", "postal_code": "10005",
         "country": "US"},
    ),
)  # fmt: skip

# settlement id, customer key, currency, baseline, actual, rate, jurisdiction, contributions
_SETTLEMENTS: tuple[tuple[str, str, str, str, str, str, str, dict[str, str]], ...] = (
    (
        "set_2026_01_acme", "acme", "usd", "182400.00", "219655.40", "0.18", "US-CA",
        {"Paid search": "14902.16", "Organic search": "9313.85", "Email lifecycle": "7451.08",
         "Affiliate partners": "3725.54", "Paid social": "1862.77"},
    ),
    (
        "set_2026_01_brightline", "brightline", "gbp", "96250.00", "114870.50", "0.20", "GB",
        {"Conversion rate optimisation": "8380.00", "Retargeting": "6100.25",
         "Marketplace listings": "4140.25"},
    ),
    (
        "set_2026_01_kobe", "kobe", "jpy", "12500000", "14112345", "0.15", "JP",
        {"Instagram campaigns": "806173", "LINE messaging": "483703", "Search ads": "322469"},
    ),
    (
        "set_2026_01_northwind", "northwind", "usd", "240000.00", "231518.20", "0.12", "US-NY",
        {"Paid search": "-3100.00", "Email lifecycle": "-5381.80"},
    ),
)  # fmt: skip

# credit id, customer key, reason, revenue lost, credit amount, currency, created
_CREDITS = (
    ("cred_2025_12_acme_rb", "acme", "ROLLBACK", "6944.44", "1250.00", "usd", date(2026, 1, 9)),
    ("cred_2025_12_bl_up", "brightline", "UNDERPERFORMANCE", "4200.00", "840.00", "gbp",
     date(2026, 1, 12)),
    ("cred_2025_11_bl_rb", "brightline", "ROLLBACK", "2500.00", "500.00", "gbp",
     date(2025, 12, 4)),
)  # fmt: skip

SAMPLE_SETTLEMENT_IDS = tuple(row[0] for row in _SETTLEMENTS)


def _customer_id(key: str, customer_ids: Mapping[str, str] | None) -> str:
    return (customer_ids or {}).get(key) or f"cus_sample_{key}"


def sample_settlement_rows(customer_ids: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """``ledger_settlements`` rows; ``customer_ids`` maps a sample key to a Stripe customer id."""
    names = {c.key: c.name for c in SAMPLE_CUSTOMERS}
    rows = []
    for sid, key, currency, baseline, actual, rate, jurisdiction, sources in _SETTLEMENTS:
        rows.append(
            {
                "settlement_id": sid,
                "customer_id": _customer_id(key, customer_ids),
                "customer_name": names[key],
                "period_start": date(2026, 1, 1),
                "period_end": date(2026, 1, 31),
                "baseline_revenue": Decimal(baseline),
                "actual_revenue": Decimal(actual),
                "incremental_revenue": Decimal(actual) - Decimal(baseline),
                "fee_rate": Decimal(rate),
                "currency": currency,
                "tax_jurisdiction": jurisdiction,
                "contributions": json.dumps(sources),
                "status": "COMPLETED",
                "completed_at": datetime(2026, 2, 2, 5, 30, tzinfo=UTC),
                "recorded_at": RECORDED_AT,
            }
        )
    return rows


def sample_credit_rows(customer_ids: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    return [
        {
            "credit_id": cid,
            "customer_id": _customer_id(key, customer_ids),
            "reason": reason,
            "revenue_lost": Decimal(lost),
            "credit_amount": Decimal(amount),
            "currency": currency,
            "applied_to_invoice": None,
            "created_at": datetime(created.year, created.month, created.day, tzinfo=UTC),
            "recorded_at": RECORDED_AT,
        }
        for cid, key, reason, lost, amount, currency, created in _CREDITS
    ]


def create_sample_customers(client: Any) -> dict[str, str]:
    """Create the sample customers through a ``stripe.StripeClient``; sample key -> Stripe id."""
    ids: dict[str, str] = {}
    for customer in SAMPLE_CUSTOMERS:
        created = client.v1.customers.create(
            params={"name": customer.name, "email": customer.email,
                    "address": dict(customer.address), "metadata": {"sample": customer.key}},
            options={"idempotency_key": f"sample-customer-{customer.key}"},
        )  # fmt: skip
        ids[customer.key] = str(created.id)
    return ids


def seed_sample_settlements(
    warehouse: Warehouse,
    customer_ids: Mapping[str, str] | None = None,
    *,
    currencies: Collection[str] | None = None,
) -> list[str]:
    """Append the samples (row ids make a repeat within one process a no-op); their ids.

    ``currencies`` keeps only settlements (and credits) in those currencies, e.g. ``{"usd"}``.
    """
    keep = {c.lower() for c in currencies} if currencies is not None else None
    settlements = [
        r for r in sample_settlement_rows(customer_ids) if keep is None or r["currency"] in keep
    ]
    credits = [r for r in sample_credit_rows(customer_ids) if keep is None or r["currency"] in keep]
    warehouse.append(
        "ledger_settlements", settlements, [f"sample:{r['settlement_id']}" for r in settlements]
    )
    warehouse.append("settlement_credits", credits, [f"sample:{r['credit_id']}" for r in credits])
    return [str(r["settlement_id"]) for r in settlements]
