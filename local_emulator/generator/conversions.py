"""Generated months whose money settles in another currency: balance transactions as Stripe
records them after converting (``fakes.stripe.fx``)."""

from __future__ import annotations

import copy
from typing import Any

from local_emulator.fakes.stripe.fx import Settlement, convert
from local_emulator.generator.balance import card_fee

JsonDict = dict[str, Any]


def converted(txn: JsonDict, settlement: Settlement) -> JsonDict:
    """The balance transaction as Stripe records it when its money settles in another currency
    (``fakes.stripe.fx``): amount and fee in the settlement currency, the rate stated."""
    source = str(txn["currency"])
    target = settlement.currency_for(source)
    if target == source.lower():
        return txn
    created = int(txn["created"])
    amount, stated = convert(int(txn["amount"]), source, target, created)
    if txn["type"] == "charge":
        fee = card_fee(amount)
    else:
        fee = convert(int(txn["fee"]), source, target, created)[0]
    details = [{**d, "amount": fee, "currency": target} for d in txn.get("fee_details") or []]
    return {
        **txn,
        "amount": amount,
        "currency": target,
        "exchange_rate": float(stated),
        "fee": fee,
        "fee_details": details,
        "net": amount - fee,
    }


def settled(lines: list[JsonDict], settlement: Settlement) -> list[JsonDict]:
    """Every balance transaction of the month (bare, or inside a dispute) as it settles."""
    out = []
    for line in lines:
        if line.get("object") == "balance_transaction":
            out.append(converted(line, settlement))
            continue
        obj = (line.get("data") or {}).get("object") if line.get("object") == "event" else None
        if isinstance(obj, dict) and obj.get("balance_transactions"):
            settled = copy.deepcopy(line)
            inner = settled["data"]["object"]
            inner["balance_transactions"] = [
                converted(t, settlement) if isinstance(t, dict) else t
                for t in inner["balance_transactions"]
            ]
            out.append(settled)
        else:
            out.append(line)
    return out
