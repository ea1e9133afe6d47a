"""Stripe objects in the shape of the API version the fake serves (``fakes.stripe.versions``),
built from plain values (synthetic data only)."""

from __future__ import annotations

from typing import Any

from local_emulator.fakes.stripe.versions import API_VERSION

JsonDict = dict[str, Any]


def event(
    event_id: str, event_type: str, created: int, obj: JsonDict, previous: JsonDict | None = None
) -> JsonDict:
    data: JsonDict = {"object": obj}
    if previous is not None:
        data["previous_attributes"] = previous
    return {
        "id": event_id,
        "object": "event",
        "api_version": API_VERSION,
        "created": created,
        "data": data,
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }


def customer(
    customer_id: str, *, name: str, email: str, currency: str, created: int, invoice_prefix: str
) -> JsonDict:
    return {
        "id": customer_id,
        "object": "customer",
        "address": None,
        "balance": 0,
        "created": created,
        "currency": currency,
        "default_source": None,
        "delinquent": False,
        "description": None,
        "email": email,
        "invoice_prefix": invoice_prefix,
        "invoice_settings": {
            "custom_fields": None,
            "default_payment_method": None,
            "footer": None,
            "rendering_options": None,
        },
        "livemode": False,
        "metadata": {},
        "name": name,
        "next_invoice_sequence": 1,
        "phone": None,
        "preferred_locales": [],
        "shipping": None,
        "tax_exempt": "none",
        "test_clock": None,
    }


def product(product_id: str, *, name: str, created: int) -> JsonDict:
    return {
        "id": product_id,
        "object": "product",
        "active": True,
        "created": created,
        "default_price": None,
        "description": f"{name} (synthetic)",
        "images": [],
        "livemode": False,
        "metadata": {},
        "name": name,
        "tax_code": None,
        "type": "service",
        "unit_label": None,
        "updated": created,
        "url": None,
    }


def price(
    price_id: str, *, product_id: str, currency: str, unit_amount: int, created: int
) -> JsonDict:
    return {
        "id": price_id,
        "object": "price",
        "active": True,
        "billing_scheme": "per_unit",
        "created": created,
        "currency": currency,
        "livemode": False,
        "lookup_key": None,
        "metadata": {},
        "nickname": None,
        "product": product_id,
        "recurring": None,
        "tax_behavior": "exclusive",
        "tiers_mode": None,
        "type": "one_time",
        "unit_amount": unit_amount,
        "unit_amount_decimal": str(unit_amount),
    }


def tax_amount(amount: int, taxable: int, tax_rate: str, *, reason: str) -> JsonDict:
    """One entry of a line's ``taxes`` or the invoice's ``total_taxes`` (exclusive tax)."""
    return {
        "amount": amount,
        "tax_behavior": "exclusive",
        "tax_rate_details": {"tax_rate": tax_rate},
        "taxability_reason": reason,
        "taxable_amount": taxable,
        "type": "tax_rate_details",
    }


def payment_intent(
    pi_id: str,
    *,
    amount: int,
    currency: str,
    customer_id: str | None,
    created: int,
    description: str | None,
) -> JsonDict:
    return {
        "id": pi_id,
        "object": "payment_intent",
        "amount": amount,
        "amount_capturable": 0,
        "amount_received": 0,
        "capture_method": "automatic",
        "created": created,
        "currency": currency,
        "customer": customer_id,
        "description": description,
        "last_payment_error": None,
        "latest_charge": None,
        "livemode": False,
        "metadata": {},
        "payment_method": None,
        "payment_method_types": ["card"],
        "status": "requires_payment_method",
    }


def charge(
    charge_id: str,
    *,
    amount: int,
    currency: str,
    customer_id: str | None,
    pi_id: str,
    created: int,
    description: str | None,
    succeeded: bool,
    balance_transaction: str | None,
) -> JsonDict:
    return {
        "id": charge_id,
        "object": "charge",
        "amount": amount,
        "amount_captured": amount if succeeded else 0,
        "amount_refunded": 0,
        "balance_transaction": balance_transaction,
        "billing_details": {"address": None, "email": None, "name": None, "phone": None},
        "calculated_statement_descriptor": "EXAMPLE SELLER",
        "captured": succeeded,
        "created": created,
        "currency": currency,
        "customer": customer_id,
        "description": description,
        "disputed": False,
        "failure_balance_transaction": None,
        "failure_code": None if succeeded else "card_declined",
        "failure_message": None if succeeded else "Your card was declined.",
        "livemode": False,
        "metadata": {},
        "outcome": {
            "type": "authorized" if succeeded else "issuer_declined",
            "network_status": "approved_by_network" if succeeded else "declined_by_network",
        },
        "paid": succeeded,
        "payment_intent": pi_id,
        "payment_method": f"pm_{charge_id.removeprefix('ch_')}",
        "payment_method_details": {"type": "card", "card": {"brand": "visa", "last4": "4242"}},
        "receipt_url": None,
        "refunded": False,
        "status": "succeeded" if succeeded else "failed",
    }


