"""A random but realistic month of business in Stripe, as the events Stripe would send.

Each invoice and each one-off charge is a *story*: a generator that performs one Stripe
operation per step and yields the delay to its next one. The stories run interleaved in time
order against one :class:`StripeSim`, so every event carries the object's state at its moment.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Iterator

from local_emulator.generator.invoices import InvoiceTerms, LineSpec
from local_emulator.generator.sim import DAY, MONTH_START, JsonDict, SimError, StripeSim
from local_emulator.generator.taxes import TaxCatalog

HOUR = 3_600
Story = Iterator[int]  # yields seconds until its next step

PRODUCTS = ("Platform fee", "Seats", "Support plan", "Usage", "Onboarding", "API calls")
BASE_PRICES = (4_900, 1_200, 19_900, 35, 50_000, 2)  # in US cents
SUFFIXES = ("Ltd", "GmbH", "Inc", "KK", "WLL", "SARL", "BV")
# converting a price in US cents into another currency's minor units: (numerator, denominator)
RATES = {
    "usd": (1, 1),
    "eur": (92, 100),
    "gbp": (79, 100),
    "jpy": (3, 2),
    "krw": (14, 1),
    "kwd": (31, 10),
    "bhd": (38, 10),
    "cad": (137, 100),
    "aud": (152, 100),
}
TAX_BASIS_POINTS = {
    "usd": 725,
    "eur": 1_900,
    "gbp": 2_000,
    "jpy": 1_000,
    "krw": 1_000,
    "bhd": 1_000,
}
MEMOS = ("Thank you for your business.", "PO 4471-A", "Net terms as agreed.")
# How an invoice's story goes, and how often (out of 100 invoices)
PLANS, PLAN_WEIGHTS = zip(
    *(
        ("draft", 3),
        ("void", 4),
        ("open", 13),
        ("paid", 30),
        ("partial", 6),
        ("several", 8),
        ("oob", 4),
        ("partial_oob", 3),
        ("uncollectible", 4),
        ("pre_credit", 7),
        ("post_credit", 6),
        ("attached", 5),  # a PaymentIntent paid first, attached to the invoice later
        ("attach_then_pay", 3),  # attached first, confirmed later (Stripe's documented order)
        ("recorded", 3),  # a bank transfer recorded as a PaymentRecord
        ("recorded_refund", 1),  # ... then partly refunded outside Stripe by a credit note
    ),
    strict=True,
)


def convert(us_cents: int, currency: str) -> int:
    """A price in another currency, rounded to what that currency's prices look like."""
    numerator, denominator = RATES.get(currency, (1, 1))
    amount = us_cents * numerator // denominator
    q = 10 if currency in ("jpy", "krw") else 1
    return max(q, amount // q * q)


class Month:
    """The catalog and customers of one generated month, and its stories."""

    def __init__(
        self,
        seed: int,
        customers: int,
        invoices: int,
        currencies: tuple[str, ...],
        company: str | None = None,
    ) -> None:
        if not currencies:
            raise ValueError("at least one currency")
        self.rng = random.Random(seed)
        self.sim = StripeSim(tag=f"s{seed}n")
        # the taxes of a company's region (``taxes``); None: one US sales tax rate per currency
        self.taxes = TaxCatalog(company, self.sim.tag, MONTH_START) if company else None
        self.currencies = tuple(c.lower() for c in currencies)
        self.n_customers, self.n_invoices = max(1, customers), max(0, invoices)
        self.prices: dict[tuple[str, str], tuple[str, int]] = {}  # (product, cur) -> price
        self.products: list[str] = []
        self.customers: list[tuple[str, str]] = []  # (id, currency)

    def setup(self) -> None:
        sim, rng = self.sim, self.rng
        for rate in self.taxes.objects() if self.taxes else []:
            sim.bare(rate)
        for name, base in zip(PRODUCTS, BASE_PRICES, strict=True):
            product = sim.product(name)
            self.products.append(product)
            for currency in self.currencies:
                unit = convert(base, currency)
                self.prices[(product, currency)] = (sim.price(product, currency, unit), unit)
        weights = [4] + [1] * (len(self.currencies) - 1)
        for index in range(self.n_customers):
            currency = rng.choices(self.currencies, weights)[0]
            suffix = rng.choice(SUFFIXES)
            self.customers.append(
                (sim.customer(f"Customer {index:04d} {suffix}", currency), currency)
            )

    def run(self) -> list[JsonDict]:
        self.setup()
        queue: list[tuple[int, int, Story]] = []
        stories: list[Story] = [self.customer_update() for _ in range(self.n_customers // 8)]
        stories += [self.invoice_story(i) for i in range(self.n_invoices)]
        stories += [self.charge_story() for _ in range(max(1, self.n_invoices // 6))]
        stories += [self.balance_story() for _ in range(max(1, self.n_customers // 6))]
        if self.rng.random() < 0.5:
            stories.append(self.deleted_product_story())
        start = self.sim.now
        for seq, story in enumerate(stories):
            heapq.heappush(queue, (start + self.rng.randint(0, 20 * DAY), seq, story))
        while queue:
            when, seq, story = heapq.heappop(queue)
            self.sim.at(when)
            try:
                delay = next(story)
            except (StopIteration, SimError):  # done, or a step Stripe would refuse: it ends
                continue
            heapq.heappush(queue, (self.sim.now + max(1, delay), seq, story))
        return self.sim.lines

    # --- stories ----------------------------------------------------------------------------

    def customer_update(self) -> Story:
        customer_id, _ = self.rng.choice(self.customers)
        yield 0
        customer = self.sim.get(customer_id)
        if self.rng.random() < 0.5:
            self.sim.update_customer(customer_id, name=f"{customer['name']} (renamed)")
        else:
            slug = customer_id.removeprefix("cus_").lower()
            self.sim.update_customer(customer_id, email=f"accounts+{slug}@example.com")

    def _lines(self, currency: str, created: int) -> list[LineSpec]:
        rng, specs = self.rng, []
        for _ in range(rng.choices((1, 2, 3, 4, 5), (3, 4, 3, 2, 1))[0]):
            quantity = rng.choice((1, 1, 2, 3, 5, 10, 25))
            period = (created - 30 * DAY, created) if rng.random() < 0.7 else None
            if rng.random() < 0.2:
                unit = convert(rng.choice((1_500, 9_900, 25_000)), currency)
                specs.append(LineSpec("Professional services", unit, quantity, period=period))
                continue
            product = rng.choice(self.products)
            price_id, unit = self.prices[(product, currency)]
            name = PRODUCTS[self.products.index(product)]
            specs.append(
                LineSpec(
                    name,
                    unit,
                    quantity,
                    price=price_id,
                    product=product,
                    period=period,
                    discountable=rng.random() < 0.9,
                )
            )
        return specs

    def _terms(self, currency: str) -> InvoiceTerms:
        rng, tag = self.rng, self.sim.tag
        taxes, exempt = self.taxes.choose(rng) if self.taxes else ((), "none")
        tax = 0 if self.taxes else TAX_BASIS_POINTS.get(currency, 0) if rng.random() < 0.5 else 0
        discount = rng.choice((10, 15, 20)) if rng.random() < 0.2 else 0
        shipping = convert(rng.choice((900, 1_500, 2_500)), currency) if rng.random() < 0.08 else 0
        credits = (
            convert(rng.choice((1_000, 5_000, 20_000)), currency) if rng.random() < 0.06 else 0
        )
        return InvoiceTerms(
            shipping=shipping,
            shipping_rate_id=f"shr_{tag}{currency}" if shipping else None,
            billing_credits=credits,
            credit_txn_id=self.sim.new_id("bctxn") if credits else None,
            discount_percent=discount,
            discount_id=f"di_{tag}{rng.randint(0, 99_999):05d}" if discount else None,
            tax_basis_points=tax,
            tax_rate_id=f"txr_{tag}{currency}" if tax else None,
            taxes=taxes,
            customer_tax_exempt=exempt,
            memo=rng.choice(MEMOS) if rng.random() < 0.3 else None,
            collection_method=rng.choice(("send_invoice", "send_invoice", "charge_automatically")),
            days_until_due=rng.choice((15, 30, 45)),
        )

    def invoice_story(self, index: int) -> Story:
        sim, rng = self.sim, self.rng
        customer_id, currency = rng.choice(self.customers)
        if rng.random() < 0.05 and len(self.currencies) > 1:
            currency = rng.choice([c for c in self.currencies if c != currency])
        yield 0
        invoice_id = sim.draft(
            customer_id, currency, self._lines(currency, sim.now), self._terms(currency)
        )
        plan = rng.choices(PLANS, PLAN_WEIGHTS)[0]
        if plan == "draft":
            return
        yield rng.randint(HOUR, 2 * DAY)
        number = None
        if rng.random() < 0.05:
            number = f"{sim.get(customer_id)['invoice_prefix']}-2026-INVOICE-{index:06d}"
        sim.finalize(invoice_id, number)
        yield rng.randint(DAY, 10 * DAY)
        yield from self._settle(invoice_id, plan)
        if sim.get(invoice_id)["status"] == "paid" and sim.invoice_charges.get(invoice_id):
            yield from self._after_payment(sim.invoice_charges[invoice_id])

    def _part(self, invoice_id: str, share: float) -> int:
        invoice = self.sim.get(invoice_id)
        remaining = int(invoice["amount_remaining"])
        return max(1, int(remaining * share)) if remaining > 1 else remaining

    def _settle(self, invoice_id: str, plan: str) -> Story:
        sim, rng = self.sim, self.rng
        failed = rng.random() < 0.05
        if plan == "void":
            sim.void(invoice_id)
        elif plan == "paid":
            sim.pay(invoice_id, failed_attempt=failed)
        elif plan in ("partial", "several", "partial_oob", "uncollectible"):
            payments = 0 if plan == "uncollectible" and rng.random() < 0.5 else 1
            payments += rng.randint(0, 1) if plan != "uncollectible" else 0
            for _ in range(payments):
                sim.pay(invoice_id, self._part(invoice_id, rng.uniform(0.2, 0.6)))
                yield rng.randint(DAY, 5 * DAY)
            if plan == "several":
                sim.pay(invoice_id)
            elif plan == "partial_oob":
                sim.pay_out_of_band(invoice_id)
            elif plan == "uncollectible":
                sim.mark_uncollectible(invoice_id)
        elif plan == "oob":
            sim.pay_out_of_band(invoice_id)
        elif plan == "pre_credit":
            full = rng.random() < 0.1
            cn = sim.credit_note(
                invoice_id, self._part(invoice_id, 1.0 if full else 0.3), reason="order_change"
            )
            yield rng.randint(HOUR, 3 * DAY)
            if not full and rng.random() < 0.3:
                sim.void_credit_note(cn)
                yield rng.randint(HOUR, DAY)
            if sim.get(invoice_id)["status"] == "open" and rng.random() < 0.7:
                sim.pay(invoice_id)
        elif plan == "post_credit":
            yield from self._post_credit(invoice_id)
        elif plan in ("attached", "attach_then_pay"):
            yield from self._attached(invoice_id, plan)
        elif plan in ("recorded", "recorded_refund"):
            yield from self._recorded(invoice_id, plan)

    def _post_credit(self, invoice_id: str) -> Story:
        sim, rng = self.sim, self.rng
        sim.pay(invoice_id)
        yield rng.randint(DAY, 5 * DAY)
        invoice = sim.get(invoice_id)
        amount = max(1, int(invoice["amount_paid"]) * rng.choice((1, 2, 4)) // 8)
        kind = rng.choice(("refund", "balance", "mixed"))
        if invoice["currency"] != sim.get(invoice["customer"])["currency"]:
            kind = "refund"  # a customer's balance is kept in the customer's own currency
        refund = {"refund": amount, "balance": 0, "mixed": amount // 2}[kind]
        cn = sim.credit_note(invoice_id, amount, refund=refund, reason="product_unsatisfactory")
        if kind == "balance" and rng.random() < 0.3:
            yield rng.randint(HOUR, 2 * DAY)
            sim.void_credit_note(cn)

    def _attached(self, invoice_id: str, plan: str) -> Story:
        """Part of the invoice paid by a PaymentIntent of its own, attached afterwards (or first
        attached, then confirmed); the rest paid through the invoice, or left open."""
        sim, rng = self.sim, self.rng
        invoice = sim.get(invoice_id)
        part = self._part(invoice_id, rng.choice((0.3, 0.5, 1.0)))
        if plan == "attached":
            pi = sim.standalone_payment(str(invoice["customer"]), str(invoice["currency"]), part)
            yield rng.randint(HOUR, 4 * DAY)
            sim.attach(invoice_id, pi)
        else:
            sim.attach_then_pay(invoice_id, part)
        yield rng.randint(DAY, 5 * DAY)
        if sim.get(invoice_id)["status"] == "open" and rng.random() < 0.6:
            sim.pay(invoice_id)

    def _recorded(self, invoice_id: str, plan: str) -> Story:
        """Paid by bank transfer, recorded in Stripe; sometimes part refunded the same way."""
        sim, rng = self.sim, self.rng
        share = 1.0 if plan == "recorded_refund" or rng.random() < 0.7 else 0.5
        sim.record_payment(invoice_id, self._part(invoice_id, share), f"WIRE-{invoice_id[-6:]}")
        if plan == "recorded_refund" and sim.get(invoice_id)["status"] == "paid":
            yield rng.randint(DAY, 5 * DAY)
            invoice = sim.get(invoice_id)
            amount = max(1, int(invoice["amount_paid"]) // 4)
            refund = amount if rng.random() < 0.5 else amount // 2
            sim.credit_note(invoice_id, amount, refund=refund, reason="order_change")

    def balance_story(self) -> Story:
        """A credit given by hand to a customer's balance; its next invoices use it up."""
        sim, rng = self.sim, self.rng
        customer_id, currency = rng.choice(self.customers)
        yield 0
        amount = convert(rng.choice((2_500, 10_000, 50_000, 100_000)), currency)
        sim.adjust_balance(customer_id, -amount, "Goodwill credit")

    def deleted_product_story(self) -> Story:
        """A product removed from the catalog late in the month: Stripe no longer returns it."""
        yield 25 * DAY
        product_id = self.rng.choice(self.products)
        self.sim.delete_product(product_id)

    def _after_payment(self, charges: list[str]) -> Story:
        """Refunds (full, partial, several, failed) or a dispute on one of the charges."""
        sim, rng = self.sim, self.rng
        charge_id = rng.choice(charges)
        roll = rng.random()
        if roll < 0.08:
            for _ in range(rng.choice((1, 1, 2, 3))):
                yield rng.randint(DAY, 4 * DAY)
                left = sim.refundable(charge_id)
                share = rng.choice((1.0, 0.5, 0.25))
                sim.refund(charge_id, left if share == 1.0 else max(1, int(left * share)))
        elif roll < 0.10:
            yield rng.randint(DAY, 4 * DAY)
            sim.refund(charge_id, fail=True)
        elif roll < 0.13:
            yield rng.randint(DAY, 6 * DAY)
            sim.dispute(charge_id, rng.choice(("won", "lost", None)))

    def charge_story(self) -> Story:
        sim, rng = self.sim, self.rng
        customer_id: str | None
        customer_id, currency = rng.choice(self.customers)
        if rng.random() < 0.2:
            customer_id = None
        yield 0
        amount = convert(rng.choice((500, 2_500, 9_900, 14_900)), currency)
        charge_id = sim.charge(customer_id, currency, amount, succeeded=rng.random() > 0.1)
        if sim.get(charge_id)["status"] == "succeeded":
            yield from self._after_payment([charge_id])


def generate_month(
    seed: int,
    *,
    customers: int = 30,
    invoices: int = 120,
    currencies: tuple[str, ...] = ("usd", "eur", "jpy", "kwd"),
    company: str | None = None,
) -> list[JsonDict]:
    """A month of Stripe events (and the bare balance transactions and tax rates they
    reference), in the order Stripe created them; the same seed always gives the same month.
    ``company``: taxed as a business in that QBO company's region sells (``taxes``)."""
    return Month(seed, customers, invoices, currencies, company).run()


__all__ = ["MONTH_START", "generate_month"]
