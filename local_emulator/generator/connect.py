"""A Connect platform's movements around its charges, for generated months (``add_payouts``)."""

from __future__ import annotations

import random
from typing import Any

from local_emulator.generator.balance import HOUR, balance_transaction

JsonDict = dict[str, Any]


def connect_movements(
    charges: list[JsonDict], rng: random.Random, tag: str, txns: dict[str, JsonDict]
) -> list[JsonDict]:
    """A platform's Connect movements around some of its charges, with the objects behind them.

    A destination charge with ``application_fee_amount``: "the full charge amount ... is added
    to your platform account; 10 USD is transferred to the connected account; the 2 USD
    application fee is transferred back to your platform"
    (docs.stripe.com/revenue-recognition/connect/destination-charges): a ``transfer`` of the
    whole amount out, an ``application_fee`` in. A direct charge on a connected account leaves
    the platform only its application fee (docs.stripe.com/connect/direct-charges). Now and then
    a fee refunded (``application_fee_refund``, contra revenue) and part of a transfer reversed
    ("Transfer reversals add to the platform's balance"). Signs: ``amount`` > 0 is money in
    (stripe-python _balance_transaction.py). Categories: docs.stripe.com/reports/
    reporting-categories.
    """
    objects: list[JsonDict] = []

    def add(kind: str, category: str, amount: int, source: str, *, when: int, cur: str) -> None:
        txn = balance_transaction(
            f"txn_{tag}x{len(txns):05d}", kind, amount=amount, fee=0, currency=cur,
            created=when, source=source, description=f"Connect {category}",
        )  # fmt: skip
        txn["reporting_category"] = category
        txns[txn["id"]] = txn

    for n, charge in enumerate(charges):
        amount, cur, when = int(charge["amount"]), str(charge["currency"]), int(charge["created"])
        fee = amount * rng.randint(5, 15) // 100
        fee_id = f"fee_{tag}{n:05d}"
        if n % 3 != 2:  # destination charge: the whole amount on, the fee back
            transfer_id = f"tr_{tag}{n:05d}"
            add("transfer", "transfer", -amount, transfer_id, when=when + 1, cur=cur)
            objects.append({"id": transfer_id, "object": "transfer", "amount": amount,
                            "currency": cur, "created": when + 1,
                            "destination": f"acct_{tag}{n % 2}", "source_transaction": charge["id"],
                            "amount_reversed": 0, "reversed": False})  # fmt: skip
            if n % 4 == 1:
                back = amount * rng.randint(10, 40) // 100
                add("transfer_refund", "transfer_reversal", back, f"trr_{tag}{n:05d}",
                    when=when + 3 * HOUR, cur=cur)  # fmt: skip
                objects[-1].update(amount_reversed=back)
        add("application_fee", "platform_earning", fee, fee_id, when=when + 2, cur=cur)
        objects.append({"id": fee_id, "object": "application_fee", "amount": fee,
                        "amount_refunded": 0, "currency": cur, "created": when + 2,
                        "account": f"acct_{tag}{n % 2}", "charge": charge["id"],
                        "refunded": False})  # fmt: skip
        if n % 5 == 3:
            part = max(fee // 2, 1)
            add("application_fee_refund", "platform_earning_refund", -part, f"fr_{tag}{n:05d}",
                when=when + 2 * HOUR, cur=cur)  # fmt: skip
            objects[-1].update(amount_refunded=part)
    return objects