def invoice_payment(
    inpay_id: str,
    *,
    invoice_id: str,
    amount: int,
    currency: str,
    payment: JsonDict,
    created: int,
    paid_at: int | None,
    is_default: bool,
) -> JsonDict:
    """``payment`` names a ``payment_intent`` or a ``payment_record`` (the charge of a
    PaymentIntent is not named: stripe-python 16.1.0 ``InvoicePayment.Payment.charge``)."""
    return {
        "id": inpay_id,
        "object": "invoice_payment",
        "amount_paid": amount if paid_at is not None else None,
        "amount_requested": amount,
        "created": created,
        "currency": currency,
        "invoice": invoice_id,
        "is_default": is_default,
        "livemode": False,
        "payment": payment,
        "status": "paid" if paid_at is not None else "open",
        "status_transitions": {"canceled_at": None, "paid_at": paid_at},
    }


def refund(
    refund_id: str,
    *,
    charge_id: str,
    pi_id: str | None,
    amount: int,
    currency: str,
    created: int,
    status: str,
    balance_transaction: str | None,
) -> JsonDict:
    return {
        "id": refund_id,
        "object": "refund",
        "amount": amount,
        "balance_transaction": balance_transaction,
        "charge": charge_id,
        "created": created,
        "currency": currency,
        "destination_details": {"type": "card", "card": {"type": "refund"}},
        "failure_balance_transaction": None,
        "failure_reason": None,
        "metadata": {},
        "payment_intent": pi_id,
        "reason": "requested_by_customer",
        "receipt_number": None,
        "status": status,
    }


def balance_transaction(
    txn_id: str,
    *,
    amount: int,
    fee: int,
    currency: str,
    created: int,
    source: str,
    txn_type: str,
    category: str,
    description: str,
    fee_description: str,
) -> JsonDict:
    fee_details = []
    if fee:
        fee_details.append(
            {
                "amount": fee,
                "application": None,
                "currency": currency,
                "description": fee_description,
                "type": "stripe_fee",
            }
        )
    return {
        "id": txn_id,
        "object": "balance_transaction",
        "amount": amount,
        "available_on": created + 2 * 86_400,
        "balance_type": "payments",
        "created": created,
        "currency": currency,
        "description": description,
        "exchange_rate": None,
        "fee": fee,
        "fee_details": fee_details,
        "net": amount - fee,
        "reporting_category": category,
        "source": source,
        "status": "pending",
        "type": txn_type,
    }


def dispute(
    dispute_id: str,
    *,
    charge_id: str,
    pi_id: str | None,
    amount: int,
    currency: str,
    created: int,
    reason: str,
) -> JsonDict:
    return {
        "id": dispute_id,
        "object": "dispute",
        "amount": amount,
        "balance_transactions": [],
        "charge": charge_id,
        "created": created,
        "currency": currency,
        "evidence": {"product_description": None, "uncategorized_text": None},
        "evidence_details": {
            "due_by": created + 14 * 86_400,
            "has_evidence": False,
            "past_due": False,
            "submission_count": 0,
        },
        "is_charge_refundable": False,
        "livemode": False,
        "metadata": {},
        "payment_intent": pi_id,
        "reason": reason,
        "status": "needs_response",
    }


def credit_note(
    cn_id: str,
    *,
    invoice: JsonDict,
    number: str,
    amount: int,
    created: int,
    kind: str,
    reason: str,
    memo: str | None,
) -> JsonDict:
    line = {
        "id": f"cnli_{cn_id.removeprefix('cn_')}",
        "object": "credit_note_line_item",
        "amount": amount,
        "description": "Service credit",
        "discount_amount": 0,
        "discount_amounts": [],
        "livemode": False,
        "metadata": {},
        "pretax_credit_amounts": [],
        "quantity": 1,
        "tax_rates": [],
        "taxes": [],
        "type": "custom_line_item",
        "unit_amount": amount,
        "unit_amount_decimal": str(amount),
    }
    return {
        "id": cn_id,
        "object": "credit_note",
        "amount": amount,
        "amount_shipping": 0,
        "created": created,
        "currency": invoice["currency"],
        "customer": invoice["customer"],
        "customer_balance_transaction": None,
        "discount_amount": 0,
        "discount_amounts": [],
        "effective_at": created,
        "invoice": invoice["id"],
        "lines": {
            "object": "list",
            "data": [line],
            "has_more": False,
            "url": f"/v1/credit_notes/{cn_id}/lines",
        },
        "livemode": False,
        "memo": memo,
        "metadata": {},
        "number": number,
        "out_of_band_amount": None,
        "pdf": None,
        "post_payment_amount": amount if kind == "post_payment" else 0,
        "pre_payment_amount": amount if kind == "pre_payment" else 0,
        "pretax_credit_amounts": [],
        "reason": reason,
        "refunds": [],
        "status": "issued",
        "subtotal": amount,
        "subtotal_excluding_tax": amount,
        "total": amount,
        "total_excluding_tax": amount,
        "total_taxes": [],
        "type": kind,
        "voided_at": None,
    }
