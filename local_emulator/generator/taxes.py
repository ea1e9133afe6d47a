"""Stripe tax rates and how a generated invoice is taxed, per QBO company profile (``--company``).

Each profile sells the way a business in that region does: US sales tax (exclusive, sometimes
inclusive), Canadian GST with PST or HST, British VAT (standard, reduced, inclusive, zero-rated,
exempt, reverse charge for a business customer abroad), Australian GST (mostly inclusive). A
plan is what one invoice's lines carry; lines Stripe charges no tax on still carry a tax entry of
0 with its ``taxability_reason`` where Stripe gives one (docs.stripe.com/tax/zero-tax), and none
at all when the invoice has no tax rate. Rates are Stripe TaxRate objects in the served shape
(``percentage`` out of 100, ``inclusive``, ``country``/``state``, ``tax_type``), seeded as bare
objects: Stripe sends no event the sync listens to for them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

JsonDict = dict[str, Any]

# The fake QBO's companies and their home currencies (local_emulator/fakes/qbo/company)
HOME_CURRENCY = {"us": "usd", "us-ast": "usd", "ca": "cad", "uk": "gbp", "au": "aud"}


@dataclass(frozen=True)
class RateSpec:
    key: str  # the rate id's tail
    basis_points: int  # 725 = 7.25 %
    inclusive: bool
    country: str
    tax_type: str
    display_name: str
    state: str | None = None


@dataclass(frozen=True)
class TaxSpec:
    """One tax a line carries: its TaxRate object, and why (``taxability_reason``)."""

    rate: JsonDict
    reason: str = "standard_rated"

    @property
    def rate_id(self) -> str:
        return str(self.rate["id"])

    @property
    def basis_points(self) -> int:
        return round(float(self.rate["percentage"]) * 100)

    @property
    def inclusive(self) -> bool:
        return bool(self.rate["inclusive"])


@dataclass(frozen=True)
class Plan:
    name: str
    rates: tuple[str, ...]  # keys of the profile's rates; empty: no tax at all
    reason: str = "standard_rated"  # zero plans: why Stripe charged nothing
    customer_tax_exempt: str = "none"  # reverse charge: the customer is "reverse"


def _us(key: str, basis_points: int, inclusive: bool = False) -> RateSpec:
    return RateSpec(key, basis_points, inclusive, "US", "sales_tax", "Sales tax", state="CA")


CATALOG: dict[str, tuple[RateSpec, ...]] = {
    "us": (_us("us_sales", 725), _us("us_sales_incl", 725, True), _us("us_zero", 0)),
    "ca": (
        RateSpec("ca_gst", 500, False, "CA", "gst", "GST"),
        RateSpec("ca_pst_bc", 700, False, "CA", "pst", "PST", state="BC"),
        RateSpec("ca_hst_on", 1_300, False, "CA", "hst", "HST", state="ON"),
        RateSpec("ca_gst_incl", 500, True, "CA", "gst", "GST"),
        RateSpec("ca_zero", 0, False, "CA", "gst", "GST"),
    ),
    "uk": (
        RateSpec("uk_vat", 2_000, False, "GB", "vat", "VAT"),
        RateSpec("uk_vat_incl", 2_000, True, "GB", "vat", "VAT"),
        RateSpec("uk_vat_reduced", 500, False, "GB", "vat", "VAT"),
        RateSpec("uk_zero", 0, False, "GB", "vat", "VAT"),
    ),
    "au": (
        RateSpec("au_gst_incl", 1_000, True, "AU", "gst", "GST"),
        RateSpec("au_gst", 1_000, False, "AU", "gst", "GST"),
        RateSpec("au_zero", 0, False, "AU", "gst", "GST"),
    ),
}
CATALOG["us-ast"] = CATALOG["us"]

# (plan, weight out of 100) per profile
PLANS: dict[str, tuple[tuple[Plan, int], ...]] = {
    "us": (
        (Plan("exclusive", ("us_sales",)), 40),
        (Plan("inclusive", ("us_sales_incl",)), 10),
        (Plan("exempt", ("us_zero",), "product_exempt"), 10),
        (Plan("none", ()), 40),
    ),
    "ca": (
        (Plan("gst_pst", ("ca_gst", "ca_pst_bc")), 30),
        (Plan("hst", ("ca_hst_on",)), 20),
        (Plan("inclusive", ("ca_gst_incl",)), 10),
        (Plan("zero_rated", ("ca_zero",), "zero_rated"), 10),
        (Plan("exempt", ("ca_zero",), "product_exempt"), 10),
        (Plan("none", ()), 20),
    ),
    "uk": (
        (Plan("standard", ("uk_vat",)), 30),
        (Plan("inclusive", ("uk_vat_incl",)), 15),
        (Plan("reduced", ("uk_vat_reduced",)), 10),
        (Plan("zero_rated", ("uk_zero",), "zero_rated"), 10),
        (Plan("exempt", ("uk_zero",), "product_exempt"), 10),
        (Plan("reverse_charge", ("uk_zero",), "reverse_charge", "reverse"), 10),
        (Plan("none", ()), 15),
    ),
    "au": (
        (Plan("inclusive", ("au_gst_incl",)), 35),
        (Plan("exclusive", ("au_gst",)), 25),
        (Plan("gst_free", ("au_zero",), "zero_rated"), 15),
        (Plan("exempt", ("au_zero",), "product_exempt"), 10),
        (Plan("none", ()), 15),
    ),
}
PLANS["us-ast"] = PLANS["us"]


def tax_rate_object(rate_id: str, spec: RateSpec, created: int) -> JsonDict:
    percentage = spec.basis_points / 100
    return {
        "id": rate_id,
        "object": "tax_rate",
        "active": True,
        "country": spec.country,
        "created": created,
        "description": None,
        "display_name": spec.display_name,
        "effective_percentage": percentage,
        "flat_amount": None,
        "inclusive": spec.inclusive,
        "jurisdiction": spec.state or spec.country,
        "jurisdiction_level": None,  # a manual rate (Stripe Tax's have one)
        "livemode": False,
        "metadata": {},
        "percentage": percentage,
        "rate_type": "percentage",
        "state": spec.state,
        "tax_type": spec.tax_type,
    }


class TaxCatalog:
    """A profile's Stripe tax rates (ids tagged per month) and the plans invoices follow."""

    def __init__(self, company: str, tag: str, created: int) -> None:
        if company not in CATALOG:
            raise ValueError(f"unknown company profile {company!r}; one of {sorted(CATALOG)}")
        self.company = company
        self.rates = {
            spec.key: tax_rate_object(f"txr_{tag}{spec.key}", spec, created)
            for spec in CATALOG[company]
        }
        plans = PLANS[company]
        self._plans = [p for p, _ in plans]
        self._weights = [w for _, w in plans]

    def objects(self) -> list[JsonDict]:
        return list(self.rates.values())

    def choose(self, rng: random.Random) -> tuple[tuple[TaxSpec, ...], str]:
        """(the taxes of an invoice's lines, the customer's tax status on it)."""
        plan = rng.choices(self._plans, self._weights)[0]
        taxes = tuple(TaxSpec(self.rates[key], plan.reason) for key in plan.rates)
        return taxes, plan.customer_tax_exempt


__all__ = ["CATALOG", "HOME_CURRENCY", "PLANS", "TaxCatalog", "TaxSpec"]
