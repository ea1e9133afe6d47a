"""Existing books acceptance: a month backfilled (and delivered as webhooks) into a fake QBO that
already holds the month's customers (some with their email, the others under their exact name)
and an invoice another tool wrote under a number one of Stripe's invoices has. No customer is
created twice and nothing foreign is adopted: that invoice is FAILED naming both sides."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from local_emulator.generator import generate_month
from local_emulator.harness.runner import Mode, run_scenario
from local_emulator.harness.scenario import FaultSpec, scenario_of_lines
from local_emulator.harness.stack import LocalStack
from shared.domain.idempotency import doc_number_from_stripe_number

JsonDict = dict[str, Any]
MONTH = generate_month(8, customers=6, invoices=24)
SCENARIO = scenario_of_lines(MONTH)
STATE = SCENARIO.seed_state()


def _quiet(message: str) -> None:
    """The runner's progress lines: not needed here."""


def stripe_customers() -> list[JsonDict]:
    return [o for o in STATE if o.get("object") == "customer"]


def foreign_number() -> tuple[str, str]:
    """(Stripe invoice id, its QBO DocNumber) of the first finalized invoice."""
    invoice = next(o for o in STATE if o.get("object") == "invoice" and o.get("number"))
    return str(invoice["id"]), doc_number_from_stripe_number(str(invoice["number"]))


def fill_books(stack: LocalStack) -> None:
    """The company's QBO before the sync: its customers, and another tool's invoice."""
    fake = stack.fake_qbo
    legacy: list[str] = []
    for index, customer in enumerate(stripe_customers()):
        currency = str(customer.get("currency") or "usd").upper()
        doc: JsonDict = {"CurrencyRef": {"value": currency}}
        if index % 2 == 0:  # found by email: another name in QBO
            doc["DisplayName"] = f"Legacy account {index}"
            doc["PrimaryEmailAddr"] = {"Address": customer["email"]}
        else:  # found by its exact name
            doc["DisplayName"] = customer["name"]
        legacy.append(str(fake.create("Customer", doc)["Customer"]["Id"]))
    _, number = foreign_number()
    item = fake.create("Item", {"Name": "Legacy services", "IncomeAccountRef": {"value": "1"}})
    fake.create(
        "Invoice",
        {
            "DocNumber": number,
            "CustomerRef": {"value": legacy[0]},
            "CurrencyRef": {"value": str(stripe_customers()[0].get("currency") or "usd").upper()},
            "Line": [
                {
                    "Amount": 50,
                    "DetailType": "SalesItemLineDetail",
                    "SalesItemLineDetail": {"ItemRef": {"value": item["Item"]["Id"]}},
                }
            ],
            "PrivateNote": "Imported by another tool",
        },
    )


# The webhook flow too with SYNC_FULL_ACCEPTANCE=1 (same matching code, slower to drive).
MODES = ["backfill", "webhooks"] if os.environ.get("SYNC_FULL_ACCEPTANCE") == "1" else ["backfill"]


@pytest.mark.parametrize("mode", MODES)
def test_existing_customers_are_adopted_and_a_foreign_invoice_is_not(
    mode: Mode, tmp_path: Path
) -> None:
    run_scenario(
        SCENARIO, tmp_path, faults=FaultSpec({}, {}, {}), progress=_quiet, mode=mode,
        prepare=fill_books,
    )  # fmt: skip
    qbo = json.loads((tmp_path / "qbo.json").read_text(encoding="utf-8"))
    customers = qbo["Customer"]
    legacy = {str(c["Id"]): c for c in customers if "Stripe customer" not in str(c.get("Notes"))}
    ours = [c for c in customers if "Stripe customer" in str(c.get("Notes"))]
    assert len(legacy) == len(stripe_customers())
    # one QBO customer per Stripe customer and currency: nobody was created in a currency the
    # books had them in
    had = {(s["id"], str(s.get("currency") or "usd").upper()) for s in stripe_customers()}
    created = {
        (str(c["Notes"]).split()[-1], str((c.get("CurrencyRef") or {}).get("value") or "USD"))
        for c in ours
    }
    assert not had & created
    links = json.loads((tmp_path / "links.json").read_text(encoding="utf-8"))
    matched = {
        (link["stripe_object_id"], link["qbo_entity_type"].removesuffix(":matched")): link
        for link in links
        if link["qbo_entity_type"].endswith(":matched") and link["status"] == "COMPLETED"
    }
    for stripe in stripe_customers():
        currency = str(stripe.get("currency") or "usd").upper()
        key = "Customer" if currency == "USD" else f"Customer:{currency}"
        assert matched[(stripe["id"], key)]["qbo_entity_id"] in legacy
    invoices = {
        str(i.get("DocNumber")): i for i in qbo["Invoice"]
    }  # the other tool's invoice, untouched
    invoice_id, number = foreign_number()
    foreign = invoices[number]
    assert foreign["PrivateNote"] == "Imported by another tool" and foreign["SyncToken"] == "0"
    failed = [x for x in links if x["stripe_object_id"] == invoice_id and x["status"] == "FAILED"]
    assert failed and failed[0]["last_error_code"] == "foreign_document"
    reason = str(failed[0]["last_error"])
    assert f"QBO Invoice {foreign['Id']}" in reason and invoice_id in reason
