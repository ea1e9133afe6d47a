"""The books Stripe implies, checked against QBO's state: exactly-once, totals, AR and clearing.

Pure: reads a scenario's latest Stripe state and a QBO state (``qbo.json``), trusts neither the
link table nor the runner's summary. QBO documents are matched to Stripe objects by the marker
``Stripe <kind> <id>`` in ``PrivateNote`` (customers: ``Notes``; items: ``Description``), the
first one found anywhere in the text. A void in QBO may replace the note ("Voided"), so a voided
document may have lost its marker: voided expectations accept zero or one zeroed document (an
invoice is also found by its DocNumber).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from local_emulator.harness.scenario import Scenario
from shared.domain.idempotency import doc_number_from_stripe_number
from shared.domain.money import decimal_from_minor

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
    """A QBO document one Stripe object should have."""

    entity: str
    kind: str
    stripe_id: str
    currency: str
    amount: Decimal | None = None  # TotalAmt, when the posting model fixes it
    voided: bool = False  # the document must be voided (or gone: a void drops the marker)


def _amount(value: Any) -> Decimal:
    return Decimal(str(value)) if value not in (None, "") else ZERO


def _marker(doc: JsonDict) -> tuple[str, str] | None:
    for name in NOTE_FIELDS:
        match = MARKER.search(str(doc.get(name) or ""))
        if match:
            return match.group(1), match.group(2)
    return None


def _currency(doc: JsonDict, home: str) -> str:
    ref = doc.get("CurrencyRef")
    value = ref.get("value") if isinstance(ref, dict) else None
    return str(value or home).upper()


def _zeroed(doc: JsonDict) -> bool:
    return _amount(doc.get("TotalAmt")) == 0 and _amount(doc.get("Balance")) == 0


class StripeBooks:
    """The latest Stripe state, grouped the way the posting model reads it."""

    def __init__(self, objects: Iterable[JsonDict]) -> None:
        self.by_type: dict[str, dict[str, JsonDict]] = defaultdict(dict)
        for obj in objects:
            self.by_type[str(obj.get("object"))][str(obj["id"])] = obj
        self.payments: dict[str, list[JsonDict]] = defaultdict(list)  # invoice -> paid ones
        self.invoice_charges: set[str] = set()  # charge and payment intent ids of invoices
        for payment in self.of("invoice_payment"):
            if payment.get("status") != "paid":
                continue
            self.payments[_ref(payment.get("invoice"))].append(payment)
            ref = payment.get("payment") or {}
            for key in ("charge", "payment_intent"):
                if ref.get(key):
                    self.invoice_charges.add(_ref(ref[key]))

    def of(self, object_type: str) -> list[JsonDict]:
        return list(self.by_type.get(object_type, {}).values())

    def invoices(self) -> list[JsonDict]:
        return [i for i in self.of("invoice") if i.get("status") != "draft"]

    def standalone_charges(self) -> list[JsonDict]:
        return [
            c
            for c in self.of("charge")
            if c.get("status") == "succeeded"
            and c["id"] not in self.invoice_charges
            and _ref(c.get("payment_intent")) not in self.invoice_charges
        ]

    def out_of_band(self, invoice: JsonDict) -> int:
        paid = sum(int(p["amount_paid"]) for p in self.payments.get(invoice["id"], []))
        return int(invoice.get("amount_paid") or 0) - paid

    def dispute_transactions(self) -> list[JsonDict]:
        found: dict[str, JsonDict] = {}
        for dispute in self.of("dispute"):
            for txn in dispute.get("balance_transactions") or []:
                if isinstance(txn, dict):
                    found[str(txn["id"])] = txn
        disputes = self.by_type.get("dispute", {})
        for txn in self.of("balance_transaction"):
            if _ref(txn.get("source")) in disputes:
                found.setdefault(str(txn["id"]), txn)
        return list(found.values())


def _ref(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("id") or "")
    return str(value or "")


def _money(minor: Any, currency: str) -> Decimal:
    return decimal_from_minor(int(minor or 0), currency)


def credit_part(note: JsonDict) -> int:
    """What a post-payment credit note credits to the customer's balance (not refunded)."""
    refunded = sum(int(r.get("amount_refunded") or 0) for r in note.get("refunds") or [])
    post = int(note.get("post_payment_amount") or 0)
    return post - refunded - int(note.get("out_of_band_amount") or 0)


