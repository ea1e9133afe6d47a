"""create_or_heal against the fake QBO with requestid replay switched off: a lost answer is healed
by a lookup on a field we control, only documents carrying our marker are adopted, and a foreign
document with our number is a clear failure naming both sides."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient

from local_emulator.generator.stripe_objects import customer_object
from local_emulator.harness.stack import LocalStack
from shared.errors import ForeignDocumentError, UpstreamUnavailableError
from shared.services.qbo_lookup import create_or_heal, find_all
from tests.functional.conftest import T0
from tests.functional.qbo_fixtures import QboEnv, qbo_env
from tests.functional.test_worker_function import run_task


@pytest.fixture
def env() -> Iterator[QboEnv]:
    with qbo_env() as environment:
        environment.fake.faults.config.switch("off")
        yield environment


def product_item(env: QboEnv, note: str) -> dict[str, Any]:
    income = env.fake.books.account_by_subtype("SalesOfProductIncome")
    return {"Name": "Seats [prod_1]", "IncomeAccountRef": {"value": income}, "Description": note}


def heal(env: QboEnv, body: dict[str, Any], *, heal_first: bool) -> str:
    return create_or_heal(
        env.gateway,
        "Item",
        body,
        "item:prod_1",
        lambda: find_all(env.gateway, "Item", "Name", str(body["Name"])),
        heal_first=heal_first,
    )


def test_a_lost_answer_is_healed_by_lookup_without_requestid_replay(env: QboEnv) -> None:
    body = product_item(env, "Stripe product prod_1")
    env.fake.faults.force("qbo_drop_response")
    with pytest.raises(UpstreamUnavailableError):
        heal(env, body, heal_first=False)
    (created,) = [i for i in env.fake.state_json()["Item"] if i["Name"] == body["Name"]]

    assert heal(env, body, heal_first=True) == created["Id"]
    # Even without looking first, the duplicate name (6240) leads to the same document.
    assert heal(env, body, heal_first=False) == created["Id"]
    assert len([i for i in env.fake.state_json()["Item"] if i["Name"] == body["Name"]]) == 1


def test_a_document_someone_else_wrote_is_never_adopted(env: QboEnv) -> None:
    foreign = env.gateway.create("Item", product_item(env, "imported by hand"), "by-hand")
    ours = product_item(env, "Stripe product prod_1")

    with pytest.raises(ForeignDocumentError) as refused:
        heal(env, ours, heal_first=True)

    message = refused.value.message
    assert f"Item {foreign['Id']}" in message and "product prod_1" in message
    assert refused.value.code == "foreign_document"


def test_a_foreign_invoice_with_our_doc_number_is_refused_with_both_ids(env: QboEnv) -> None:
    customer = env.gateway.create("Customer", {"DisplayName": "Acme"}, "cus-acme")
    income = env.fake.books.account_by_subtype("SalesOfProductIncome")
    item = env.gateway.create("Item", {"Name": "Seats", "IncomeAccountRef": {"value": income}}, "i")
    line = {"Amount": 10, "DetailType": "SalesItemLineDetail",
            "SalesItemLineDetail": {"ItemRef": {"value": item["Id"]}}}  # fmt: skip
    base = {"CustomerRef": {"value": customer["Id"]}, "DocNumber": "ACME-0001", "Line": [line]}
    foreign = env.gateway.create("Invoice", {**base, "PrivateNote": "another connector"}, "x")

    with pytest.raises(ForeignDocumentError) as refused:
        create_or_heal(
            env.gateway,
            "Invoice",
            {**base, "PrivateNote": "Stripe invoice in_1 (ACME-0001)"},
            "invoice:in_1",
            lambda: find_all(env.gateway, "Invoice", "DocNumber", "ACME-0001"),
            heal_first=False,
        )

    assert f"Invoice {foreign['Id']}" in refused.value.message
    assert "invoice in_1" in refused.value.message
    assert len(env.fake.state_json()["Invoice"]) == 1


def test_reference_data_without_a_marker_is_adopted_by_name(env: QboEnv) -> None:
    existing = env.gateway.query("select * from Account where Name = 'Payments to deposit'")
    body = {"Name": "Payments to deposit", "AccountType": "Other Current Asset"}

    found = create_or_heal(
        env.gateway,
        "Account",
        body,
        "account-ref:Payments to deposit",
        lambda: find_all(env.gateway, "Account", "Name", "Payments to deposit"),
        heal_first=False,
    )

    assert found == existing[0]["Id"]


def test_a_name_changed_back_is_written_not_replayed(
    stack: LocalStack, client: FlaskClient
) -> None:
    """A customer's update requestid carries the SyncToken: A -> B -> A -> B leaves B in QBO
    (the second change to B is a new request, not a replay of the first)."""
    task = {"object_type": "customer", "object_id": "cus_A"}
    assert run_task(client, task, name="evt-c0").get_json()["outcome"] == "COMPLETED"
    for step, name in enumerate(("Acme Two", "Acme", "Acme Two"), start=1):
        stack.fake_stripe.seed_object(customer_object("cus_A", name=name, created=T0))
        answer = run_task(client, task, name=f"evt-c{step}").get_json()
        assert (answer["outcome"], answer["reason"]) == ("COMPLETED", "updated")

    (customer,) = stack.fake_qbo.state_json()["Customer"]
    assert customer["DisplayName"] == "Acme Two [cus_A]"
    assert customer["SyncToken"] == "3"
