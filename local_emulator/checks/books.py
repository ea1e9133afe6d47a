"""What the checker reads: the latest Stripe state, grouped the way the posting model reads it,
and QBO's state (``qbo.json``) indexed by the Stripe marker each document carries.

QBO documents are matched to Stripe objects by the marker ``Stripe <kind> <id>`` in
``PrivateNote`` (customers: ``Notes``; items: ``Description``), the first one found anywhere in
the text, never through the link table. Money is Stripe's integer minor units turned into
``Decimal`` with the currency's exponent, as QBO keeps it: three-decimal currencies under the
README's rounding policy (``rounding``).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from local_emulator.checks import rounding

JsonDict = dict[str, Any]
MARKER = re.compile(r"Stripe ([a-z_]+) ([A-Za-z0-9]+_[A-Za-z0-9_]+)")
NOTE_FIELDS = ("PrivateNote", "Notes", "Description")
TRANSACTIONS = (
    "Invoice",
    "Payment",
    "CreditMemo",
    "SalesReceipt",
    "RefundReceipt",
    "JournalEntry",
    "Deposit",
    "Purchase",
    "Transfer",
)
ZERO = Decimal(0)


@dataclass(frozen=True)
class Violation:
    """One broken rule; ids and amounts only, never names or emails."""

    rule: str
    stripe_id: str
    detail: str


@dataclass(frozen=True)
class Expected:
    """A QBO document one Stripe object should have.

    ``many``: zero or more documents of this marker are allowed (how many is the posting
    code's choice, e.g. a payout's fee entries); the family that expects them checks their sum.
    """

    entity: str
    kind: str
    stripe_id: str
    currency: str
    amount: Decimal | None = None  # TotalAmt, when the posting model fixes it
    voided: bool = False  # the document must be voided (or gone: a void drops the marker)
    many: bool = False
    # zero or one: Stripe's final state cannot say which (a product deleted after its lines may
    # have been booked on its item, while it was live)
    optional: bool = False


@dataclass(frozen=True)
class Options:
    # None: the QBO company's own (its Preferences in the state, ``home_of``)
    home_currency: str | None = None
    clearing_account_name: str = "Stripe Clearing"
    # Stripe Connect: the accounts the README names (settings' defaults)
    platform_fees_account_name: str = "Stripe Platform Fees"
    platform_fee_refunds_account_name: str = "Stripe Platform Fee Refunds"
    connect_transfers_account_name: str = "Stripe Connect Transfers"

    def clearing_account(self, currency: str) -> str:
        """The clearing account of a currency: the home one bare, others ``<name> EUR``."""
        if currency.lower() == (self.home_currency or "usd").lower():
            return self.clearing_account_name
        return f"{self.clearing_account_name} {currency.upper()}"


def amount_of(value: Any) -> Decimal:
    return Decimal(str(value)) if value not in (None, "") else ZERO


def money(minor: Any, currency: str) -> Decimal:
    """What QBO holds for a Stripe amount (three-decimal currencies rounded to 2 places)."""
    return rounding.books(minor, currency)


def ref(value: Any) -> str:
    """An id, from an id or an expanded object."""
    if isinstance(value, dict):
        return str(value.get("id") or "")
    return str(value or "")


def home_of(qbo_state: JsonDict) -> str:
    """The company's home currency, as its Preferences say (USD when the state has none)."""
    for prefs in qbo_state.get("Preferences") or []:
        home = ((prefs.get("CurrencyPrefs") or {}).get("HomeCurrency") or {}).get("value")
        if home:
            return str(home).lower()
    return "usd"


def marker_of(doc: JsonDict) -> tuple[str, str] | None:
    for name in NOTE_FIELDS:
        match = MARKER.search(str(doc.get(name) or ""))
        if match:
            return match.group(1), match.group(2)
    return None


def currency_of(doc: JsonDict, home: str) -> str:
    value = doc.get("CurrencyRef")
    code = value.get("value") if isinstance(value, dict) else None
    return str(code or home).upper()


def zeroed(doc: JsonDict) -> bool:
    return amount_of(doc.get("TotalAmt")) == 0 and amount_of(doc.get("Balance")) == 0