def expected_documents(stripe: StripeBooks) -> list[Expected]:
    """Every QBO document (other than customers) the posting model calls for."""
    out: list[Expected] = []
    for inv in stripe.invoices():
        cur, iid, void = str(inv["currency"]), str(inv["id"]), inv["status"] == "void"
        out.append(
            Expected(
                "Invoice",
                "invoice",
                iid,
                cur,
                ZERO if void else _money(inv["total"], cur),
                voided=void,
            )
        )
        if inv["status"] in ("paid", "open", "uncollectible") and stripe.out_of_band(inv) > 0:
            out.append(
                Expected("Payment", "invoice_oob", iid, cur, _money(stripe.out_of_band(inv), cur))
            )
        if inv["status"] == "uncollectible" and int(inv["amount_remaining"]) > 0:
            out.append(
                Expected(
                    "CreditMemo", "invoice_writeoff", iid, cur, _money(inv["amount_remaining"], cur)
                )
            )
            out.append(Expected("Payment", "credit_application", iid, cur))
    for payments in stripe.payments.values():
        for p in payments:
            cur = str(p["currency"])
            out.append(
                Expected(
                    "Payment", "invoice_payment", str(p["id"]), cur, _money(p["amount_paid"], cur)
                )
            )
    for charge in stripe.standalone_charges():
        cur = str(charge["currency"])
        out.append(
            Expected(
                "SalesReceipt", "charge", str(charge["id"]), cur, _money(charge["amount"], cur)
            )
        )
    for refund in stripe.of("refund"):
        if refund.get("status") == "succeeded":
            cur = str(refund["currency"])
            out.append(
                Expected(
                    "RefundReceipt", "refund", str(refund["id"]), cur, _money(refund["amount"], cur)
                )
            )
    for note in stripe.of("credit_note"):
        cur, nid, void = str(note["currency"]), str(note["id"]), note.get("status") == "void"
        if note.get("type") == "pre_payment":
            amount = ZERO if void else _money(note["amount"], cur)
            out.append(Expected("CreditMemo", "credit_note", nid, cur, amount, voided=void))
            out.append(Expected("Payment", "credit_application", nid, cur, voided=void))
        elif credit_part(note) > 0:
            amount = ZERO if void else _money(credit_part(note), cur)
            out.append(Expected("CreditMemo", "credit_note", nid, cur, amount, voided=void))
    for txn in stripe.dispute_transactions():
        out.append(Expected("JournalEntry", "dispute_txn", str(txn["id"]), str(txn["currency"])))
    products = {
        _ref(((line.get("pricing") or {}).get("price_details") or {}).get("product"))
        or _ref(
            (line.get("price") or {}).get("product")
            if isinstance(line.get("price"), dict)
            else None
        )
        for inv in stripe.invoices()
        for line in (inv.get("lines") or {}).get("data") or []
    }
    out.extend(Expected("Item", "product", p, "") for p in sorted(products - {""}))
    return out


class QboIndex:
    """QBO documents by marker, and who is who among customers."""

    def __init__(self, qbo_state: JsonDict, home: str) -> None:
        self.state, self.home = qbo_state, home
        self.marked: dict[tuple[str, str], list[tuple[str, JsonDict]]] = defaultdict(list)
        self.unmarked: list[tuple[str, JsonDict]] = []
        for entity, docs in qbo_state.items():
            for doc in docs if isinstance(docs, list) else []:
                marker = _marker(doc)
                if marker is not None:
                    self.marked[marker].append((entity, doc))
                elif entity in TRANSACTIONS:
                    self.unmarked.append((entity, doc))
        # QBO customer id -> (Stripe customer id, currency)
        self.customers: dict[str, tuple[str, str]] = {
            str(doc["Id"]): (sid, _currency(doc, home))
            for (kind, sid), found in self.marked.items()
            if kind == "customer"
            for entity, doc in found
            if entity == "Customer"
        }

    def docs(self, entity: str) -> list[JsonDict]:
        docs = self.state.get(entity) or []
        return docs if isinstance(docs, list) else []


