"""Build the scenario library: ``python -m local_emulator.scenarios.build [DIR]``.

Each scenario is a small, scripted story on the Stripe simulator, written to ``<name>.jsonl``
next to this file (the list, with what each covers, is in ``local_emulator/scenarios``'s
docstring). The output is deterministic: rebuilding changes no byte.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Callable
from pathlib import Path

from local_emulator.generator.invoices import InvoiceTerms, LineSpec
from local_emulator.generator.sim import DAY, JsonDict, StripeSim
from local_emulator.harness.scenario import write_scenario

HERE = Path(__file__).resolve().parent
Builder = Callable[[StripeSim], None]
SCENARIOS: dict[str, Builder] = {}
PAYMENT_EVENTS = frozenset(
    {
        "charge.succeeded",
        "payment_intent.succeeded",
        "invoice_payment.paid",
        "invoice.paid",
        "invoice.payment_succeeded",
    }
)


def scenario(builder: Builder) -> Builder:
    SCENARIOS[builder.__name__] = builder
    return builder


def _invoice(
    sim: StripeSim,
    customer: str,
    currency: str = "usd",
    *,
    lines: list[LineSpec] | None = None,
    terms: InvoiceTerms | None = None,
    number: str | None = None,
) -> str:
    """A finalized invoice (two plain lines unless given)."""
    specs = lines or [LineSpec("Platform fee", 4_900), LineSpec("Seats", 1_200, 5)]
    invoice = sim.draft(customer, currency, specs, terms)
    sim.at(sim.now + 600)
    sim.finalize(invoice, number)
    sim.at(sim.now + DAY)
    return invoice


def _customer(sim: StripeSim, currency: str = "usd", n: int = 1) -> str:
    return sim.customer(f"Customer {n:04d} Ltd", currency)


# --- customers, invoices ------------------------------------------------------------------------


@scenario
def customer_created_updated(sim: StripeSim) -> None:
    first, second = _customer(sim), _customer(sim, "eur", 2)
    sim.update_customer(first, name="Customer 0001 Holdings Ltd")
    sim.update_customer(second, email="accounts+0002@example.com")
    _invoice(sim, first)


@scenario
def invoice_finalized(sim: StripeSim) -> None:
    _invoice(sim, _customer(sim))


@scenario
def invoice_full_detail(sim: StripeSim) -> None:
    customer = _customer(sim)
    seats, support = sim.product("Seats"), sim.product("Support plan")
    seat_price = sim.price(seats, "usd", 1_250)
    support_price = sim.price(support, "usd", 19_900)
    period = (sim.now - 30 * DAY, sim.now)
    lines = [
        LineSpec("Seats", 1_250, 12, price=seat_price, product=seats, period=period),
        LineSpec(
            "Support plan",
            19_900,
            1,
            price=support_price,
            product=support,
            period=period,
        ),
        LineSpec("Onboarding (not discountable)", 50_000, 1, discountable=False),
    ]
    terms = InvoiceTerms(
        discount_percent=15,
        discount_id="di_full0001",
        tax_basis_points=725,
        tax_rate_id="txr_full0001",
        memo="PO 4471-A: net 30 as agreed",
        days_until_due=30,
    )
    _invoice(sim, customer, lines=lines, terms=terms)


@scenario
def invoice_draft_only(sim: StripeSim) -> None:
    customer = _customer(sim)
    sim.draft(customer, "usd", [LineSpec("Seats", 1_200, 3)])


@scenario
def invoice_paid_in_full(sim: StripeSim) -> None:
    terms = InvoiceTerms(collection_method="charge_automatically")
    sim.pay(_invoice(sim, _customer(sim), terms=terms))


@scenario
def invoice_partial_payments(sim: StripeSim) -> None:
    invoice = _invoice(sim, _customer(sim))
    sim.pay(invoice, 2_000)
    sim.at(sim.now + 3 * DAY)
    sim.pay(invoice, 1_500)


@scenario
def invoice_several_payments(sim: StripeSim) -> None:
    invoice = _invoice(sim, _customer(sim))
    for amount in (3_000, 2_500, None):
        sim.pay(invoice, amount)
        sim.at(sim.now + 2 * DAY)


@scenario
def invoice_paid_out_of_band(sim: StripeSim) -> None:
    sim.pay_out_of_band(_invoice(sim, _customer(sim)))


@scenario
def invoice_partial_then_out_of_band(sim: StripeSim) -> None:
    invoice = _invoice(sim, _customer(sim))
    sim.pay(invoice, 4_000)
    sim.at(sim.now + 5 * DAY)
    sim.pay_out_of_band(invoice)


@scenario
def invoice_voided(sim: StripeSim) -> None:
    customer = _customer(sim)
    sim.void(_invoice(sim, customer))
    _invoice(sim, customer)


@scenario
def invoice_uncollectible(sim: StripeSim) -> None:
    customer = _customer(sim)
    invoice = _invoice(sim, customer)
    sim.pay(invoice, 3_300)
    sim.at(sim.now + 20 * DAY)
    sim.mark_uncollectible(invoice)
    sim.mark_uncollectible(_invoice(sim, customer))


@scenario
def long_invoice_number(sim: StripeSim) -> None:
    customer = _customer(sim)
    _invoice(sim, customer, number="EXAMPLESELLER-EU-2026-INVOICE-000123")
    sim.pay(_invoice(sim, customer, number="EXAMPLESELLER-US-2026-INVOICE-000123"))


@scenario
def products_and_prices(sim: StripeSim) -> None:
    customer = _customer(sim)
    usage, fee = sim.product("API calls"), sim.product("Platform fee")
    usage_price, fee_price = sim.price(usage, "usd", 2), sim.price(fee, "usd", 4_900)
    for quantity in (1_500, 40_000):
        lines = [
            LineSpec("API calls", 2, quantity, price=usage_price, product=usage),
            LineSpec("Platform fee", 4_900, 1, price=fee_price, product=fee),
        ]
        _invoice(sim, customer, lines=lines)


@scenario
def failed_payment_then_success(sim: StripeSim) -> None:
    sim.pay(_invoice(sim, _customer(sim)), failed_attempt=True)


@scenario
def customer_two_currencies(sim: StripeSim) -> None:
    customer = _customer(sim)
    sim.pay(_invoice(sim, customer))
    sim.pay(_invoice(sim, customer, "eur"), 5_000)


# --- charges and refunds ------------------------------------------------------------------------


@scenario
def charge_without_invoice(sim: StripeSim) -> None:
    customer = _customer(sim)
    sim.charge(customer, "usd", 2_500, description="Setup fee")
    sim.charge(customer, "usd", 9_900, succeeded=False)


@scenario
def charge_without_customer(sim: StripeSim) -> None:
    sim.charge(None, "usd", 1_500, description="Guest checkout")


@scenario
def refund_full(sim: StripeSim) -> None:
    invoice = _invoice(sim, _customer(sim))
    charge = sim.pay(invoice)
    sim.at(sim.now + 2 * DAY)
    sim.refund(charge)


@scenario
def refund_partial(sim: StripeSim) -> None:
    charge = sim.charge(_customer(sim), "usd", 9_900)
    sim.refund(charge, 2_500)


@scenario
def refunds_several_on_one_charge(sim: StripeSim) -> None:
    charge = sim.pay(_invoice(sim, _customer(sim)))
    for amount in (1_000, 2_000):
        sim.at(sim.now + DAY)
        sim.refund(charge, amount)
    sim.refund(charge, 500, fail=True)
    sim.refund(charge)  # the rest


@scenario
def refund_failed(sim: StripeSim) -> None:
    charge = sim.charge(_customer(sim), "usd", 4_900)
    sim.refund(charge, fail=True)


# --- credit notes -------------------------------------------------------------------------------


@scenario
def credit_note_pre_payment(sim: StripeSim) -> None:
    invoice = _invoice(sim, _customer(sim))
    sim.credit_note(invoice, 1_900)
    sim.at(sim.now + DAY)
    sim.pay(invoice)


@scenario
def credit_note_pre_payment_full(sim: StripeSim) -> None:
    invoice = _invoice(sim, _customer(sim))
    sim.credit_note(invoice, int(sim.get(invoice)["amount_remaining"]), reason="duplicate")


@scenario
def credit_note_post_payment_refund(sim: StripeSim) -> None:
    invoice = _invoice(sim, _customer(sim))
    sim.pay(invoice)
    sim.at(sim.now + 3 * DAY)
    sim.credit_note(invoice, 2_000, refund=2_000, reason="product_unsatisfactory")


@scenario
def credit_note_post_payment_balance(sim: StripeSim) -> None:
    invoice = _invoice(sim, _customer(sim))
    sim.pay(invoice)
    sim.at(sim.now + 3 * DAY)
    sim.credit_note(invoice, 2_000)


@scenario
def credit_note_post_payment_mixed(sim: StripeSim) -> None:
    invoice = _invoice(sim, _customer(sim))
    sim.pay(invoice, 5_000)
    sim.pay(invoice)
    sim.at(sim.now + 3 * DAY)
    sim.credit_note(invoice, 7_000, refund=6_000)  # refunds across both charges


@scenario
def credit_note_voided_pre_payment(sim: StripeSim) -> None:
    invoice = _invoice(sim, _customer(sim))
    note = sim.credit_note(invoice, 1_000)
    sim.at(sim.now + DAY)
    sim.void_credit_note(note)


@scenario
def credit_note_voided_post_payment(sim: StripeSim) -> None:
    invoice = _invoice(sim, _customer(sim))
    sim.pay(invoice)
    note = sim.credit_note(invoice, 2_500)
    sim.at(sim.now + DAY)
    sim.void_credit_note(note)


@scenario
def credit_note_voided_then_paid(sim: StripeSim) -> None:
    """Three invoices each credited before payment late in the day, the credit note voided
    three hours later (the next day in UTC), then paid in full: the day after the void; the
    same day, two hours after it; seconds after it, the payment's events delivered before the
    void's. Day by day, the payment's task may run before the void's (issue 12, creditvoid)."""
    for n, story in enumerate(("next_day", "same_day", "payment_first"), start=1):
        customer = _customer(sim, n=n)
        invoice = sim.draft(
            customer, "usd", [LineSpec("Platform fee", 4_900), LineSpec("Seats", 1_200, 5)]
        )
        sim.at(sim.now + 600)
        sim.finalize(invoice)
        sim.at(_evening(sim.now))
        note = sim.credit_note(invoice, 3_000)
        sim.at(sim.now + 3 * 3_600)
        voided_from = len(sim.lines)
        sim.void_credit_note(note)
        sim.at(sim.now + {"next_day": DAY, "same_day": 2 * 3_600, "payment_first": 2}[story])
        paid_from = len(sim.lines)
        sim.pay(invoice)
        if story == "payment_first":
            void, payment = sim.lines[voided_from:paid_from], sim.lines[paid_from:]
            sim.lines[voided_from:] = payment + void
        sim.at(sim.now + DAY)