class StripeBooks:
    """The latest Stripe state by object type, with the links the posting model follows."""

    def __init__(self, objects: Iterable[JsonDict]) -> None:
        self.by_type: dict[str, dict[str, JsonDict]] = defaultdict(dict)
        for obj in objects:
            self.by_type[str(obj.get("object"))][str(obj["id"])] = obj
        self.payments: dict[str, list[JsonDict]] = defaultdict(list)  # invoice -> paid ones
        self.invoice_charges: set[str] = set()  # charge and payment intent ids of invoices
        for payment in self.of("invoice_payment"):
            if payment.get("status") != "paid":
                continue
            self.payments[ref(payment.get("invoice"))].append(payment)
            paid_with = payment.get("payment") or {}
            for key in ("charge", "payment_intent"):
                if paid_with.get(key):
                    self.invoice_charges.add(ref(paid_with[key]))

    def of(self, object_type: str) -> list[JsonDict]:
        return list(self.by_type.get(object_type, {}).values())

    def get(self, object_type: str, object_id: str) -> JsonDict | None:
        return self.by_type.get(object_type, {}).get(object_id)

    def invoices(self) -> list[JsonDict]:
        return [i for i in self.of("invoice") if i.get("status") != "draft"]

    def succeeded_charges(self) -> list[JsonDict]:
        return [c for c in self.of("charge") if c.get("status") == "succeeded"]

    def standalone_charges(self) -> list[JsonDict]:
        """Succeeded charges that pay no invoice (each is a sales receipt)."""
        return [
            c
            for c in self.succeeded_charges()
            if c["id"] not in self.invoice_charges
            and ref(c.get("payment_intent")) not in self.invoice_charges
        ]

    def succeeded_refunds(self) -> list[JsonDict]:
        return [r for r in self.of("refund") if r.get("status") == "succeeded"]

    def applied(self) -> dict[str, Decimal]:
        """Settlement id -> what it applies to its invoice under the rounding policy (a payment,
        a credit note; ``oob:``/``writeoff:`` + invoice id), for every invoice."""
        notes: dict[str, list[JsonDict]] = defaultdict(list)
        for note in self.of("credit_note"):
            notes[ref(note.get("invoice"))].append(note)
        found: dict[str, Decimal] = {}
        for inv in self.invoices():
            payments = self.payments.get(inv["id"], [])
            found.update(rounding.invoice_settlements(inv, payments, notes[inv["id"]]))
        return found

    def out_of_band(self, invoice: JsonDict) -> int:
        """What was paid on the invoice outside Stripe's payments, in minor units."""
        paid = sum(int(p["amount_paid"]) for p in self.payments.get(invoice["id"], []))
        return int(invoice.get("amount_paid") or 0) - paid

    def dispute_transactions(self) -> list[JsonDict]:
        """Every balance transaction of a dispute (embedded in it, or naming it as source)."""
        found: dict[str, JsonDict] = {}
        for dispute in self.of("dispute"):
            for txn in dispute.get("balance_transactions") or []:
                if isinstance(txn, dict):
                    found[str(txn["id"])] = txn
        disputes = self.by_type.get("dispute", {})
        for txn in self.of("balance_transaction"):
            if ref(txn.get("source")) in disputes:
                found.setdefault(str(txn["id"]), txn)
        return list(found.values())


class QboIndex:
    """QBO documents by marker, the unmarked ones, and who is who among customers."""

    def __init__(self, qbo_state: JsonDict, home: str) -> None:
        self.state, self.home = qbo_state, home
        self.marked: dict[tuple[str, str], list[tuple[str, JsonDict]]] = defaultdict(list)
        self.unmarked: list[tuple[str, JsonDict]] = []
        for entity, docs in qbo_state.items():
            for doc in docs if isinstance(docs, list) else []:
                marker = marker_of(doc)
                if marker is not None:
                    self.marked[marker].append((entity, doc))
                elif entity in TRANSACTIONS:
                    self.unmarked.append((entity, doc))
        # QBO customer id -> (Stripe customer id, currency)
        self.customers: dict[str, tuple[str, str]] = {
            str(doc["Id"]): (sid, currency_of(doc, home))
            for (kind, sid), found in self.marked.items()
            if kind == "customer"
            for entity, doc in found
            if entity == "Customer"
        }
        self.accounts: dict[str, JsonDict] = {
            str(a.get("Name")): a for a in self.docs("Account") if isinstance(a, dict)
        }

    def docs(self, entity: str) -> list[JsonDict]:
        docs = self.state.get(entity) or []
        return docs if isinstance(docs, list) else []

    def found(self, kind: str, stripe_id: str, entity: str) -> list[JsonDict]:
        return [d for e, d in self.marked.get((kind, stripe_id), []) if e == entity]

    def account_balance(self, name: str) -> Decimal:
        return amount_of((self.accounts.get(name) or {}).get("CurrentBalance"))

    def account_id(self, name: str) -> str | None:
        account = self.accounts.get(name)
        return str(account["Id"]) if account and "Id" in account else None