def _check_documents(stripe: StripeBooks, qbo: QboIndex) -> list[Violation]:
    out: list[Violation] = []
    expected = expected_documents(stripe)
    wanted = {(e.kind, e.stripe_id): e for e in expected}
    doc_numbers = {
        doc_number_from_stripe_number(str(i["number"])): str(i["id"])
        for i in stripe.invoices()
        if i.get("number")
    }
    claimed: set[int] = set()
    for exp in expected:
        found = [
            d for entity, d in qbo.marked.get((exp.kind, exp.stripe_id), []) if entity == exp.entity
        ]
        if exp.kind == "invoice" and exp.voided and not found:
            found = [
                d
                for entity, d in qbo.unmarked
                if entity == "Invoice" and doc_numbers.get(str(d.get("DocNumber"))) == exp.stripe_id
            ]
        claimed.update(id(d) for d in found)
        out.extend(_check_one(exp, found, qbo.home))
    if stripe.by_type.get("invoice"):
        out.extend(_check_invoices(stripe, qbo, doc_numbers))
    for (kind, sid), marked in qbo.marked.items():
        for entity, doc in marked:
            if kind != "customer" and (kind, sid) not in wanted:
                out.append(
                    Violation(
                        "unexpected",
                        sid,
                        f"{entity} {doc.get('Id')} for a {kind} that should have none",
                    )
                )
            elif kind != "customer" and wanted[(kind, sid)].entity != entity:
                out.append(
                    Violation(
                        "unexpected",
                        sid,
                        f"{entity} {doc.get('Id')} for {kind}; "
                        f"expected a {wanted[(kind, sid)].entity}",
                    )
                )
    for entity, doc in qbo.unmarked:
        if id(doc) not in claimed and not _zeroed(doc):
            out.append(
                Violation("unattributed", "-", f"{entity} {doc.get('Id')} carries no Stripe marker")
            )
    return out


def _check_one(exp: Expected, found: list[JsonDict], home: str) -> list[Violation]:
    sid, what = exp.stripe_id, f"{exp.entity} for {exp.kind}"
    if len(found) > 1:
        ids = ", ".join(str(d.get("Id")) for d in found)
        return [Violation("duplicate", sid, f"{len(found)} QBO {what} (Ids {ids})")]
    if exp.voided:
        if found and not _zeroed(found[0]):
            return [Violation("not_voided", sid, f"QBO {what} {found[0].get('Id')} is not void")]
        if not found and exp.kind == "invoice":
            return [Violation("missing", sid, f"no QBO {what} (voided)")]
        return []
    if not found:
        return [Violation("missing", sid, f"no QBO {what}")]
    doc, out = found[0], []
    if exp.currency and _currency(doc, home) != exp.currency.upper():
        out.append(
            Violation(
                "currency",
                sid,
                f"QBO {what} in {_currency(doc, home)}, Stripe in {exp.currency.upper()}",
            )
        )
    if exp.amount is not None and _amount(doc.get("TotalAmt")) != exp.amount:
        rule = "invoice_total" if exp.kind == "invoice" else "amount"
        out.append(
            Violation(
                rule,
                sid,
                f"QBO {what} TotalAmt {_amount(doc.get('TotalAmt'))}, Stripe {exp.amount}",
            )
        )
    return out


def _check_invoices(
    stripe: StripeBooks, qbo: QboIndex, doc_numbers: dict[str, str]
) -> list[Violation]:
    out: list[Violation] = []
    for inv in stripe.invoices():
        found = [d for e, d in qbo.marked.get(("invoice", str(inv["id"])), []) if e == "Invoice"]
        if len(found) != 1:
            continue
        doc, cur = found[0], str(inv["currency"])
        remaining = int(inv["amount_remaining"]) if inv["status"] == "open" else 0
        if _amount(doc.get("Balance")) != _money(remaining, cur):
            out.append(
                Violation(
                    "invoice_balance",
                    str(inv["id"]),
                    f"QBO Balance {_amount(doc.get('Balance'))}, Stripe "
                    f"{_money(remaining, cur)} ({inv['status']})",
                )
            )
        number = inv.get("number")
        if number and str(doc.get("DocNumber")) != doc_number_from_stripe_number(str(number)):
            out.append(
                Violation(
                    "doc_number",
                    str(inv["id"]),
                    f"QBO DocNumber {doc.get('DocNumber')!r} for Stripe number {number!r}",
                )
            )
    return out


