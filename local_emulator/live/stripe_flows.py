"""Each billing flow of issue 16 made through the Stripe API with the stripe client, recording
every object Stripe returns (and, afterwards, the events it sent for them).

Run against real Stripe in test mode by ``tests/live/test_stripe_live.py`` (``make live-test``,
needs ``STRIPE_TEST_SECRET_KEY``); the flows the fake Stripe implements also run against it in
the default test run, so this code is exercised even without a key. Every object created carries
``metadata[stripe_qbo_sync_live_check]`` = the run id, so a test account can be cleaned up.
Nothing here is personal data: names are synthetic and emails are not set.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import stripe

from shared.adapters.stripe_common import to_plain

JsonDict = dict[str, Any]
TAG = "stripe_qbo_sync_live_check"


@dataclass
class Recorder:
    """The client, this run's id, and everything Stripe answered (plain dicts)."""

    client: stripe.StripeClient
    run: str
    objects: list[JsonDict] = field(default_factory=list)
    observations: dict[str, Any] = field(default_factory=dict)
    started: int = field(default_factory=lambda: int(time.time()))

    @property
    def v1(self) -> Any:
        return self.client.v1

    def meta(self) -> dict[str, str]:
        return {TAG: self.run}

    def keep(self, obj: Any) -> Any:
        plain = to_plain(obj)
        if isinstance(plain, dict):
            self.objects.append(plain)
        return obj

    def customer(self, name: str) -> Any:
        return self.keep(
            self.v1.customers.create({"name": f"Live check {name}", "metadata": self.meta()})
        )

    def invoice(self, customer: str, amount: int, **extra: Any) -> Any:
        invoice = self.v1.invoices.create(
            {
                "customer": customer,
                "collection_method": "send_invoice",
                "days_until_due": 30,
                "metadata": self.meta(),
                **extra,
            }
        )
        self.v1.invoice_items.create(
            {
                "customer": customer,
                "invoice": invoice.id,
                "amount": amount,
                "currency": "usd",
                "description": "Live check line",
            }
        )
        return invoice

    def finalize(self, invoice_id: str) -> Any:
        return self.keep(self.v1.invoices.finalize_invoice(invoice_id))

    def refetch(self, invoice_id: str) -> Any:
        """The invoice and its payments as they are now, expanded as the sync lists them."""
        self.keep(self.v1.invoices.retrieve(invoice_id))
        payments = self.v1.invoice_payments.list(
            {
                "invoice": invoice_id,
                "expand": ["data.payment.payment_intent", "data.payment.payment_record"],
            }
        )
        for payment in payments.data:
            self.keep(payment)

    def card_payment(self, customer: str, amount: int) -> Any:
        return self.keep(
            self.v1.payment_intents.create(
                {
                    "amount": amount,
                    "currency": "usd",
                    "customer": customer,
                    "payment_method": "pm_card_visa",
                    "payment_method_types": ["card"],
                    "confirm": True,
                    "metadata": self.meta(),
                }
            )
        )

    def record_payment(self, customer: str, amount: int, reference: str) -> Any:
        return self.keep(
            self.v1.payment_records.report_payment(
                {
                    "amount_requested": {"currency": "usd", "value": amount},
                    "initiated_at": int(time.time()) - 60,
                    "outcome": "guaranteed",
                    "guaranteed": {"guaranteed_at": int(time.time()) - 30},
                    "payment_method_details": {
                        "custom": {"display_name": "Bank transfer"},
                        "type": "custom",
                    },
                    "processor_details": {
                        "custom": {"payment_reference": reference},
                        "type": "custom",
                    },
                    "customer_details": {"customer": customer},
                    "metadata": self.meta(),
                }
            )
        )

    def balance(self, customer: str) -> None:
        for txn in self.v1.customers.balance_transactions.list(customer).data:
            self.keep(txn)
        self.keep(self.v1.customers.retrieve(customer))


Flow = Callable[[Recorder], None]


def credit_balance_adjustment(r: Recorder) -> None:
    """A credit by hand; an invoice it covers (paid, no payment); one it covers in part."""
    customer = r.customer("credit balance").id
    r.keep(
        r.v1.customers.balance_transactions.create(
            customer, {"amount": -5_000, "currency": "usd", "metadata": r.meta()}
        )
    )
    covered = r.finalize(r.invoice(customer, 3_000).id)
    partly = r.finalize(r.invoice(customer, 4_500).id)
    r.observations["credit_covered_invoice"] = {
        "status": covered.status,
        "amount_due": covered.amount_due,
        "amount_paid": covered.amount_paid,
        "starting_balance": covered.starting_balance,
        "ending_balance": covered.ending_balance,
    }
    r.refetch(partly.id)
    r.balance(customer)


