"""Deterministic names: requestids, DocNumbers and task names stay within the platforms' limits."""

from hypothesis import given
from hypothesis import strategies as st

from shared.domain.idempotency import (
    doc_number_for,
    doc_number_from_stripe_number,
    payload_hash,
    qbo_request_id_from,
    task_name_from_event,
)


def test_short_request_id_is_readable() -> None:
    assert qbo_request_id_from("inv", "in_123") == "inv:in_123"


@given(st.text(min_size=1, max_size=200), st.text(min_size=1, max_size=30))
def test_request_id_never_exceeds_50_and_is_stable(stripe_id: str, operation: str) -> None:
    first = qbo_request_id_from(operation, stripe_id)
    assert len(first) <= 50
    assert first == qbo_request_id_from(operation, stripe_id)


def test_long_request_ids_differ_for_different_ids() -> None:
    a = qbo_request_id_from("invoice-create", "in_" + "a" * 60)
    b = qbo_request_id_from("invoice-create", "in_" + "a" * 59 + "b")
    assert a != b


def test_doc_number_kept_when_it_fits() -> None:
    assert doc_number_from_stripe_number("ABCD1234-0001") == "ABCD1234-0001"
    assert doc_number_from_stripe_number("X" * 21) == "X" * 21


def test_long_doc_numbers_fit_and_do_not_collide() -> None:
    a = doc_number_from_stripe_number("CUSTOMERPREFIX-LONG-A-0001")
    b = doc_number_from_stripe_number("CUSTOMERPREFIX-LONG-B-0001")
    assert len(a) == 21
    assert len(b) == 21
    assert a != b
    assert a.startswith("IX-LONG-A-0001~")


def test_task_names_and_hashes() -> None:
    assert task_name_from_event("evt_1") == "evt-evt_1"
    assert task_name_from_event("evt_1", "replay7") == "replay7-evt_1"
    assert payload_hash({"a": 1, "b": [1, 2]}) == payload_hash({"b": [1, 2], "a": 1})
    assert payload_hash({"a": 1}) != payload_hash({"a": 2})


def test_doc_number_for_is_readable_when_it_fits() -> None:
    assert doc_number_for("wo", "in_123") == "wo-in_123"


@given(st.sampled_from(["oob", "wo", "ca"]), st.text(min_size=1, max_size=120))
def test_doc_number_for_fits_and_keeps_roles_and_ids_apart(role: str, stripe_id: str) -> None:
    number = doc_number_for(role, stripe_id)
    assert len(number) <= 21 and number.startswith(f"{role}-")
    assert number == doc_number_for(role, stripe_id)
    assert number != doc_number_for(role, stripe_id + "x")
    other = "wo" if role != "wo" else "ca"
    assert number != doc_number_for(other, stripe_id)
