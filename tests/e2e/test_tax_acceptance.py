"""Issue 11's acceptance: tax the way each QBO company keeps its books, through the whole local
stack with faults, judged by the one checker (tax per document included).

- every company profile (us, us-ast, ca, uk, au): its tax scenario file (exclusive, inclusive,
  zero-rated, exempt, reverse charge, taxed shipping, a refund, a credit, a write-off, payouts
  in the home currency) and generated months taxed as that region sells: 0 violations, no
  object FAILED, no body refused by the fake's schema (so no document lacks a tax code);
- the checker catches wrong tax: a total, a rate, a missing code;
- a month whose products map to three income accounts and two classes lands each line there.

Default: one month per profile (6 customers, 20 invoices). ``SYNC_FULL_ACCEPTANCE=1``: three
months per profile of 12 customers and 45 invoices.
"""

from __future__ import annotations

import copy
import json
import os
import re
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from local_emulator.checks.invariants import Violation, check_invariants
from local_emulator.generator import generate_month
from local_emulator.generator.payouts import add_payouts
from local_emulator.generator.taxes import HOME_CURRENCY
from local_emulator.harness.runner import run_scenario
from local_emulator.harness.scenario import Scenario, load_scenario, parse_faults
from local_emulator.scenarios import tax_build

FAULTS = "qbo_429=0.1,qbo_5xx=0.05,qbo_drop_response=0.05,duplicate=0.2"
PROFILES = tax_build.PROFILES
FULL = os.environ.get("SYNC_FULL_ACCEPTANCE") == "1"
# (seeds, customers, invoices) of the generated months per profile
MONTHS = (range(1, 4), 12, 45) if FULL else (range(5, 6), 6, 20)
JsonDict = dict[str, Any]


def _quiet(message: str) -> None:
    """Progress lines of the runner: not needed here."""


def _scenario(lines: list[JsonDict]) -> Scenario:
    return Scenario(
        events=[x for x in lines if x.get("object") == "event"],
        objects=[x for x in lines if x.get("object") != "event"],
    )


def run_under(
    company: str, scenario: Scenario, out: Path, seed: int, books: Path | None = None
) -> tuple[JsonDict, list[Violation]]:
    result = run_scenario(
        scenario, out, faults=parse_faults(FAULTS), seed=seed, progress=_quiet,
        company=company, books=books,
    )  # fmt: skip
    assert result.all_processed, result.summary["events"]
    assert result.summary["objects"]["failed"] == []
    assert result.summary["schema_refused"] == {}  # no line without its code, no bad tax detail
    state = json.loads((out / "qbo.json").read_text(encoding="utf-8"))
    return state, check_invariants(scenario, state)


def _taxed_forms(state: JsonDict) -> Counter[str]:
    """What the books hold: documents with tax, inclusive ones, coded lines."""
    seen: Counter[str] = Counter()
    for entity in ("Invoice", "CreditMemo", "SalesReceipt", "RefundReceipt"):
        for doc in state.get(entity) or []:
            detail = doc.get("TxnTaxDetail") or {}
            tax_items = [
                line for line in doc.get("Line") or []
                if (line.get("SalesItemLineDetail") or {}).get("ItemRef", {}).get("name")
                == "Stripe sales tax"
            ]  # fmt: skip
            if Decimal(str(detail.get("TotalTax") or 0)) or tax_items:
                seen[f"taxed {entity}"] += 1
            if doc.get("GlobalTaxCalculation") == "TaxInclusive":
                seen["inclusive"] += 1
    return seen


@pytest.mark.parametrize("company", PROFILES)
def test_the_tax_scenario_of_each_company(company: str, tmp_path: Path) -> None:
    path = tax_build.HERE / f"{company}.jsonl"
    scenario = load_scenario(path)
    reasons = {
        tax.get("taxability_reason")
        for event in scenario.events
        if event["data"]["object"].get("object") == "invoice"
        for line in event["data"]["object"]["lines"]["data"]
        for tax in line.get("taxes") or []
    }
    assert {"standard_rated", "product_exempt"} <= reasons
    state, violations = run_under(company, scenario, tmp_path, seed=len(company))
    assert violations == [], Counter(v.rule for v in violations)
    seen = _taxed_forms(state)
    assert seen["taxed Invoice"] >= 2 and seen["taxed RefundReceipt"] >= 1, seen
    if company in ("ca", "uk", "au"):
        assert seen["inclusive"] >= 1, seen
    payouts = [d for d in state.get("Deposit") or []]
    home = HOME_CURRENCY[company].upper()
    assert payouts and all((d.get("CurrencyRef") or {}).get("value", home) == home for d in payouts)


@pytest.mark.parametrize("seed", list(MONTHS[0]))
@pytest.mark.parametrize("company", PROFILES)
def test_a_generated_month_of_each_company(company: str, seed: int, tmp_path: Path) -> None:
    _, customers, invoices = MONTHS
    lines = generate_month(
        seed, customers=customers, invoices=invoices,
        currencies=(HOME_CURRENCY[company],), company=company,
    )  # fmt: skip
    scenario = _scenario(add_payouts(lines, seed))
    state, violations = run_under(company, scenario, tmp_path, seed=seed)
    assert violations == [], Counter(v.rule for v in violations)
    assert _taxed_forms(state)["taxed Invoice"] >= 3


