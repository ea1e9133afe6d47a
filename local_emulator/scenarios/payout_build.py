"""Build the payout scenarios: ``python -m local_emulator.scenarios.payout_build [DIR]``.

Each is a short scripted story on the Stripe simulator with its automatic payouts added by
``local_emulator.generator.payouts``, written to ``payouts/<name>.jsonl`` next to this file
(a folder of its own: the general scenario tests glob this folder's ``*.jsonl`` and know
nothing of payouts). Deterministic: rebuilding changes no byte.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from local_emulator.generator.invoices import LineSpec
from local_emulator.generator.payouts import add_payouts
from local_emulator.generator.sim import DAY, JsonDict, StripeSim
from local_emulator.harness.scenario import write_scenario

HERE = Path(__file__).resolve().parent / "payouts"
# name -> (story, fail rate, extras: an unknown-type balance transaction and a Stripe fee)
Story = Callable[[StripeSim], None]
PAYOUT_SCENARIOS: dict[str, tuple[Story, float, bool]] = {}
# name -> how its payouts differ from the default (``add_payouts`` keyword arguments)
PAYOUT_OPTIONS: dict[str, dict[str, Any]] = {
    "payout_late_reconciliation": {"late_rate": 1.0},
    "payout_manual": {"manual": True, "cancel_rate": 0.3},
    "payout_connect": {"connect": True},
    "payout_cross_currency": {"settle": "usd"},
    "payout_foreign_settlement": {"settle": "eur", "bank_currencies": ("usd",)},
}


def _paid_invoice(sim: StripeSim, customer: str, currency: str, amount: int) -> str:
    invoice = sim.draft(customer, currency, [LineSpec("Platform fee", amount)])
    sim.at(sim.now + 600)
    sim.finalize(invoice)
    sim.at(sim.now + DAY)
    return sim.pay(invoice)


def _sales(sim: StripeSim, currency: str = "usd") -> list[str]:
    customer = sim.customer("Customer 0001 Ltd", currency)
    charges = [_paid_invoice(sim, customer, currency, amount) for amount in (12_000, 4_900)]
    sim.at(sim.now + DAY)
    charges.append(sim.charge(customer, currency, 2_500))
    sim.at(sim.now + DAY)
    charges.append(sim.charge(None, currency, 990))
    return charges


def payout_unknown_type(sim: StripeSim) -> None:
    """Sales paid out with a balance transaction of a type never seen and a Stripe fee."""
    _sales(sim)
    sim.at(sim.now + 10 * DAY)


def payout_refund_and_disputes(sim: StripeSim) -> None:
    """Refunds, a lost and a won dispute inside payouts: dispute fees are not booked twice."""
    charges = _sales(sim)
    sim.at(sim.now + DAY)
    sim.refund(charges[0], 2_000)
    sim.at(sim.now + DAY)
    sim.dispute(charges[1], "lost")
    sim.at(sim.now + DAY)
    sim.dispute(charges[2], "won")
    sim.at(sim.now + 10 * DAY)


def payout_failed(sim: StripeSim) -> None:
    """Every payout fails: each deposit is reversed and the funds go into the next payout."""
    _sales(sim)
    sim.at(sim.now + 10 * DAY)


def payout_currencies(sim: StripeSim) -> None:
    """Payouts per currency into a bank account of that currency (EUR and zero-decimal JPY)."""
    _sales(sim, "eur")
    _sales(sim, "jpy")
    sim.at(sim.now + 10 * DAY)


def payout_late_reconciliation(sim: StripeSim) -> None:
    """Stripe reconciles every payout two days after it is paid (one of them fails first):
    nothing is posted on ``payout.paid``, all of it on ``payout.reconciliation_completed``."""
    _sales(sim)
    sim.at(sim.now + 3 * DAY)
    _sales(sim)
    sim.at(sim.now + 10 * DAY)


def payout_manual(sim: StripeSim) -> None:
    """Manual payouts of part of the balance at uneven times, some canceled: each deposits its
    own amount; the fees are booked from the balance transactions themselves."""
    charges = _sales(sim)
    sim.at(sim.now + 4 * DAY)
    _sales(sim)
    sim.at(sim.now + DAY)
    sim.refund(charges[0], 3_000)
    sim.at(sim.now + 12 * DAY)


def payout_connect(sim: StripeSim) -> None:
    """A Connect platform: destination charges (the whole amount transferred on, the
    application fee back), direct-charge fees, a fee refund, a transfer reversal, a refund and
    a type nobody knows: Connect movements to their accounts, suspense for the unknown only."""
    charges = _sales(sim)
    sim.at(sim.now + 3 * DAY)
    _sales(sim)
    sim.at(sim.now + DAY)
    sim.refund(charges[1], 1_000)
    sim.at(sim.now + 10 * DAY)


def payout_cross_currency(sim: StripeSim) -> None:
    """EUR and JPY sales into a USD Stripe balance (no EUR or JPY bank account): Stripe converts
    at its stated rate; a EUR refund a week later converts back at that day's rate; a lost
    dispute on a JPY charge is withdrawn in USD."""
    eur = _sales(sim, "eur")
    jpy = _sales(sim, "jpy")
    sim.at(sim.now + 7 * DAY)
    sim.refund(eur[0], 3_000)
    sim.at(sim.now + DAY)
    sim.dispute(jpy[1], "lost")
    sim.at(sim.now + 10 * DAY)


def payout_foreign_settlement(sim: StripeSim) -> None:
    """A Stripe account whose default currency is EUR (a USD bank account too) in a USD
    company: JPY and KWD sales settle in EUR, through QBO's home currency (one foreign currency
    per QBO transaction); USD sales settle as they are."""
    _sales(sim, "jpy")
    _sales(sim, "kwd")
    _sales(sim, "usd")
    sim.at(sim.now + 10 * DAY)


PAYOUT_SCENARIOS.update(
    {
        "payout_unknown_type": (payout_unknown_type, 0.0, True),
        "payout_refund_and_disputes": (payout_refund_and_disputes, 0.0, False),
        "payout_failed": (payout_failed, 1.0, False),
        "payout_currencies": (payout_currencies, 0.0, True),
        "payout_late_reconciliation": (payout_late_reconciliation, 0.4, False),
        "payout_manual": (payout_manual, 0.0, True),
        "payout_connect": (payout_connect, 0.1, True),
        "payout_cross_currency": (payout_cross_currency, 0.0, False),
        "payout_foreign_settlement": (payout_foreign_settlement, 0.0, False),
    }
)


def build_payout_scenario(name: str) -> list[JsonDict]:
    story, fail_rate, extras = PAYOUT_SCENARIOS[name]
    sim = StripeSim(tag=f"{name.removeprefix('payout_')[:6]}n")
    story(sim)
    seed = sum(name.encode())
    return add_payouts(
        sim.lines,
        seed,
        fail_rate=fail_rate,
        extras=extras,
        in_transit_rate=0.0,
        **PAYOUT_OPTIONS.get(name, {}),
    )


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else HERE
    for name in PAYOUT_SCENARIOS:
        write_scenario(out / f"{name}.jsonl", build_payout_scenario(name))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
