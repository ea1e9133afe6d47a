"""Balance transactions and Stripe's card fee, as the generated months' payouts write them."""

from __future__ import annotations

from typing import Any

from local_emulator.generator.sim import DAY

JsonDict = dict[str, Any]
HOUR = 3_600


def card_fee(amount: int) -> int:
    """2.9 % + 30 minor units, rounded half up, in integers."""
    return (amount * 29 + 500) // 1000 + 30


def balance_transaction(
    txn_id: str,
    txn_type: str,
    *,
    amount: int,
    fee: int,
    currency: str,
    created: int,
    source: str | None,
    description: str,
) -> JsonDict:
    return {
        "id": txn_id,
        "object": "balance_transaction",
        "amount": amount,
        "available_on": created + 2 * DAY,
        "balance_type": "payments",
        "created": created,
        "currency": currency,
        "description": description,
        "exchange_rate": None,
        "fee": fee,
        "fee_details": [],
        "net": amount - fee,
        "reporting_category": txn_type,
        "source": source,
        "status": "pending",
        "type": txn_type,
    }
