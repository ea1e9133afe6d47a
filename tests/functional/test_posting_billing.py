"""Stripe Billing flows through the worker against the fake servers: credit balances, shipping,
billing credits, payments attached late, payment records, products Stripe will not return."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from flask.testing import FlaskClient

from local_emulator.checks.invariants import check_invariants
from local_emulator.generator.invoices import InvoiceTerms, LineSpec
from local_emulator.generator.sim import DAY, StripeSim
from local_emulator.harness.scenario import scenario_of_lines
from local_emulator.harness.stack import LocalStack
from shared import bootstrap
from shared.adapters.stripe_gateway import StripeApiGateway
from shared.ports import JsonDict
from tests.functional.test_posting import balance, entities, sync

RESTRICTED_KEY = "rk_test_local_restricted_key"


def seed(stack: LocalStack, sim: StripeSim) -> None:
    """The fake Stripe holds the latest state of everything the simulator did so far."""
    for obj in scenario_of_lines(sim.lines).seed_state():
        if obj.get("object") != "event":
            stack.fake_stripe.seed_object(obj)


def finalized(
    sim: StripeSim, customer: str, specs: list[LineSpec], currency: str = "usd", **terms: Any
) -> str:
    invoice = sim.draft(customer, currency, specs, InvoiceTerms(**terms))
    sim.at(sim.now + 600)
    sim.finalize(invoice)
    sim.at(sim.now + DAY)
    return invoice


def doc_of(stack: LocalStack, entity: str, marker: str) -> JsonDict:
    (doc,) = [d for d in entities(stack.fake_qbo, entity) if marker in str(d.get("PrivateNote"))]
    return doc


def amount(value: Any) -> Decimal:
    return Decimal(str(value))


def test_shipping_and_its_tax_are_lines(stack: LocalStack, client: FlaskClient) -> None:
    sim = StripeSim(tag="ship")
    customer = sim.customer("Customer 0001 Ltd", "usd")
    invoice = finalized(
        sim,
        customer,
        [LineSpec("Starter kit", 4_900, 2)],
        tax_basis_points=725,
        tax_rate_id="txr_1",
        shipping=1_500,
        shipping_rate_id="shr_1",
    )
    seed(stack, sim)
    sync(client, "invoice", invoice)
    doc = doc_of(stack, "Invoice", f"Stripe invoice {invoice}")
    assert amount(doc["TotalAmt"]) == Decimal(sim.get(invoice)["total"]) / 100
    shipping = [line for line in doc["Line"] if line.get("Description") == "Shipping"]
    tax = [line for line in doc["Line"] if line.get("Description") == "Tax"]
    assert [amount(line["Amount"]) for line in shipping] == [Decimal("15.00")]
    # 7.25 % on 98.00 and on 15.00 of shipping, each rounded half up: 7.11 + 1.09
    assert [amount(line["Amount"]) for line in tax] == [Decimal("8.20")]


def test_billing_credits_and_discounts_are_not_counted_twice(
    stack: LocalStack, client: FlaskClient
) -> None:
    sim = StripeSim(tag="cred")
    customer = sim.customer("Customer 0001 Ltd", "usd")
    invoice = finalized(
        sim,
        customer,
        [LineSpec("API calls", 2, 40_000), LineSpec("Platform fee", 4_900)],
        discount_percent=10,
        discount_id="di_1",
        billing_credits=20_000,
        credit_txn_id="bctxn_1",
    )
    seed(stack, sim)
    sync(client, "invoice", invoice)
    doc = doc_of(stack, "Invoice", f"Stripe invoice {invoice}")
    assert amount(doc["TotalAmt"]) == Decimal(sim.get(invoice)["total"]) / 100 == Decimal("564.10")
    credits = [line for line in doc["Line"] if line.get("Description") == "Billing credits applied"]
    assert [amount(line["Amount"]) for line in credits] == [Decimal("-200.00")]


def test_customer_credit_pays_invoices_and_the_rest_stays_unapplied(
    stack: LocalStack, client: FlaskClient
) -> None:
    sim = StripeSim(tag="bal")
    customer = sim.customer("Customer 0001 Ltd", "usd")
    first = finalized(sim, customer, [LineSpec("Seats", 1_200, 5)])
    sim.pay(first)
    note = sim.credit_note(first, 3_000)
    adjustment = sim.adjust_balance(customer, -5_000, "Goodwill credit")
    covered = finalized(sim, customer, [LineSpec("Platform fee", 4_900)])
    partly = finalized(sim, customer, [LineSpec("Support plan", 19_900)])
    seed(stack, sim)
    assert sim.get(covered)["status"] == "paid" and sim.get(covered)["amount_paid"] == 0
    # the invoices first: each posts the credits it used on the way (credit note, adjustment)
    for invoice in (partly, covered, partly):
        sync(client, "invoice", invoice)
    sync(client, "customer", customer)
    sync(client, "credit_note", note)
    assert amount(doc_of(stack, "Invoice", f"Stripe invoice {covered}")["Balance"]) == 0
    remaining = Decimal(sim.get(partly)["amount_remaining"]) / 100
    assert amount(doc_of(stack, "Invoice", f"Stripe invoice {partly}")["Balance"]) == remaining
    memos = entities(stack.fake_qbo, "CreditMemo")
    assert sum(amount(m["RemainingCredit"]) for m in memos) == 0  # all 80.00 used: 49.00 + 31.00
    assert doc_of(stack, "CreditMemo", f"Stripe balance_txn {adjustment}")
    applications = [
        p
        for p in entities(stack.fake_qbo, "Payment")
        if "balance_application" in str(p.get("PrivateNote"))
    ]
    assert len(applications) == 2 and all(amount(p["TotalAmt"]) == 0 for p in applications)
    assert sim.get(customer)["balance"] == 0


def test_a_voided_invoice_gives_its_credit_back(stack: LocalStack, client: FlaskClient) -> None:
    sim = StripeSim(tag="void")
    customer = sim.customer("Customer 0001 Ltd", "usd")
    sim.adjust_balance(customer, -2_500, "Goodwill credit")
    voided = finalized(sim, customer, [LineSpec("Seats", 1_200, 5)])
    seed(stack, sim)
    sync(client, "invoice", voided)  # open: the credit is applied to it
    sim.void(voided)
    seed(stack, sim)
    sync(client, "invoice", voided, retry=1)
    doc = doc_of(stack, "Invoice", f"Stripe invoice {voided}")
    assert amount(doc["TotalAmt"]) == 0
    (memo,) = entities(stack.fake_qbo, "CreditMemo")
    assert (
        amount(memo["RemainingCredit"])
        == Decimal("25.00")
        == -Decimal(sim.get(customer)["balance"]) / 100
    )


@pytest.mark.parametrize("void_second", [False, True], ids=["used", "given_back"])
def test_three_decimal_credit_is_used_under_the_rounding_policy(
    stack: LocalStack, client: FlaskClient, void_second: bool
) -> None:
    """KWD 0.670 of credit is a memo of 0.67; two invoices use 0.335 each, 0.34 in QBO (rule 4):
    the second finds 0.33 and a rounding memo gives the last cent, so both are settled. Voided,
    the second gives its 0.34 back (0.335 in Stripe)."""
    sim = StripeSim(tag="kwd")
    customer = sim.customer("Customer 0001 WLL", "kwd")
    sim.adjust_balance(customer, -670, "Goodwill credit")
    first = finalized(sim, customer, [LineSpec("Usage", 335)], "kwd")
    second = finalized(sim, customer, [LineSpec("Usage", 500 if void_second else 335)], "kwd")
    seed(stack, sim)
    for invoice in (second, first):
        sync(client, "invoice", invoice)
    if void_second:
        sim.void(second)
        seed(stack, sim)
        sync(client, "invoice", second, retry=1)
    sync(client, "customer", customer)
    rounding = doc_of(stack, "CreditMemo", "Stripe credit_rounding")
    assert amount(rounding["TotalAmt"]) == Decimal("0.01")
    held = sum(amount(m["RemainingCredit"]) for m in entities(stack.fake_qbo, "CreditMemo"))
    assert held == (Decimal("0.34") if void_second else 0)
    state = json.loads(json.dumps(stack.fake_qbo.state_json(), default=str))
    assert check_invariants(scenario_of_lines(sim.lines), state) == []


def test_qbo_applying_a_new_credit_itself_is_undone(stack: LocalStack, client: FlaskClient) -> None:
    """With "Automatically apply credits" on, QBO applies an adjustment's new memo to the
    customer's oldest open invoice; Stripe keeps that credit for the next invoice, and so do
    the books."""
    stack.fake_qbo.books.auto_apply_credit = True
    sim = StripeSim(tag="auto")
    customer = sim.customer("Customer 0001 Ltd", "usd")
    older = finalized(sim, customer, [LineSpec("Seats", 1_200, 5)])
    seed(stack, sim)
    sync(client, "invoice", older)
    adjustment = sim.adjust_balance(customer, -2_500, "Goodwill credit")
    seed(stack, sim)
    sync(client, "customer", customer)
    assert amount(doc_of(stack, "Invoice", f"Stripe invoice {older}")["Balance"]) == 60
    memo = doc_of(stack, "CreditMemo", f"Stripe balance_txn {adjustment}")
    assert amount(memo["RemainingCredit"]) == 25
    newer = finalized(sim, customer, [LineSpec("Platform fee", 4_900)])
    seed(stack, sim)
    sync(client, "invoice", newer)
    assert amount(doc_of(stack, "Invoice", f"Stripe invoice {newer}")["Balance"]) == 24
    assert amount(doc_of(stack, "Invoice", f"Stripe invoice {older}")["Balance"]) == 60
    state = json.loads(json.dumps(stack.fake_qbo.state_json(), default=str))
    assert check_invariants(scenario_of_lines(sim.lines), state) == []


def test_a_credit_posted_on_the_way_waits_for_its_customers_lease(
    stack: LocalStack, client: FlaskClient
) -> None:
    """The adjustment's memo is the customer's family: while another worker holds the
    customer, the invoice that used its credit writes none of the customer's documents and
    comes back seconds later (its own lease given back, unsettled as after any retry)."""
    sim = StripeSim(tag="lease")
    customer = sim.customer("Customer 0001 Ltd", "usd")
    adjustment = sim.adjust_balance(customer, -2_500, "Goodwill credit")
    invoice = finalized(sim, customer, [LineSpec("Seats", 1_200, 5)])
    seed(stack, sim)
    other = bootstrap.leases().acquire(f"customer:{customer}", "another", timedelta(minutes=6))
    held = sync(client, "invoice", invoice)
    assert held["outcome"] == "RETRY_SCHEDULED"
    assert not [m for m in entities(stack.fake_qbo, "CreditMemo") if adjustment in str(m)]
    bootstrap.leases().release(other)
    sync(client, "invoice", invoice, retry=1)
    assert doc_of(stack, "CreditMemo", f"Stripe balance_txn {adjustment}")
    assert amount(doc_of(stack, "Invoice", f"Stripe invoice {invoice}")["Balance"]) == 35


def paid_apart(stack: LocalStack, tag: str, amount: int) -> tuple[StripeSim, str, str, str]:
    """An open invoice of 60.00 and a PaymentIntent of ``amount`` paid for no invoice yet:
    (the simulator, the invoice, the PaymentIntent, its charge), all in the fake Stripe."""
    sim = StripeSim(tag=tag)
    customer = sim.customer("Customer 0001 Ltd", "usd")
    invoice = finalized(sim, customer, [LineSpec("Seats", 1_200, 5)])
    intent = sim.standalone_payment(customer, "usd", amount)
    seed(stack, sim)
    return sim, invoice, intent, str(sim.get(intent)["latest_charge"])


def test_a_receipt_posted_before_the_attachment_is_voided(
    stack: LocalStack, client: FlaskClient
) -> None:
    sim, invoice, intent, charge = paid_apart(stack, "att", 3_000)
    sync(client, "charge", charge)  # not attached yet: a sale paid at once
    assert amount(doc_of(stack, "SalesReceipt", f"Stripe charge {charge}")["TotalAmt"]) == 30
    sim.attach(invoice, intent)
    seed(stack, sim)
    sync(client, "invoice", invoice)
    sync(client, "charge", charge)  # again: nothing new
    receipt = doc_of(stack, "SalesReceipt", f"Stripe charge {charge}")
    assert amount(receipt["TotalAmt"]) == 0  # voided
    assert amount(doc_of(stack, "Invoice", f"Stripe invoice {invoice}")["Balance"]) == 30
    assert balance(stack.fake_qbo, "Stripe Clearing") == Decimal("30.00")  # received once


class AttachingGateway:
    """The real gateway, but the first time the worker asks whether a PaymentIntent is attached,
    Stripe attaches it right after answering (the race the second look is there for)."""

    def __init__(self, real: StripeApiGateway, attach: Callable[[], None]) -> None:
        self._real, self._attach, self.asked = real, attach, 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def list_objects(self, object_type: str, filters: Mapping[str, Any]) -> list[JsonDict]:
        found = self._real.list_objects(object_type, filters)
        if object_type == "invoice_payment" and "payment" in filters:
            self.asked += 1
            if self.asked == 1:
                self._attach()
        return found


def test_an_attachment_while_the_receipt_is_posted_voids_it(
    stack: LocalStack, client: FlaskClient
) -> None:
    sim, invoice, intent, charge = paid_apart(stack, "race", 6_000)

    def attach() -> None:
        sim.attach(invoice, intent)
        seed(stack, sim)

    gateway = AttachingGateway(StripeApiGateway(bootstrap.settings(), bootstrap.secrets()), attach)
    bootstrap.override(stripe_gateway=gateway)
    sync(client, "charge", charge)
    assert gateway.asked == 2
    assert amount(doc_of(stack, "SalesReceipt", f"Stripe charge {charge}")["TotalAmt"]) == 0
    sync(client, "invoice", invoice)  # what the attachment's invoice_payment.paid asks for
    assert amount(doc_of(stack, "Invoice", f"Stripe invoice {invoice}")["Balance"]) == 0
    assert balance(stack.fake_qbo, "Stripe Clearing") == Decimal("60.00")


def test_payment_records_and_their_refunds_stay_out_of_clearing(
    stack: LocalStack, client: FlaskClient
) -> None:
    sim = StripeSim(tag="rec")
    customer = sim.customer("Customer 0001 Ltd", "usd")
    invoice = finalized(sim, customer, [LineSpec("Seats", 1_200, 5)])
    sim.record_payment(invoice, 6_000, "WIRE-1")
    note = sim.credit_note(invoice, 2_000, refund=1_500)
    seed(stack, sim)
    sync(client, "invoice", invoice)
    sync(client, "credit_note", note)
    assert balance(stack.fake_qbo, "Payments to deposit") == Decimal("45.00")  # 60.00 - 15.00
    assert "Stripe Clearing" not in {a["Name"] for a in entities(stack.fake_qbo, "Account")}
    refund = doc_of(stack, "RefundReceipt", f"Stripe credit_note_refund {note}")
    assert amount(refund["TotalAmt"]) == Decimal("15.00")
    memo = doc_of(stack, "CreditMemo", f"Stripe credit_note {note}")
    assert amount(memo["TotalAmt"]) == Decimal("5.00")  # the part credited to the balance


@pytest.mark.parametrize("unreadable", ["deleted", "forbidden"])
def test_a_product_stripe_will_not_return_leaves_its_line_on_the_default_item(
    stack: LocalStack, client: FlaskClient, monkeypatch: pytest.MonkeyPatch, unreadable: str
) -> None:
    sim = StripeSim(tag="prod")
    customer = sim.customer("Customer 0001 Ltd", "usd")
    kit = sim.product("Starter kit")
    price = sim.price(kit, "usd", 4_900)
    if unreadable == "deleted":
        sim.delete_product(kit)
    else:  # a restricted key that may read everything but products
        readable = {"customer", "invoice", "invoice_payment", "charge", "payment_intent"}
        stack.fake_stripe.add_restricted_key(RESTRICTED_KEY, read=readable)
        monkeypatch.setenv("SYNC_SECRET_STRIPE_SECRET_KEY", RESTRICTED_KEY)
    invoice = finalized(sim, customer, [LineSpec("Starter kit", 4_900, price=price, product=kit)])
    seed(stack, sim)
    sync(client, "invoice", invoice)
    doc = doc_of(stack, "Invoice", f"Stripe invoice {invoice}")
    assert doc["Line"][0]["SalesItemLineDetail"]["ItemRef"].get("name") == "Stripe sales"
    links = bootstrap.warehouse().query(
        "SELECT stripe_object_id, status, last_error_code, last_error FROM sync_links_current "
        "WHERE last_error_code = 'product_unreadable' ORDER BY stripe_object_id"
    )
    assert [(r["stripe_object_id"], r["status"]) for r in links] == [
        (invoice, "COMPLETED"),
        (kit, "SKIPPED"),
    ]
    why = "deleted in Stripe" if unreadable == "deleted" else "may not read products"
    assert all(why in str(r["last_error"]) for r in links)