def credit_note_to_balance(r: Recorder) -> None:
    """A paid invoice (out of band) credited to the balance; the next invoice uses it."""
    customer = r.customer("credit note").id
    paid = r.finalize(r.invoice(customer, 6_000).id)
    r.keep(r.v1.invoices.pay(paid.id, {"paid_out_of_band": True}))
    r.keep(
        r.v1.credit_notes.create(
            {"invoice": paid.id, "amount": 2_000, "credit_amount": 2_000, "metadata": r.meta()}
        )
    )
    r.finalize(r.invoice(customer, 5_000).id)
    r.balance(customer)


def shipping(r: Recorder) -> None:
    """Shipping from an inline rate on an invoice."""
    customer = r.customer("shipping").id
    rate = {
        "display_name": "Ground",
        "type": "fixed_amount",
        "fixed_amount": {"amount": 900, "currency": "usd"},
    }
    invoice = r.invoice(customer, 4_000, shipping_cost={"shipping_rate_data": rate})
    r.finalize(invoice.id)


def shipping_taxed(r: Recorder) -> None:
    """Shipping under an exclusive tax rate: does ``total_taxes`` include the shipping tax?"""
    customer = r.customer("shipping tax").id
    tax_rate = r.keep(
        r.v1.tax_rates.create({"display_name": "Sales tax", "percentage": 7.25, "inclusive": False})
    )
    rate = {
        "display_name": "Ground",
        "type": "fixed_amount",
        "fixed_amount": {"amount": 1_500, "currency": "usd"},
        "tax_behavior": "exclusive",
    }
    invoice = r.invoice(
        customer,
        9_800,
        shipping_cost={"shipping_rate_data": rate},
        default_tax_rates=[tax_rate.id],
    )
    done = r.finalize(invoice.id)
    taxes = sum(int(t.amount) for t in done.total_taxes or [])
    cost = done.shipping_cost
    r.observations["shipping_tax_in_total_taxes"] = {
        "total": done.total,
        "subtotal": done.subtotal,
        "total_taxes": taxes,
        "shipping_amount_subtotal": cost.amount_subtotal if cost else None,
        "shipping_amount_tax": cost.amount_tax if cost else None,
        "shipping_amount_total": cost.amount_total if cost else None,
    }


def payment_attached_late(r: Recorder) -> None:
    """A PaymentIntent paid on its own, then attached to an open invoice."""
    customer = r.customer("attach").id
    invoice = r.finalize(r.invoice(customer, 10_000).id)
    intent = r.card_payment(customer, 4_000)
    r.keep(r.v1.invoices.attach_payment(invoice.id, {"payment_intent": intent.id}))
    if intent.latest_charge:
        r.keep(r.v1.charges.retrieve(str(intent.latest_charge)))
    r.refetch(invoice.id)


def payment_record(r: Recorder) -> None:
    """A bank transfer reported as a PaymentRecord, attached, then part refunded outside."""
    customer = r.customer("payment record").id
    invoice = r.finalize(r.invoice(customer, 7_000).id)
    record = r.record_payment(customer, 7_000, f"WIRE-{r.run[:8]}")
    r.keep(r.v1.invoices.attach_payment(invoice.id, {"payment_record": record.id}))
    r.keep(
        r.v1.payment_records.report_refund(
            record.id,
            {
                "amount": {"currency": "usd", "value": 2_000},
                "outcome": "refunded",
                "processor_details": {
                    "custom": {"refund_reference": f"REF-{r.run[:8]}"},
                    "type": "custom",
                },
                "refunded": {"refunded_at": int(time.time())},
            },
        )
    )
    r.refetch(invoice.id)


def payment_record_refund_credit_note(r: Recorder) -> None:
    """A recorded payment refunded outside Stripe, linked to a credit note."""
    customer = r.customer("record refund").id
    invoice = r.finalize(r.invoice(customer, 8_000).id)
    record = r.record_payment(customer, 8_000, f"WIRE2-{r.run[:8]}")
    r.v1.invoices.attach_payment(invoice.id, {"payment_record": record.id})
    reference = f"REF2-{r.run[:8]}"
    r.v1.payment_records.report_refund(
        record.id,
        {
            "amount": {"currency": "usd", "value": 3_000},
            "outcome": "refunded",
            "processor_details": {"custom": {"refund_reference": reference}, "type": "custom"},
        },
    )
    r.keep(
        r.v1.credit_notes.create(
            {
                "invoice": invoice.id,
                "amount": 3_000,
                "refunds": [
                    {
                        "type": "payment_record_refund",
                        "amount_refunded": 3_000,
                        "payment_record_refund": {
                            "payment_record": record.id,
                            "refund_group": reference,
                        },
                    }
                ],
                "metadata": r.meta(),
            }
        )
    )
    r.refetch(invoice.id)