def _check_customers(stripe: StripeBooks, qbo: QboIndex) -> list[Violation]:
    required: set[tuple[str, str]] = set()
    for inv in stripe.invoices():
        required.add((_ref(inv.get("customer")), str(inv["currency"]).upper()))
    for charge in stripe.standalone_charges():
        if charge.get("customer"):
            required.add((_ref(charge["customer"]), str(charge["currency"]).upper()))
    # A customer may also be on file in its own currency or the home one before it trades.
    optional = {
        (str(c["id"]), str(currency or qbo.home).upper())
        for c in stripe.of("customer")
        for currency in (c.get("currency"), qbo.home)
    }
    counts: dict[tuple[str, str], list[str]] = defaultdict(list)
    for qbo_id, key in qbo.customers.items():
        counts[key].append(qbo_id)
    out: list[Violation] = []
    for key, ids in sorted(counts.items()):
        if len(ids) > 1:
            out.append(
                Violation(
                    "duplicate",
                    key[0],
                    f"{len(ids)} QBO Customers in {key[1]} (Ids {', '.join(ids)})",
                )
            )
        if key not in required and key not in optional:
            out.append(
                Violation(
                    "unexpected", key[0], f"QBO Customer in {key[1]}, a currency it does not use"
                )
            )
    for key in sorted(required - set(counts)):
        out.append(Violation("missing", key[0], f"no QBO Customer in {key[1]}"))
    return out


def _check_receivables(stripe: StripeBooks, qbo: QboIndex) -> list[Violation]:
    expected: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for inv in stripe.invoices():
        if inv["status"] == "open":
            key = (_ref(inv.get("customer")), str(inv["currency"]).upper())
            expected[key] += _money(inv["amount_remaining"], str(inv["currency"]))
    for customer in stripe.of("customer"):
        if int(customer.get("balance") or 0):
            currency = str(customer.get("currency") or qbo.home)
            expected[(str(customer["id"]), currency.upper())] += _money(
                customer["balance"], currency
            )
    actual: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    signs = {
        "Invoice": ("Balance", 1),
        "CreditMemo": ("RemainingCredit", -1),
        "Payment": ("UnappliedAmt", -1),
    }
    for entity, (field, sign) in signs.items():
        for doc in qbo.docs(entity):
            ref = doc.get("CustomerRef")
            owner = qbo.customers.get(str(ref.get("value")) if isinstance(ref, dict) else "")
            if owner is not None:
                actual[owner] += sign * _amount(doc.get(field, doc.get("Balance")))
    return [
        Violation("ar", key[0], f"{key[1]} receivable: Stripe {expected[key]}, QBO {actual[key]}")
        for key in sorted(set(expected) | set(actual))
        if expected[key] != actual[key]
    ]


def _check_clearing(stripe: StripeBooks, qbo: QboIndex, name: str) -> list[Violation]:
    expected: dict[str, Decimal] = defaultdict(Decimal)
    for payments in stripe.payments.values():
        for p in payments:
            expected[str(p["currency"])] += _money(p["amount_paid"], str(p["currency"]))
    for charge in stripe.standalone_charges():
        expected[str(charge["currency"])] += _money(charge["amount"], str(charge["currency"]))
    for refund in stripe.of("refund"):
        if refund.get("status") == "succeeded":
            expected[str(refund["currency"])] -= _money(refund["amount"], str(refund["currency"]))
    for txn in stripe.dispute_transactions():
        net = int(txn.get("net", int(txn["amount"]) - int(txn.get("fee") or 0)))
        expected[str(txn["currency"])] += _money(net, str(txn["currency"]))
    accounts = {str(a.get("Name")): a for a in qbo.docs("Account")}
    currencies = set(expected)
    for account_name in accounts:
        if account_name.startswith(f"{name} ") and len(account_name) == len(name) + 4:
            currencies.add(account_name[-3:].lower())
    out = []
    for currency in sorted(currencies):
        home = currency.lower() == qbo.home.lower()
        account_name = name if home else f"{name} {currency.upper()}"
        account = accounts.get(account_name)
        actual = _amount(account.get("CurrentBalance")) if account else ZERO
        if actual != expected[currency]:
            out.append(
                Violation(
                    "clearing",
                    account_name,
                    f"Stripe {expected[currency]} {currency.upper()}, QBO {actual}",
                )
            )
    return out


def check_invariants(
    scenario: Scenario,
    qbo_state: JsonDict,
    *,
    home_currency: str = "usd",
    clearing_account_name: str = "Stripe Clearing",
) -> list[Violation]:
    """Every way QBO's books disagree with what Stripe's latest state implies (empty: agree)."""
    stripe = StripeBooks(o for o in scenario.seed_state() if o.get("object") != "event")
    qbo = QboIndex(qbo_state, home_currency)
    return [
        *_check_documents(stripe, qbo),
        *_check_customers(stripe, qbo),
        *_check_receivables(stripe, qbo),
        *_check_clearing(stripe, qbo, clearing_account_name),
    ]