def _evening(now: int) -> int:
    """22:00 UTC of the day ``now`` falls in, or of the next day if that has passed."""
    evening = now - now % DAY + 22 * 3_600
    return evening if evening > now else evening + DAY


@scenario
def refund_after_credit_note(sim: StripeSim) -> None:
    invoice = _invoice(sim, _customer(sim))
    sim.credit_note(invoice, 1_000)
    charge = sim.pay(invoice)
    sim.at(sim.now + 4 * DAY)
    sim.refund(charge, 3_000)


# --- disputes -----------------------------------------------------------------------------------


@scenario
def dispute_won(sim: StripeSim) -> None:
    charge = sim.pay(_invoice(sim, _customer(sim)))
    sim.at(sim.now + 10 * DAY)
    sim.dispute(charge, "won", reason="product_not_received")


@scenario
def dispute_lost(sim: StripeSim) -> None:
    charge = sim.charge(_customer(sim), "usd", 14_900)
    sim.at(sim.now + 10 * DAY)
    sim.dispute(charge, "lost")


@scenario
def dispute_open(sim: StripeSim) -> None:
    charge = sim.pay(_invoice(sim, _customer(sim)))
    sim.dispute(charge, None)


# --- currencies ---------------------------------------------------------------------------------


def _currency_story(sim: StripeSim, currency: str, unit: int, tax: int) -> None:
    """An invoice with tax and a discount, paid in two parts, one part refunded; a one-off charge
    disputed and won; a second invoice left open."""
    customer = _customer(sim, currency)
    terms = InvoiceTerms(
        discount_percent=10,
        discount_id=f"di_{currency}0001",
        tax_basis_points=tax,
        tax_rate_id=f"txr_{currency}0001" if tax else None,
    )
    lines = [LineSpec("Seats", unit, 7), LineSpec("Support plan", unit * 3 + 7, 1)]
    invoice = _invoice(sim, customer, currency, lines=lines, terms=terms)
    first = sim.pay(invoice, int(sim.get(invoice)["amount_remaining"]) // 3)
    sim.pay(invoice)
    sim.refund(first, int(sim.get(first)["amount"]) // 2)
    sim.dispute(sim.charge(customer, currency, unit * 2 + 1), "won")
    _invoice(sim, customer, currency, lines=[LineSpec("Usage", unit + 3, 3)])


@scenario
def currency_eur(sim: StripeSim) -> None:
    _currency_story(sim, "eur", 1_105, 1_900)


@scenario
def currency_jpy(sim: StripeSim) -> None:
    _currency_story(sim, "jpy", 1_650, 1_000)


@scenario
def currency_krw(sim: StripeSim) -> None:
    _currency_story(sim, "krw", 16_800, 1_000)


@scenario
def currency_kwd(sim: StripeSim) -> None:
    _currency_story(sim, "kwd", 3_795, 0)


@scenario
def currency_bhd(sim: StripeSim) -> None:
    _currency_story(sim, "bhd", 4_615, 1_000)


# --- customer credit balance -------------------------------------------------------------------


@scenario
def credit_balance_from_credit_note(sim: StripeSim) -> None:
    """A paid invoice credited to the balance; the next invoice uses part of the credit."""
    customer = _customer(sim)
    first = _invoice(sim, customer)
    sim.pay(first)
    sim.at(sim.now + 2 * DAY)
    sim.credit_note(first, 4_000)
    sim.at(sim.now + 3 * DAY)
    second = _invoice(sim, customer, lines=[LineSpec("Seats", 1_200, 10)])
    sim.pay(second)


@scenario
def credit_balance_adjustment(sim: StripeSim) -> None:
    """A goodwill credit given by hand; two invoices use it up, the second only in part."""
    customer = _customer(sim)
    sim.adjust_balance(customer, -15_000, "Goodwill credit")
    sim.at(sim.now + DAY)
    _invoice(sim, customer, lines=[LineSpec("Platform fee", 9_000)])
    second = _invoice(sim, customer, lines=[LineSpec("Support plan", 19_900)])
    sim.pay(second)


@scenario
def credit_balance_covers_invoice(sim: StripeSim) -> None:
    """Credit from a credit note and an adjustment pays a whole invoice: paid, no payment."""
    customer = _customer(sim)
    first = _invoice(sim, customer, lines=[LineSpec("Seats", 1_200, 5)])
    sim.pay(first)
    sim.credit_note(first, 3_000)
    sim.adjust_balance(customer, -5_000, "Service credit")
    sim.at(sim.now + DAY)
    _invoice(sim, customer, lines=[LineSpec("Platform fee", 4_900)])


@scenario
def credit_balance_invoice_voided(sim: StripeSim) -> None:
    """An invoice that used credit is voided (the credit comes back); the next one uses it."""
    customer = _customer(sim)
    sim.adjust_balance(customer, -2_500, "Goodwill credit")
    sim.void(_invoice(sim, customer))
    sim.pay(_invoice(sim, customer, lines=[LineSpec("Seats", 1_200, 4)]))


# --- shipping, billing credits --------------------------------------------------------------------


@scenario
def invoice_shipping(sim: StripeSim) -> None:
    """Shipping taxed at the lines' rate on one invoice, untaxed on another (paid)."""
    customer = _customer(sim)
    taxed = InvoiceTerms(
        tax_basis_points=725,
        tax_rate_id="txr_ship0001",
        shipping=1_500,
        shipping_rate_id="shr_ship0001",
    )
    _invoice(sim, customer, lines=[LineSpec("Starter kit", 4_900, 2)], terms=taxed)
    plain = InvoiceTerms(shipping=900, shipping_rate_id="shr_ship0002")
    sim.pay(_invoice(sim, customer, lines=[LineSpec("Refill pack", 1_900)], terms=plain))


@scenario
def invoice_billing_credits(sim: StripeSim) -> None:
    """Billing credits (a credit grant) applied before tax, with a discount on the same lines."""
    customer = _customer(sim)
    usage = sim.product("API calls")
    price = sim.price(usage, "usd", 2)
    terms = InvoiceTerms(
        discount_percent=10,
        discount_id="di_cred0001",
        tax_basis_points=725,
        tax_rate_id="txr_cred0001",
        billing_credits=20_000,
        credit_txn_id="bctxn_cred0001",
    )
    lines = [
        LineSpec("API calls", 2, 40_000, price=price, product=usage),
        LineSpec("Platform fee", 4_900),
    ]
    sim.pay(_invoice(sim, customer, lines=lines, terms=terms))


# --- payments attached late, payments recorded outside Stripe ------------------------------------


@scenario
def payment_attached_late(sim: StripeSim) -> None:
    """A PaymentIntent paid on its own, attached to the invoice two days later; rest by card."""
    customer = _customer(sim)
    invoice = _invoice(sim, customer)
    intent = sim.standalone_payment(customer, "usd", 3_000)
    sim.at(sim.now + 2 * DAY)
    sim.attach(invoice, intent)
    sim.pay(invoice)


@scenario
def payment_attached_then_confirmed(sim: StripeSim) -> None:
    """Stripe's documented order: attached first, confirmed later; pays the whole invoice."""
    customer = _customer(sim)
    invoice = _invoice(sim, customer)
    sim.attach_then_pay(invoice, int(sim.get(invoice)["amount_remaining"]))


@scenario
def payment_attached_events_reversed(sim: StripeSim) -> None:
    """A late-attached payment whose events arrive newest first, then again oldest first."""
    customer = _customer(sim)
    invoice = _invoice(sim, customer)
    intent = sim.standalone_payment(customer, "usd", int(sim.get(invoice)["amount_remaining"]))
    sim.at(sim.now + DAY)
    sim.attach(invoice, intent)
    events = [x for x in sim.lines if x.get("object") == "event"]
    objects = [x for x in sim.lines if x.get("object") != "event"]
    sim.lines[:] = objects + events[::-1] + events


@scenario
def payment_record(sim: StripeSim) -> None:
    """One invoice paid by a recorded bank transfer; another part by card, rest recorded."""
    customer = _customer(sim)
    first = _invoice(sim, customer)
    sim.record_payment(first, int(sim.get(first)["amount_remaining"]), "WIRE-0001")
    second = _invoice(sim, customer)
    sim.pay(second, 4_000)
    sim.record_payment(second, int(sim.get(second)["amount_remaining"]), "WIRE-0002")


@scenario
def payment_record_refund(sim: StripeSim) -> None:
    """Paid by a recorded transfer; a credit note refunds part outside Stripe, credits the rest."""
    customer = _customer(sim)
    invoice = _invoice(sim, customer)
    sim.record_payment(invoice, int(sim.get(invoice)["amount_remaining"]), "WIRE-0003")
    sim.at(sim.now + 3 * DAY)
    sim.credit_note(invoice, 3_000, refund=2_000, reason="order_change")


# --- references Stripe will not return ---------------------------------------------------------


@scenario
def product_deleted(sim: StripeSim) -> None:
    """An invoice naming a product Stripe no longer returns: posted on the default item."""
    customer = _customer(sim)
    kit, fee = sim.product("Starter kit"), sim.product("Platform fee")
    kit_price, fee_price = sim.price(kit, "usd", 4_900), sim.price(fee, "usd", 2_500)
    lines = [
        LineSpec("Starter kit", 4_900, 1, price=kit_price, product=kit),
        LineSpec("Platform fee", 2_500, 1, price=fee_price, product=fee),
    ]
    sim.delete_product(kit)
    sim.at(sim.now + DAY)
    _invoice(sim, customer, lines=lines)


# --- delivery order -----------------------------------------------------------------------------


@scenario
def payment_before_invoice(sim: StripeSim) -> None:
    """Payment events delivered before the invoice's own events (``created`` unchanged)."""
    invoice = _invoice(sim, _customer(sim))
    sim.pay(invoice, 2_000)
    sim.pay(invoice)
    payments = [x for x in sim.lines if x.get("type") in PAYMENT_EVENTS]
    rest = [x for x in sim.lines if x.get("type") not in PAYMENT_EVENTS]
    sim.lines[:] = payments + rest


@scenario
def events_reversed_and_repeated(sim: StripeSim) -> None:
    """A month in miniature delivered newest first, then every event again oldest first."""
    customer = _customer(sim)
    paid = _invoice(sim, customer)
    charge = sim.pay(paid)
    sim.credit_note(_invoice(sim, customer), 500)
    sim.refund(charge, 1_000)
    sim.dispute(sim.charge(customer, "usd", 3_000), "lost")
    events = [x for x in sim.lines if x.get("object") == "event"]
    objects = [x for x in sim.lines if x.get("object") != "event"]
    sim.lines[:] = objects + events[::-1] + events


def build(name: str) -> list[JsonDict]:
    tag = "x" + hashlib.sha256(name.encode()).hexdigest()[:4]
    sim = StripeSim(tag=tag)
    SCENARIOS[name](sim)
    return sim.lines


def build_all(directory: Path = HERE) -> list[Path]:
    """Write every scenario to ``directory``; returns the files written."""
    written = []
    for name in SCENARIOS:
        path = directory / f"{name}.jsonl"
        write_scenario(path, build(name))
        written.append(path)
    return written


def main(argv: list[str]) -> int:
    directory = Path(argv[0]) if argv else HERE
    written = build_all(directory)
    print(f"wrote {len(written)} scenarios to {directory}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
