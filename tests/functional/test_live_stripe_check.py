"""The live Stripe check's own machinery, without a key: its flows run against the fake Stripe
(so the live code path is exercised), and the shape comparison finds what it must find."""

from __future__ import annotations

from pathlib import Path

from local_emulator import scenarios
from local_emulator.live.fake_side import served_by_fake
from local_emulator.live.shapes import compare, shapes_of
from local_emulator.live.stripe_flows import FLOWS

LIBRARY = Path(scenarios.__file__).resolve().parent


def test_the_flows_the_fake_implements_run_against_it_and_the_library_is_served() -> None:
    objects, outcomes = served_by_fake(LIBRARY)
    runnable = {name for name, (_, on_fake) in FLOWS.items() if on_fake}
    assert outcomes == dict.fromkeys(sorted(runnable, key=list(FLOWS).index), "ok")
    kinds = set(shapes_of(objects))
    assert {
        "invoice",
        "invoice_payment",
        "customer_balance_transaction",
        "payment_record",
        "credit_note",
        "event:invoice.finalized",
        "event:invoice_payment.paid",
    } <= kinds
    assert compare(shapes_of(objects), shapes_of(objects)) == []


def test_the_comparison_flags_fields_stripe_no_longer_has_and_wrong_types() -> None:
    stripe = [
        {"object": "invoice", "id": "in_1", "total": 5, "discounts": [], "shipping_cost": None},
        {"object": "invoice", "id": "in_2", "total": 7, "discounts": [], "amount_paid": 0},
    ]
    fake = [
        {
            "object": "invoice",
            "id": "in_3",
            "total": "5",  # a string where Stripe has a number
            "discounts": ["di_1"],  # Stripe's were empty: no evidence either way
            "shipping_cost": {"amount_total": 9},  # Stripe's was null: no evidence either way
            "paid_out_of_band": False,  # removed in 2025-03-31.basil
        }
    ]
    (difference,) = compare(shapes_of(stripe), shapes_of(fake))
    assert difference.fake_only == ["paid_out_of_band"]
    assert difference.type_mismatch == ["total"]
    assert difference.stripe_only == ["amount_paid"]
    assert len(difference.faults) == 2