def _checked(scenario: Scenario, state: JsonDict) -> set[str]:
    return {v.rule for v in check_invariants(scenario, state)}


def test_the_checker_catches_wrong_tax(tmp_path: Path) -> None:
    scenario = load_scenario(tax_build.HERE / "ca.jsonl")
    state, violations = run_under("ca", scenario, tmp_path, seed=1)
    assert violations == []
    invoice = next(
        d for d in state["Invoice"] if len((d.get("TxnTaxDetail") or {}).get("TaxLine") or []) == 2
    )
    index = state["Invoice"].index(invoice)

    # a cent moved from one rate to the other: the total is right, the rates are not
    moved = copy.deepcopy(state)
    first, second = moved["Invoice"][index]["TxnTaxDetail"]["TaxLine"]
    first["Amount"] = str(Decimal(str(first["Amount"])) + Decimal("0.01"))
    second["Amount"] = str(Decimal(str(second["Amount"])) - Decimal("0.01"))
    assert _checked(scenario, moved) == {"tax_by_rate"}

    # less tax recorded than Stripe charged
    short = copy.deepcopy(state)
    short["Invoice"][index]["TxnTaxDetail"]["TotalTax"] = "0.00"
    assert "tax_total" in _checked(scenario, short)

    # a line without its tax code
    uncoded = copy.deepcopy(state)
    line = next(
        x for x in uncoded["Invoice"][index]["Line"] if x["DetailType"] == "SalesItemLineDetail"
    )
    del line["SalesItemLineDetail"]["TaxCodeRef"]
    assert _checked(scenario, uncoded) == {"tax_code_missing"}


BOOKS = """
[[products]]
stripe_product = "{platform}"
income_account = "Platform Income"
class = "Services"
department = "East"

[[products]]
stripe_product = "{seats}"
income_account = "Seat Licences"
class = "Products"
department = "East"

[[products]]
stripe_product = "{support}"
income_account = "Support Income"
class = "Services"
department = "East"
"""


def test_products_land_on_their_mapped_income_accounts_and_classes(tmp_path: Path) -> None:
    lines = generate_month(4, customers=4, invoices=12, currencies=("usd",), company="us")
    products = {
        x["name"]: x["id"] for x in lines if x.get("object") == "event"
        for x in [x["data"]["object"]] if x.get("object") == "product"
    }  # fmt: skip
    books = tmp_path / "books.toml"
    books.write_text(
        BOOKS.format(
            platform=products["Platform fee"], seats=products["Seats"],
            support=products["Support plan"],
        ),
        encoding="utf-8",
    )  # fmt: skip
    mapped = {
        products["Platform fee"]: ("Platform Income", "Services"),
        products["Seats"]: ("Seat Licences", "Products"),
        products["Support plan"]: ("Support Income", "Services"),
    }
    scenario = _scenario(lines)
    state, violations = run_under("us", scenario, tmp_path / "run", seed=4, books=books)
    assert violations == []
    accounts = {str(a["Id"]): a["Name"] for a in state["Account"]}
    items = {str(i["Id"]): accounts[str(i["IncomeAccountRef"]["value"])] for i in state["Item"]
             if i.get("IncomeAccountRef")}  # fmt: skip
    classes = {str(c["Id"]): c["Name"] for c in state["Class"]}
    departments = {str(d["Id"]): d["Name"] for d in state["Department"]}
    landed: Counter[tuple[str, str]] = Counter()
    invoices = {
        x["data"]["object"]["id"]: x["data"]["object"]
        for x in scenario.events if x["data"]["object"].get("object") == "invoice"
    }  # fmt: skip
    for doc in state["Invoice"]:
        found = re.search(r"Stripe invoice (\S+)", str(doc.get("PrivateNote")))
        if found is None:
            continue  # a debit adjustment of the customer's balance, not a Stripe invoice
        stripe_id = found.group(1)
        stripe_lines = invoices[stripe_id]["lines"]["data"]
        qbo_lines = [x for x in doc["Line"] if x["DetailType"] == "SalesItemLineDetail"]
        wanted_department = None
        for stripe_line, qbo_line in zip(stripe_lines, qbo_lines, strict=False):
            pricing = stripe_line.get("pricing") or {}
            product = (pricing.get("price_details") or {}).get("product")
            if product not in mapped:
                continue
            detail = qbo_line["SalesItemLineDetail"]
            got = (items[str(detail["ItemRef"]["value"])], classes[detail["ClassRef"]["value"]])
            assert got == mapped[product], (stripe_id, product)
            landed[got] += 1
            wanted_department = "East"
        if wanted_department and all(
            ((s.get("pricing") or {}).get("price_details") or {}).get("product") in mapped
            for s in stripe_lines
        ):
            assert departments[doc["DepartmentRef"]["value"]] == wanted_department
    assert {account for account, _ in landed} == {a for a, _ in mapped.values()}
    assert {cls for _, cls in landed} == {"Services", "Products"}
