"""The month generator and the scenario library: deterministic, varied, internally consistent."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest

from local_emulator import scenarios
from local_emulator.checks.credit_notes import credit_part
from local_emulator.checks.invariants import StripeBooks
from local_emulator.fakes.stripe.versions import API_VERSION, removed_fields
from local_emulator.generator import generate_month
from local_emulator.generator.sim import DISPUTE_FEE
from local_emulator.harness.scenario import Scenario, load_scenario
from local_emulator.scenarios import build
from local_emulator.scenarios.stories.registry import scenario
from shared.cli.main import main

JsonDict = dict[str, Any]
SEEDS = (1, 2, 3)
EVENT_TYPES = {
    "customer.created", "customer.updated", "product.created", "price.created",
    "invoice.created", "invoice.finalized", "invoice.updated", "invoice.paid",
    "invoice.payment_succeeded", "invoice.payment_failed", "invoice.voided",
    "invoice.marked_uncollectible", "invoice_payment.paid", "charge.succeeded", "charge.failed",
    "charge.refunded", "payment_intent.succeeded", "payment_intent.payment_failed",
    "refund.created", "refund.updated", "credit_note.created", "credit_note.voided",
    "charge.dispute.created", "charge.dispute.updated", "charge.dispute.funds_withdrawn",
    "charge.dispute.funds_reinstated", "charge.dispute.closed", "product.deleted",
}  # fmt: skip


def books_of(lines: list[JsonDict]) -> StripeBooks:
    scenario = Scenario(
        events=[x for x in lines if x.get("object") == "event"],
        objects=[x for x in lines if x.get("object") != "event"],
    )
    return StripeBooks(o for o in scenario.seed_state() if o.get("object") != "event")


@pytest.fixture(scope="module")
def months() -> dict[int, list[JsonDict]]:
    return {seed: generate_month(seed) for seed in SEEDS}


def test_same_seed_same_month_other_seed_other_month() -> None:
    assert generate_month(7, customers=5, invoices=20) == generate_month(
        7, customers=5, invoices=20
    )
    assert generate_month(7, customers=5, invoices=20) != generate_month(
        8, customers=5, invoices=20
    )


def test_events_are_of_known_types_in_creation_order(months: dict[int, list[JsonDict]]) -> None:
    for lines in months.values():
        events = [x for x in lines if x["object"] == "event"]
        assert {e["type"] for e in events} <= EVENT_TYPES
        created = [e["created"] for e in events]
        assert created == sorted(created) and len(set(created)) == len(created)
        assert len({e["id"] for e in events}) == len(events)
        for event in events:
            assert event["api_version"] == API_VERSION
            kind = event["type"].rsplit(".", 1)[0]
            expected = "dispute" if kind.startswith("charge.dispute") else kind
            assert event["data"]["object"]["object"] == expected


def test_invoice_totals_follow_from_lines(months: dict[int, list[JsonDict]]) -> None:
    for lines in months.values():
        for invoice in books_of(lines).of("invoice"):
            data = invoice["lines"]["data"]
            subtotal = sum(line["amount"] for line in data)
            discounts = sum(d["amount"] for line in data for d in line["discount_amounts"])
            pretax = [c for line in data for c in line["pretax_credit_amounts"]]
            credits = sum(c["amount"] for c in pretax if c["type"] == "credit_balance_transaction")
            assert sum(c["amount"] for c in pretax if c["type"] == "discount") == discounts
            assert sum(c["amount"] for c in invoice["total_pretax_credit_amounts"]) == (
                discounts + credits
            )
            taxes = sum(t["amount"] for line in data for t in line["taxes"])
            shipping = invoice["shipping_cost"] or {}
            assert invoice["amount_shipping"] == shipping.get("amount_subtotal", 0)
            assert invoice["subtotal"] == subtotal
            assert sum(d["amount"] for d in invoice["total_discount_amounts"]) == discounts
            assert sum(t["amount"] for t in invoice["total_taxes"]) == taxes
            assert invoice["total"] == (
                subtotal - discounts - credits + taxes + shipping.get("amount_total", 0)
            )
            for line in data:
                assert line["amount"] == line["subtotal"]
                if line["pricing"]:
                    unit = int(line["pricing"]["unit_amount_decimal"])
                    assert line["amount"] == unit * line["quantity"]


def test_amounts_due_paid_and_remaining_agree(months: dict[int, list[JsonDict]]) -> None:
    for lines in months.values():
        books = books_of(lines)
        notes: dict[str, list[JsonDict]] = defaultdict(list)
        for note in books.of("credit_note"):
            if note["status"] == "issued":
                notes[note["invoice"]].append(note)
        for invoice in books.invoices():
            pre = sum(n["amount"] for n in notes[invoice["id"]] if n["type"] == "pre_payment")
            post = sum(n["amount"] for n in notes[invoice["id"]] if n["type"] == "post_payment")
            used = invoice["ending_balance"] - invoice["starting_balance"]
            assert invoice["starting_balance"] <= 0 and used >= 0  # credit only, never a debt
            assert invoice["pre_payment_credit_notes_amount"] == pre
            assert invoice["post_payment_credit_notes_amount"] == post
            assert invoice["amount_due"] == invoice["total"] - pre - used
            assert invoice["amount_remaining"] == invoice["amount_due"] - invoice["amount_paid"]
            assert books.out_of_band(invoice) >= 0
            if invoice["status"] == "paid":
                assert invoice["amount_remaining"] == 0
                assert invoice["status_transitions"]["paid_at"]
            assert post <= invoice["amount_paid"]


def test_payments_name_their_payment_intent_or_record(
    months: dict[int, list[JsonDict]],
) -> None:
    for lines in months.values():
        books = books_of(lines)
        for payments in books.payments.values():
            for payment in payments:
                ref = payment["payment"]
                assert "charge" not in ref  # a PaymentIntent's charge is not named
                assert payment["status_transitions"]["paid_at"]
                if ref["type"] == "payment_record":
                    record = books.by_type["payment_record"][ref["payment_record"]]
                    assert record["amount"]["value"] >= payment["amount_paid"]
                    assert record["reported_by"] == "self"
                    continue
                intent = books.by_type["payment_intent"][ref["payment_intent"]]
                charge = books.by_type["charge"][intent["latest_charge"]]
                assert charge["status"] == "succeeded"
                assert charge["amount"] == payment["amount_paid"]
                assert charge["payment_intent"] == intent["id"]


def test_refunds_never_exceed_their_charge(months: dict[int, list[JsonDict]]) -> None:
    for lines in months.values():
        books = books_of(lines)
        refunded: Counter[str] = Counter()
        for refund in books.of("refund"):
            if refund["status"] == "succeeded":
                refunded[refund["charge"]] += refund["amount"]
        for charge in books.of("charge"):
            assert refunded[charge["id"]] == charge["amount_refunded"] <= charge["amount"]
            assert charge["refunded"] == (charge["amount_refunded"] == charge["amount"])


def test_customer_balance_is_its_balance_transactions(
    months: dict[int, list[JsonDict]],
) -> None:
    for lines in months.values():
        books = books_of(lines)
        balance: Counter[str] = Counter()
        for txn in books.of("customer_balance_transaction"):
            balance[txn["customer"]] += txn["amount"]
            if txn["type"] == "credit_note" and txn["amount"] < 0:
                note = books.by_type["credit_note"][txn["credit_note"]]
                assert -txn["amount"] == credit_part(note)
            if txn["type"] == "applied_to_invoice":
                invoice = books.by_type["invoice"][txn["invoice"]]
                assert txn["amount"] == invoice["ending_balance"] - invoice["starting_balance"]
        for customer in books.of("customer"):
            assert customer["balance"] == balance[customer["id"]] <= 0
        for note in books.of("credit_note"):
            for part in note["refunds"]:
                if part["type"] == "refund":
                    refund = books.by_type["refund"][part["refund"]]
                    assert refund["amount"] == part["amount_refunded"]
                else:
                    record = part["payment_record_refund"]["payment_record"]
                    assert books.by_type["payment_record"][record]["amount_refunded"]["value"]


def test_generated_months_contain_no_field_the_api_version_removed(
    months: dict[int, list[JsonDict]],
) -> None:
    """invoice.paid_out_of_band, invoice.charge, invoice.payment_intent, a line's price, ...:
    none anywhere, events and bare objects alike (``fakes.stripe.versions.REMOVED_FIELDS``)."""
    for lines in months.values():
        assert [path for line in lines for path in removed_fields(line)] == []
    stale = {"object": "invoice", "paid_out_of_band": False, "lines": {"data": []}}
    assert list(removed_fields({"data": {"object": stale}})) == [
        "data.object.paid_out_of_band (invoice)"
    ]


def test_disputes_withdraw_and_reinstate_amount_and_fee(
    months: dict[int, list[JsonDict]],
) -> None:
    seen: Counter[str] = Counter()
    for lines in months.values():
        books = books_of(lines)
        for dispute in books.of("dispute"):
            seen[dispute["status"]] += 1
            charge = books.by_type["charge"][dispute["charge"]]
            assert dispute["amount"] == charge["amount"] and charge["disputed"] is not None
            txns = dispute["balance_transactions"]
            assert txns[0]["net"] == -dispute["amount"] - DISPUTE_FEE
            assert len(txns) == (2 if dispute["status"] == "won" else 1)
            if dispute["status"] == "won":
                assert txns[1]["net"] == dispute["amount"] + DISPUTE_FEE
    assert seen["won"] and seen["lost"]


def test_a_month_has_every_kind_of_case(months: dict[int, list[JsonDict]]) -> None:
    found: Counter[str] = Counter()
    for lines in months.values():
        books = books_of(lines)
        for invoice in books.of("invoice"):
            found[f"invoice:{invoice['status']}"] += 1
            found["currency:" + invoice["currency"]] += 1
            found["oob"] += books.out_of_band(invoice) > 0
            found["several_payments"] += len(books.payments.get(invoice["id"], [])) > 1
            found["long_number"] += len(invoice["number"] or "") > 21
            found["discount"] += bool(invoice["total_discount_amounts"])
            found["tax"] += bool(invoice["total_taxes"])
            found["shipping"] += bool(invoice["shipping_cost"])
            found["billing_credits"] += any(
                c["type"] == "credit_balance_transaction"
                for c in invoice["total_pretax_credit_amounts"]
            )
            found["credit_used"] += invoice["ending_balance"] != invoice["starting_balance"]
            found["covered_by_credit"] += (
                invoice["status"] == "paid"
                and invoice["amount_due"] == 0
                and invoice["ending_balance"] != invoice["starting_balance"]
            )
        for payment in books.of("invoice_payment"):
            kind = payment["payment"]["type"]
            found[f"payment:{kind}:{'default' if payment['is_default'] else 'attached'}"] += 1
        for txn in books.of("customer_balance_transaction"):
            found[f"balance:{txn['type']}"] += 1
        for note in books.of("credit_note"):
            found[f"credit_note:{note['type']}:{note['status']}"] += 1
        for refund in books.of("refund"):
            found[f"refund:{refund['status']}"] += 1
        found["standalone_charges"] += len(books.standalone_charges())
        found["guest_charges"] += sum(1 for c in books.standalone_charges() if not c["customer"])
        found["failed_charges"] += sum(1 for c in books.of("charge") if c["status"] == "failed")
    wanted = {
        "invoice:draft", "invoice:open", "invoice:paid", "invoice:void",
        "invoice:uncollectible", "currency:usd", "currency:eur", "currency:jpy", "currency:kwd",
        "oob", "several_payments", "long_number", "discount", "tax", "shipping",
        "billing_credits", "credit_used", "covered_by_credit", "payment:payment_intent:default",
        "payment:payment_intent:attached", "payment:payment_record:attached",
        "balance:adjustment", "balance:credit_note", "balance:applied_to_invoice",
        "credit_note:pre_payment:issued", "credit_note:pre_payment:void",
        "credit_note:post_payment:issued", "refund:succeeded", "refund:failed",
        "standalone_charges", "guest_charges", "failed_charges",
    }  # fmt: skip
    assert {key for key, n in found.items() if n} >= wanted


def test_only_synthetic_names_and_example_emails(months: dict[int, list[JsonDict]]) -> None:
    for lines in months.values():
        for customer in books_of(lines).of("customer"):
            assert re.fullmatch(r"Customer \d{4} [A-Za-z]+( \(renamed\))?", customer["name"])
            assert customer["email"].endswith("@example.com")


def test_a_month_is_several_hundred_events() -> None:
    events = [x for x in generate_month(4) if x["object"] == "event"]
    assert 700 <= len(events) <= 2_000


def test_cli_writes_a_month(tmp_path: Path) -> None:
    out = tmp_path / "month.jsonl"
    args = ["generate", "--kind", "month", "--seed", "3", "--customers", "4", "--invoices", "9"]
    assert main([*args, "--currencies", "usd,bhd", "--out", str(out)]) == 0
    scenario = load_scenario(out)
    assert scenario.events and scenario.objects
    currencies = {e["data"]["object"].get("currency") for e in scenario.events}
    assert currencies - {None} <= {"usd", "bhd"}


def test_the_scenario_library_is_up_to_date(tmp_path: Path) -> None:
    written = build.build_all(tmp_path)
    assert len(written) == len(build.SCENARIOS) >= 35
    for path in written:
        committed = Path(build.__file__).parent / path.name
        assert committed.read_bytes() == path.read_bytes(), f"rebuild {path.name}"
        assert path.stem in (scenarios.__doc__ or ""), f"describe {path.stem}"
        assert 1 <= len(load_scenario(path).events) <= 60


def test_every_committed_scenario_file_has_its_story_and_names_are_unique() -> None:
    here = Path(build.__file__).parent
    assert {p.stem for p in here.glob("*.jsonl")} == set(build.SCENARIOS)
    with pytest.raises(ValueError, match="two scenarios are named invoice_voided"):
        scenario(build.SCENARIOS["invoice_voided"])
