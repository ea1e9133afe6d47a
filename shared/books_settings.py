"""The books settings: the one model of every account, item, tax and product mapping choice an
accountant makes, with the one set of defaults. ``Settings.books`` holds it; a TOML file
(``SYNC_BOOKS_FILE``, README "The books file") or environment variables
(``SYNC_BOOKS__ACCOUNTS__CLEARING=...``) fill it, validated here with path-qualified errors.

The home currency is not a setting: it is the QBO company's (``Preferences.CurrencyPrefs``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, tzinfo
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class _Strict(BaseModel):
    """A section of the books settings: unknown keys are refused (a typo must not pass)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class AccountNames(_Strict):
    """QBO accounts by role; a missing one is created on first use (Undeposited Funds is found
    by its type, whatever the company calls it)."""

    income: str = "Stripe Sales Income"
    clearing: str = "Stripe Clearing"
    bank: str = "Operating Bank"
    fees: str = "Stripe Fees"
    bad_debt: str = "Bad Debt"
    suspense: str = "Stripe Suspense"
    # three-decimal currencies: what rounding to QBO's 2 places leaves (README, rounding policy)
    rounding: str = "Stripe Currency Rounding"
    disputes: str = "Stripe Disputes"
    tax: str = "Sales Tax Payable"  # US companies on manual sales tax: the tax line's account
    discounts: str = "Discounts Given"
    undeposited: str = "Undeposited Funds"
    opening: str = "Opening Balance Equity"  # opening balances at the cutover (found by type)
    # Stripe Connect platforms (README, Connect): application fees collected (income), fees
    # refunded to connected accounts (contra income), transfers to connected accounts and their
    # reversals (cost of sales)
    platform_fees: str = "Stripe Platform Fees"
    platform_fee_refunds: str = "Stripe Platform Fee Refunds"
    connect_transfers: str = "Stripe Connect Transfers"
    # Stripe's currency conversions: what its rate gave beyond QBO's (README, settlement
    # currencies); the company's ExchangeGainOrLoss account, created by this name only if none
    exchange: str = "Exchange Gain or Loss"
    # a conversion between two foreign currencies passes through this home-currency account
    fx_conversion: str = "Stripe Currency Conversion"


class ItemNames(_Strict):
    """QBO items the sync posts to when a line has no product item of its own."""

    default: str = "Stripe sales"
    tax: str = "Stripe sales tax"  # US companies on manual sales tax
    discounts: str = "Stripe discounts"  # companies that need a tax code on every line
    refunds: str = "Stripe refunds"
    bad_debt: str = "Bad debt"
    shipping: str = "Stripe shipping"
    billing_credits: str = "Stripe billing credits"  # credit grants used on invoices
    balance_adjustment: str = "Stripe balance adjustments"  # customer balance by hand
    rounding: str = "Stripe currency rounding"  # customer credit, three-decimal currencies
    opening_balance: str = "Opening balance"  # the cutover's opening invoices and credit memos


class TaxMatch(_Strict):
    """A Stripe tax rate by what it says, for Stripe Tax's rates (each sale may mint a new id)."""

    country: str | None = None
    state: str | None = None
    tax_type: str | None = None
    jurisdiction: str | None = None
    percentage: Decimal | None = None

    @model_validator(mode="after")
    def _something(self) -> TaxMatch:
        if not self.model_dump(exclude_none=True):
            raise ValueError("a match names at least one of country, state, tax_type, ...")
        return self


class TaxRateMapping(_Strict):
    """A Stripe tax rate (by id, or by a match) and the QBO tax code its tax goes under."""

    stripe_tax_rate: str | None = None
    match: TaxMatch | None = None
    qbo_tax_code: str  # the code's Name (or Id)
    qbo_tax_rate: str | None = None  # which of the code's rates, when it has several

    @model_validator(mode="after")
    def _one_selector(self) -> TaxRateMapping:
        if (self.stripe_tax_rate is None) == (self.match is None):
            raise ValueError("give exactly one of stripe_tax_rate and match")
        return self


class TaxReasons(_Strict):
    """QBO tax codes for lines Stripe charged no tax on, by Stripe's taxability reason:
    zero_rated; exempt (product_exempt, customer_exempt, ...); reverse_charge; out_of_scope
    (not_collecting, not_subject_to_tax, ...); no_tax (a line without any tax entry)."""

    zero_rated: str | None = None
    exempt: str | None = None
    reverse_charge: str | None = None
    out_of_scope: str | None = None
    no_tax: str | None = None


class TaxSettings(_Strict):
    rates: tuple[TaxRateMapping, ...] = ()
    reasons: TaxReasons = TaxReasons()
    # US automated sales tax: the code to post Stripe's tax under (empty: the one AST assigns)
    ast_tax_code: str | None = None


class ProductMapping(_Strict):
    """Where a Stripe line posts: by price, product or metadata (a key and value on the line or
    its product), to an existing QBO item or an income account, with a class and a location."""

    price: str | None = None
    stripe_product: str | None = None
    metadata: dict[str, str] | None = None
    item: str | None = None
    income_account: str | None = None
    class_: str | None = Field(default=None, alias="class")
    department: str | None = None

    @model_validator(mode="after")
    def _selector_and_target(self) -> ProductMapping:
        selectors = [self.price, self.stripe_product, self.metadata]
        if sum(s is not None for s in selectors) != 1:
            raise ValueError("give exactly one of price, stripe_product and metadata")
        if self.item is not None and self.income_account is not None:
            raise ValueError("give an item or an income account, not both")
        if all(v is None for v in (self.item, self.income_account, self.class_, self.department)):
            raise ValueError("map to at least one of item, income_account, class, department")
        return self

    @property
    def precedence(self) -> int:
        """price (0) before product (1) before metadata (2)."""
        return 0 if self.price is not None else 1 if self.stripe_product is not None else 2

    def selects(self, price: str | None, product: str | None, metadata: Mapping[str, str]) -> bool:
        if self.price is not None:
            return self.price == price
        if self.stripe_product is not None:
            return self.stripe_product == product
        return all(metadata.get(k) == v for k, v in (self.metadata or {}).items())


class BooksSettings(_Strict):
    timezone: str = "UTC"  # the QBO company's time zone: dates are its calendar dates
    accounts: AccountNames = AccountNames()
    items: ItemNames = ItemNames()
    tax: TaxSettings = TaxSettings()
    products: tuple[ProductMapping, ...] = ()
    # activity before it starts the books as opening balances (README, "Cutover")
    cutover_date: date | None = None

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @property
    def tz(self) -> tzinfo:
        return ZoneInfo(self.timezone)

    def product_mapping(
        self, price: str | None, product: str | None, metadata: Mapping[str, str]
    ) -> ProductMapping | None:
        """The entry for a line: price before product before metadata, first one listed."""
        found = [p for p in self.products if p.selects(price, product, metadata)]
        return min(found, key=lambda p: p.precedence) if found else None


def deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """``over`` on top of ``base`` (tables merge; anything else replaces)."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out
