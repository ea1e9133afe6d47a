"""Names the sync sends QBO: what QBO refuses (2040) cleaned out, the Stripe id always kept."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from local_emulator.fakes.qbo.schema.entities import FORBIDDEN_IN_NAMES
from shared.domain.mapping import (
    display_name_from_stripe_customer,
    qbo_customer_from_stripe_customer,
)
from shared.domain.names import ITEM_NAME_MAX, clean_name, name_with_id
from shared.domain.stripe_models import StripeCustomer


def test_colon_tab_and_newline_are_cleaned_out() -> None:
    assert clean_name("Parent:Child\tCo\nLtd\r\n ") == "Parent-Child Co Ltd"


def test_customer_name_keeps_its_stripe_id_and_fits() -> None:
    customer = StripeCustomer(id="cus_Q1", name="Rob:Barnett:Company\n" + "x" * 300)
    name = display_name_from_stripe_customer(customer, "EUR")
    assert name.endswith(" [cus_Q1] EUR") and name.startswith("Rob-Barnett-Company x")
    assert len(name) <= 100
    assert not any(c in name for c in FORBIDDEN_IN_NAMES)
    company = qbo_customer_from_stripe_customer(customer).CompanyName
    assert company is not None and len(company) <= 100 and ":" not in company


def test_a_blank_name_falls_back_to_the_id() -> None:
    assert display_name_from_stripe_customer(StripeCustomer(id="cus_Q2", name=" \t\n ")) == "cus_Q2"


@given(st.text(), st.from_regex(r"prod_[A-Za-z0-9]{14}", fullmatch=True))
def test_item_names_are_always_accepted(text: str, product_id: str) -> None:
    name = name_with_id(text, f" [{product_id}]", ITEM_NAME_MAX)
    assert len(name) <= ITEM_NAME_MAX
    assert name.endswith(f"[{product_id}]")
    assert not any(c in name for c in FORBIDDEN_IN_NAMES)