def billing_credits(r: Recorder) -> None:
    """A promotional credit grant used by a metered price: the preview invoice shows
    ``total_pretax_credit_amounts`` of type ``credit_balance_transaction`` (best effort: meter
    events are processed asynchronously)."""
    customer = r.customer("billing credits").id
    event_name = f"live_check_{r.run[:8]}"
    meter = r.v1.billing.meters.create(
        {
            "display_name": "Live check calls",
            "event_name": event_name,
            "default_aggregation": {"formula": "sum"},
        }
    )
    price = r.keep(
        r.v1.prices.create(
            {
                "currency": "usd",
                "unit_amount": 5,
                "recurring": {"interval": "month", "usage_type": "metered", "meter": meter.id},
                "product_data": {"name": "Live check calls"},
            }
        )
    )
    r.v1.billing.credit_grants.create(
        {
            "customer": customer,
            "amount": {"type": "monetary", "monetary": {"value": 1_000, "currency": "usd"}},
            "applicability_config": {"scope": {"price_type": "metered"}},
            "category": "promotional",
            "metadata": r.meta(),
        }
    )
    subscription = r.v1.subscriptions.create(
        {
            "customer": customer,
            "items": [{"price": price.id}],
            "collection_method": "send_invoice",
            "days_until_due": 30,
            "metadata": r.meta(),
        }
    )
    r.v1.billing.meter_events.create(
        {"event_name": event_name, "payload": {"stripe_customer_id": customer, "value": "400"}}
    )
    preview = None
    for _ in range(6):  # meter events are aggregated asynchronously
        time.sleep(5)
        preview = r.v1.invoices.create_preview(
            {"customer": customer, "subscription": subscription.id}
        )
        if any(
            c.type == "credit_balance_transaction"
            for c in preview.total_pretax_credit_amounts or []
        ):
            break
    if preview is not None:
        r.keep(preview)
        r.observations["billing_credits_seen"] = any(
            c.type == "credit_balance_transaction"
            for c in preview.total_pretax_credit_amounts or []
        )


def unreadable_product(r: Recorder) -> None:
    """What Stripe answers for a deleted product (and, given a restricted key without
    *Products: read*, for a product it may not read)."""
    product = r.v1.products.create({"name": "Live check kit", "metadata": r.meta()})
    r.v1.products.delete(product.id)
    try:
        r.v1.products.retrieve(product.id)
        r.observations["deleted_product"] = {"status": 200}
    except stripe.StripeError as error:
        r.observations["deleted_product"] = {"status": error.http_status, "code": error.code}


# name -> (flow, whether the fake Stripe implements every call it makes)
FLOWS: dict[str, tuple[Flow, bool]] = {
    "credit_balance_adjustment": (credit_balance_adjustment, True),
    "credit_note_to_balance": (credit_note_to_balance, False),
    "shipping": (shipping, True),
    "shipping_taxed": (shipping_taxed, False),
    "payment_attached_late": (payment_attached_late, True),
    "payment_record": (payment_record, True),
    "payment_record_refund_credit_note": (payment_record_refund_credit_note, False),
    "billing_credits": (billing_credits, False),
    "unreadable_product": (unreadable_product, False),
}


def events_of(r: Recorder) -> list[JsonDict]:
    """The events Stripe created since the run began about the objects it recorded."""
    ids = {str(o.get("id")) for o in r.objects if o.get("id")}
    page = r.v1.events.list({"created": {"gte": r.started - 5}, "limit": 100})
    found: list[JsonDict] = []
    for event in page.auto_paging_iter():
        plain = to_plain(event)
        data = (plain.get("data") or {}).get("object") or {}
        if str(data.get("id")) in ids or str(data.get("customer")) in ids:
            found.append(plain)
    return found


def run_flows(recorder: Recorder, names: list[str]) -> dict[str, str]:
    """Run the named flows; each one's outcome (``ok`` or the error, which never stops the
    others: an account may lack a product, such as billing meters)."""
    outcomes: dict[str, str] = {}
    for name in names:
        try:
            FLOWS[name][0](recorder)
            outcomes[name] = "ok"
        except stripe.StripeError as error:
            outcomes[name] = f"{type(error).__name__}: {error.code or error.http_status}"
    return outcomes
