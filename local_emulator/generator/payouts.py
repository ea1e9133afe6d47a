"""Payouts for a generated month: balance transactions grouped every few days per currency,
with the events Stripe sends for them, a failed payout now and then, and one balance
transaction of a type the sync has never seen.

Automatic payouts are ``in_progress`` until Stripe has reconciled them
(``payout.reconciliation_completed``, then ``completed``; stripe-python 16.1.0 stripe/_payout.py
``reconciliation_status``), a while after ``payout.paid`` and, at ``late_rate``, days later.
Manual payouts (``manual=True``) take an amount of the holder's choosing out of what is
available, name no balance transactions (Stripe lists none by a manual payout), are
``not_applicable`` for reconciliation, and now and then one is canceled before it leaves.
"""

from __future__ import annotations

import copy
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from local_emulator.fakes.stripe.fx import Settlement
from local_emulator.fakes.stripe.versions import API_VERSION
from local_emulator.generator.balance import HOUR, balance_transaction, card_fee
from local_emulator.generator.connect import connect_movements
from local_emulator.generator.conversions import converted, settled
from local_emulator.generator.sim import DAY, MONTH_START

JsonDict = dict[str, Any]
UNKNOWN_TYPE = "something_new"


def payout_object(
    payout_id: str, currency: str, amount: int, created: int, txn: str, *, automatic: bool = True
) -> JsonDict:
    return {
        "id": payout_id,
        "object": "payout",
        "amount": amount,
        "application_fee": None,
        "application_fee_amount": None,
        "arrival_date": (created // DAY + 2) * DAY,
        "automatic": automatic,
        "balance_transaction": txn,
        "created": created,
        "currency": currency,
        "description": "STRIPE PAYOUT",
        "destination": f"ba_{currency}_operating",
        "failure_balance_transaction": None,
        "failure_code": None,
        "failure_message": None,
        "livemode": False,
        "metadata": {},
        "method": "standard",
        "original_payout": None,
        "reconciliation_status": "in_progress" if automatic else "not_applicable",
        "reversed_by": None,
        "source_type": "card",
        "statement_descriptor": None,
        "status": "pending",
        "type": "bank_account",
    }


@dataclass
class _Payouts:
    rng: random.Random
    tag: str
    fail_rate: float = 0.12
    in_transit_rate: float = 0.5
    late_rate: float = 0.0
    manual: bool = False
    cancel_rate: float = 0.0
    added: list[tuple[int, JsonDict]] = field(default_factory=list)  # (time, line)
    counter: int = 0
    event_counter: int = 0
    txn_payout: dict[str, str] = field(default_factory=dict)

    def new_id(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}_{self.tag}{self.counter:05d}"

    def event(self, event_type: str, when: int, obj: JsonDict) -> None:
        self.event_counter += 1
        self.added.append(
            (
                when,
                {
                    "id": f"evt_{self.tag}{self.event_counter:05d}",
                    "object": "event",
                    "api_version": API_VERSION,
                    "created": when,
                    "data": {"object": copy.deepcopy(obj)},
                    "livemode": False,
                    "pending_webhooks": 1,
                    "request": {"id": None, "idempotency_key": None},
                    "type": event_type,
                },
            )
        )

    def bare(self, when: int, obj: JsonDict) -> None:
        self.added.append((when, copy.deepcopy(obj)))

    def run(self, txns: dict[str, JsonDict], end: int) -> None:
        by_currency: dict[str, list[JsonDict]] = defaultdict(list)
        for txn in sorted(txns.values(), key=lambda t: (int(t["created"]), str(t["id"]))):
            by_currency[str(txn["currency"])].append(txn)
        for currency, pending in sorted(by_currency.items()):
            self._currency(currency, pending, end)

    def _currency(self, currency: str, pending: list[JsonDict], end: int) -> None:
        if self.manual:
            self._manual(currency, pending, end)
            return
        when = MONTH_START + self.rng.randint(2, 4) * DAY + 6 * HOUR
        while pending and when <= end:
            ready = [t for t in pending if int(t["available_on"]) <= when]
            amount = sum(int(t["net"]) for t in ready)
            if ready and amount > 0:
                pending[:] = [t for t in pending if t not in ready]
                returned = self._payout(currency, ready, amount, when, last=when + 4 * DAY > end)
                if returned is not None:
                    pending.append(returned)
            when += self.rng.randint(2, 4) * DAY

    def _payout(
        self, currency: str, ready: list[JsonDict], amount: int, when: int, *, last: bool
    ) -> JsonDict | None:
        payout_id, own_id = self.new_id("po"), self.new_id("txn")
        payout = payout_object(payout_id, currency, amount, when, own_id)
        own = balance_transaction(
            own_id, "payout", amount=-amount, fee=0, currency=currency, created=when,
            source=payout_id, description="STRIPE PAYOUT",
        )  # fmt: skip
        own["available_on"] = when
        for txn in [*ready, own]:
            self.txn_payout[str(txn["id"])] = payout_id
            self.bare(when, {**txn, "payout": payout_id, "status": "available"})
        self.event("payout.created", when, payout)
        if last and self.rng.random() < self.in_transit_rate:
            payout["status"] = "in_transit"  # still on its way when the month ends
            self.event("payout.updated", when + HOUR, payout)
            return None
        arrival = int(payout["arrival_date"])
        payout.update(status="paid")
        self.event("payout.paid", arrival + HOUR, payout)
        late = self.late_rate > 0 and self.rng.random() < self.late_rate
        reconciled_at = arrival + (2 * DAY + 5 * HOUR if late else 2 * HOUR)
        fails = self.rng.random() < self.fail_rate
        if not (late and fails):
            self._reconciled(payout, reconciled_at)
        if not fails:
            return None
        failure = balance_transaction(
            self.new_id("txn"), "payout_failure", amount=amount, fee=0, currency=currency,
            created=arrival + DAY, source=payout_id, description="Payout failure",
        )  # fmt: skip
        failure["available_on"] = arrival + DAY
        self.bare(arrival + DAY, failure)
        payout.update(
            status="failed",
            failure_code="account_closed",
            failure_message="The bank account has been closed",
            failure_balance_transaction=failure["id"],
        )
        self.event("payout.failed", arrival + DAY, payout)
        if late:
            self._reconciled(payout, reconciled_at)
        return failure

    def _reconciled(self, payout: JsonDict, when: int) -> None:
        payout["reconciliation_status"] = "completed"
        self.event("payout.reconciliation_completed", when, payout)

    def _manual(self, currency: str, pending: list[JsonDict], end: int) -> None:
        """Manual payouts at uneven times, each of part of what is available then; their
        balance transactions are not tagged (Stripe cannot say which a manual payout took)."""
        when = MONTH_START + self.rng.randint(3, 6) * DAY + self.rng.randint(1, 20) * HOUR
        paid_out = 0
        while when <= end:
            available = sum(int(t["net"]) for t in pending if int(t["available_on"]) <= when)
            amount = (available - paid_out) * self.rng.randint(60, 95) // 100
            if amount > 0:
                canceled = self.rng.random() < self.cancel_rate
                paid_out += 0 if canceled else amount
                self._manual_payout(currency, amount, when, canceled=canceled)
            when += self.rng.randint(3, 7) * DAY + self.rng.randint(1, 20) * HOUR

    def _manual_payout(self, currency: str, amount: int, when: int, *, canceled: bool) -> None:
        payout_id, own_id = self.new_id("po"), self.new_id("txn")
        payout = payout_object(payout_id, currency, amount, when, own_id, automatic=False)
        own = balance_transaction(
            own_id, "payout", amount=-amount, fee=0, currency=currency, created=when,
            source=payout_id, description="STRIPE PAYOUT",
        )  # fmt: skip
        own["available_on"] = when
        self.bare(when, own)
        self.event("payout.created", when, payout)
        if canceled:  # only a manual payout can be canceled, before it leaves (_payout.py cancel)
            back = balance_transaction(
                self.new_id("txn"), "payout_cancel", amount=amount, fee=0, currency=currency,
                created=when + 2 * HOUR, source=payout_id, description="Payout canceled",
            )  # fmt: skip
            back.update(available_on=when + 2 * HOUR, reporting_category="payout_reversal")
            self.bare(when + 2 * HOUR, back)
            payout.update(status="canceled")
            self.event("payout.canceled", when + 2 * HOUR, payout)
            return
        payout.update(status="paid")
        self.event("payout.paid", int(payout["arrival_date"]) + HOUR, payout)


def _activity(
    lines: list[JsonDict], rng: random.Random, tag: str, *, extras: bool, settlement: Settlement
) -> dict[str, JsonDict]:
    """Every balance transaction of the month by id, plus the ones this module adds."""
    txns: dict[str, JsonDict] = {}
    charges: dict[str, JsonDict] = {}
    for line in lines:
        if line.get("object") == "balance_transaction":
            txns[str(line["id"])] = line
        elif line.get("object") == "event":
            obj = (line.get("data") or {}).get("object") or {}
            if obj.get("object") == "charge":
                charges[str(obj["id"])] = obj
    with_txn = {str(t.get("source")) for t in txns.values()}
    for charge in charges.values():
        if charge.get("status") == "succeeded" and charge["id"] not in with_txn:
            amount = int(charge["amount"])
            txn = balance_transaction(
                f"txn_{tag}c{len(txns):05d}", "charge", amount=amount, fee=card_fee(amount),
                currency=str(charge["currency"]), created=int(charge["created"]),
                source=str(charge["id"]), description="Charge",
            )  # fmt: skip
            txns[txn["id"]] = converted(txn, settlement)
    if txns and extras:
        # in the account's settlement currency: USD, else the one most of its activity is in
        held = Counter(str(t["currency"]) for t in txns.values())
        currency = "usd" if "usd" in held else held.most_common(1)[0][0]
        times = sorted(int(t["created"]) for t in txns.values())
        middle = times[len(times) // 2] + rng.randint(1, 6) * HOUR
        unknown = balance_transaction(
            f"txn_{tag}u00001", UNKNOWN_TYPE, amount=rng.choice((-1, 1)) * rng.randint(100, 2_000),
            fee=0, currency=currency, created=middle, source=None,
            description="A kind of movement the sync has never seen",
        )  # fmt: skip
        fee = balance_transaction(
            f"txn_{tag}f00001", "stripe_fee", amount=-rng.randint(200, 900), fee=0,
            currency=currency, created=middle + DAY, source=None, description="Billing usage fee",
        )  # fmt: skip
        txns[unknown["id"]] = unknown
        txns[fee["id"]] = fee
    return txns


def _merge(lines: list[JsonDict], added: list[tuple[int, JsonDict]]) -> list[JsonDict]:
    """Insert the new lines into the month in time order (the month's own order kept)."""
    added = sorted(added, key=lambda item: item[0])
    out: list[JsonDict] = []
    index = 0
    for line in lines:
        created = int(line.get("created") or 0)
        if line.get("object") == "event":
            while index < len(added) and added[index][0] < created:
                out.append(added[index][1])
                index += 1
        out.append(line)
    out.extend(line for _, line in added[index:])
    return out


def _tag_disputes(lines: list[JsonDict], txn_payout: dict[str, str]) -> list[JsonDict]:
    """Dispute events embed their balance transactions: those copies name the payout too, so
    the seeded state (latest copy wins) lists them under it."""
    out = []
    for line in lines:
        obj = (line.get("data") or {}).get("object") if line.get("object") == "event" else None
        if isinstance(obj, dict) and obj.get("object") == "dispute":
            tagged = copy.deepcopy(line)
            for txn in tagged["data"]["object"].get("balance_transactions") or []:
                if str(txn.get("id")) in txn_payout:
                    txn["payout"] = txn_payout[str(txn["id"])]
            out.append(tagged)
        else:
            out.append(line)
    return out


def add_payouts(
    events: list[JsonDict],
    seed: int,
    *,
    fail_rate: float = 0.12,
    extras: bool = True,
    in_transit_rate: float = 0.5,
    late_rate: float = 0.0,
    manual: bool = False,
    cancel_rate: float = 0.0,
    connect: bool = False,
    settle: str | None = None,
    bank_currencies: tuple[str, ...] = (),
) -> list[JsonDict]:
    """The month's lines with its payouts added (events and bare balance transactions).

    ``fail_rate``: the share of paid payouts that fail afterwards; ``extras``: add one balance
    transaction of an unknown type and one Stripe fee (billed outside any payment);
    ``in_transit_rate``: the chance that the month's last payout is still on its way;
    ``late_rate``: the share of automatic payouts Stripe reconciles days after they are paid;
    ``manual``: manual payouts instead (``cancel_rate``: the share canceled before they leave);
    ``connect``: the account is a Connect platform (``_connect``); ``settle``: the account's
    default currency, where money charged in a currency outside ``bank_currencies`` settles,
    converted at the fake Stripe's stated rate (``fakes.stripe.fx``).
    """
    rng = random.Random(seed * 7_919 + 4)
    tag = f"p{seed}n"
    settlement = Settlement(settle, frozenset(c.lower() for c in bank_currencies))
    if settle is not None:
        events = settled(events, settlement)
    txns = _activity(events, rng, tag, extras=extras, settlement=settlement)
    connected: list[JsonDict] = []
    if connect:
        charges = sorted(
            (t for t in txns.values() if t["type"] == "charge"), key=lambda t: int(t["created"])
        )
        sources = [{"id": t["source"], "amount": t["amount"], "currency": t["currency"],
                    "created": t["created"]} for t in charges]  # fmt: skip
        connected = connect_movements(sources, rng, tag, txns)
    extra = [t for t in txns.values() if t["id"].startswith(f"txn_{tag}")]
    last = max((int(x.get("created") or 0) for x in events), default=MONTH_START)
    payouts = _Payouts(rng, tag, fail_rate, in_transit_rate, late_rate, manual, cancel_rate)
    for obj in [*extra, *connected]:
        payouts.bare(int(obj["created"]), obj)
    payouts.run(txns, last + 6 * DAY)
    return _merge(_tag_disputes(events, payouts.txn_payout), payouts.added)


__all__ = ["UNKNOWN_TYPE", "add_payouts", "card_fee"]
