"""The fake Stripe's currency conversion: money charged in a currency the account holds no
bank account for settles in its default currency, at a rate the balance transaction states.

Stripe: "if you charge a customer 10.00 EUR, the PaymentIntent's amount is 1000 and currency is
eur. If this converts to 12.34 USD in your Stripe account, the BalanceTransaction's amount is
1234, its currency is usd, and the exchange_rate is 1.234" (stripe-python 16.1.0,
stripe/_balance_transaction.py); no conversion happens for a currency the account has a bank
account in (stripe.com/docs/currencies/conversions); refunds convert back "at the current
exchange rate" (docs.stripe.com/currencies/disputes-refunds), so the rate is the day's.

The rate table is the fake's own (not the fake QBO's): base rates perturbed by up to 0.3 % by
day, so Stripe's rate and QBO's never quite agree and a refund a week later converts at another
rate. How Stripe rounds a converted amount is not documented: half even here.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal

DAY = 86_400
# Units of USD per unit of the currency (round figures; only their ratios matter).
USD_PER_UNIT: dict[str, Decimal] = {
    "usd": Decimal("1"),
    "eur": Decimal("1.0850"),
    "gbp": Decimal("1.2700"),
    "cad": Decimal("0.7350"),
    "aud": Decimal("0.6600"),
    "chf": Decimal("1.1300"),
    "jpy": Decimal("0.006700"),
    "krw": Decimal("0.000750"),
    "kwd": Decimal("3.2500"),
    "bhd": Decimal("2.6500"),
}
ZERO_DECIMAL = frozenset({"jpy", "krw"})
THREE_DECIMAL = frozenset({"kwd", "bhd", "jod", "omr", "tnd"})


def exponent(currency: str) -> int:
    code = currency.lower()
    return 0 if code in ZERO_DECIMAL else 3 if code in THREE_DECIMAL else 2


def rate(source: str, target: str, when: int) -> Decimal:
    """Units of ``target`` per unit of ``source`` on the day of ``when`` (6 places)."""
    if source.lower() == target.lower():
        return Decimal(1)
    base = USD_PER_UNIT[source.lower()] / USD_PER_UNIT[target.lower()]
    day = f"{source.lower()}{target.lower()}{when // DAY}".encode()
    wobble = int(hashlib.sha256(day).hexdigest()[:8], 16) % 601 - 300  # -300..300
    return (base * (1 + Decimal(wobble) / 100_000)).quantize(Decimal("0.000001"))


def convert(amount: int, source: str, target: str, when: int) -> tuple[int, Decimal]:
    """``amount`` (minor units of ``source``) in minor units of ``target``, and the rate."""
    stated = rate(source, target, when)
    scale = Decimal(10) ** (exponent(target) - exponent(source))
    converted = (Decimal(amount) * scale * stated).quantize(Decimal(1), ROUND_HALF_EVEN)
    return int(converted), stated


@dataclass
class Settlement:
    """Where an account's money settles: its default currency, and the currencies it holds a
    bank account in (those settle as they are). None of it set: every currency as it is."""

    default_currency: str | None = None
    bank_currencies: frozenset[str] = field(default_factory=frozenset)

    def currency_for(self, charged: str) -> str:
        code = charged.lower()
        if self.default_currency is None or code in self.bank_currencies:
            return code
        return self.default_currency.lower()
