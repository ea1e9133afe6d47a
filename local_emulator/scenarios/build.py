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
            legacy_price=dict(sim.get(support_price)),
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
