"""A customer's credit from Stripe's balance transactions alone (shared.domain.customer_balance):
which credit each invoice used, oldest first, and what each use takes in QBO under the rounding
policy's rule 4 (README)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from shared.domain.customer_balance import Ledger, ledger_from_transactions
from shared.domain.stripe_customer_balance import StripeCustomerBalanceTransaction

D = Decimal


def txns(
    currency: str, *rows: tuple[str, int, str, dict[str, Any]], cutover: int | None = None
) -> Ledger:
    """(id, amount, type, fields) in Stripe's order, one second apart from 1_000 (listed newest
    first); ``cutover``: the second the books start from."""
    found = [
        StripeCustomerBalanceTransaction(
            id=tid, amount=amount, currency=currency, customer="cus_A", type=kind,
            created=1_000 + n, **fields,
        )
        for n, (tid, amount, kind, fields) in enumerate(rows)
    ]  # fmt: skip
    return ledger_from_transactions(reversed(found), cutover)


def parts(ledger: Ledger, target: str) -> list[tuple[str, str, int]]:
    return [(s.kind, s.stripe_id, part) for s, part in ledger.consumptions[target].parts]


def test_an_invoice_takes_the_oldest_credit_first() -> None:
    ledger = txns(
        "usd",
        ("cbtxn_1", -1_000, "adjustment", {}),
        ("cbtxn_2", -500, "credit_note", {"credit_note": "cn_1"}),
        ("cbtxn_3", 1_200, "applied_to_invoice", {"invoice": "in_1"}),
    )
    use = ledger.consumptions["in_1"]
    assert [(s.stripe_id, part) for s, part in use.parts] == [("cbtxn_1", 1_000), ("cn_1", 200)]
    assert [(s.stripe_id, part) for s, part in use.books_parts] == [
        ("cbtxn_1", D("10.00")),
        ("cn_1", D("2.00")),
    ]
    assert use.shortfall == 0 and use.books_amount == D("12.00")


def test_a_voided_invoice_gives_its_credit_back_to_the_next() -> None:
    ledger = txns(
        "usd",
        ("cbtxn_1", -1_000, "adjustment", {}),
        ("cbtxn_2", 600, "applied_to_invoice", {"invoice": "in_1"}),
        ("cbtxn_3", -600, "unapplied_from_invoice", {"invoice": "in_1"}),
        ("cbtxn_4", 1_000, "applied_to_invoice", {"invoice": "in_2"}),
    )
    assert "in_1" not in ledger.consumptions
    assert ledger.consumptions["in_2"].books_amount == D("10.00")


def test_rounded_uses_never_take_more_than_a_memo_holds() -> None:
    """KWD 0.670 is a memo of 0.67; uses of 0.335 take 0.34 each: the second finds 0.33 and a
    rounding memo gives the last cent."""
    ledger = txns(
        "kwd",
        ("cbtxn_1", -670, "adjustment", {}),
        ("cbtxn_2", 335, "applied_to_invoice", {"invoice": "in_1"}),
        ("cbtxn_3", 335, "applied_to_invoice", {"invoice": "in_2"}),
    )
    first, second = ledger.consumptions["in_1"], ledger.consumptions["in_2"]
    assert [part for _, part in first.books_parts] == [D("0.34")] and first.shortfall == 0
    assert [part for _, part in second.books_parts] == [D("0.33")]
    assert second.shortfall == D("0.01") and second.books_amount == D("0.34")


def test_a_memo_short_of_its_rounded_part_borrows_from_the_next() -> None:
    """Two credits of 0.335 (0.34 each) and one of 0.005 (0.00); a use of 0.675 (0.68 rounded,
    half-even) takes 0.34 + 0.34 from the first two, nothing is short."""
    ledger = txns(
        "kwd",
        ("cbtxn_1", -5, "adjustment", {}),
        ("cbtxn_2", -335, "adjustment", {}),
        ("cbtxn_3", -335, "adjustment", {}),
        ("cbtxn_4", 675, "applied_to_invoice", {"invoice": "in_1"}),
    )
    use = ledger.consumptions["in_1"]
    assert [(s.stripe_id, part) for s, part in use.books_parts] == [
        ("cbtxn_2", D("0.34")),
        ("cbtxn_3", D("0.34")),
    ]
    assert use.shortfall == 0 and use.books_amount == D("0.68")


# --- a cutover (shared.domain.cutover): what the customer held then is one credit ------------


def test_the_credit_held_at_the_cutover_is_one_credit_that_later_uses_take_first() -> None:
    """A goodwill credit and a credit note before the cutover, part used before it: the rest
    (60.00) is the opening credit, and an invoice after it takes that before a newer credit;
    nothing before the cutover is left to post (no double counting with the opening memo)."""
    ledger = txns(
        "usd",
        ("cbtxn_1", -5_000, "adjustment", {}),
        ("cbtxn_2", -3_000, "credit_note", {"credit_note": "cn_1"}),
        ("cbtxn_3", 2_000, "applied_to_invoice", {"invoice": "in_1"}),
        ("cbtxn_4", -1_000, "adjustment", {}),  # after the cutover: a memo of its own
        ("cbtxn_5", 6_500, "applied_to_invoice", {"invoice": "in_2"}),
        cutover=1_003,
    )
    assert ledger.opening == 6_000
    assert [(s.kind, s.stripe_id, s.amount) for s in ledger.sources] == [
        ("opening", "cus_A", 6_000),
        ("adjustment", "cbtxn_4", 1_000),
    ]
    assert "in_1" not in ledger.consumptions  # before the cutover: in the opening balances
    assert parts(ledger, "in_2") == [("opening", "cus_A", 6_000), ("adjustment", "cbtxn_4", 500)]
    assert ledger.consumptions["in_2"].books_amount == D("65.00")


def test_an_invoice_void_now_gave_back_and_a_note_void_now_never_credited() -> None:
    """The opening balances read Stripe back to the cutover: an invoice that used credit before
    it and is void now owes nothing and used nothing; a credit note void now never counted. So
    neither the credit given back nor the credit taken back after the cutover moves anything."""
    ledger = txns(
        "usd",
        ("cbtxn_1", -5_000, "adjustment", {}),
        ("cbtxn_2", -1_200, "credit_note", {"credit_note": "cn_1"}),
        ("cbtxn_3", 4_000, "applied_to_invoice", {"invoice": "in_1"}),
        ("cbtxn_4", -4_000, "unapplied_from_invoice", {"invoice": "in_1"}),  # voided after
        ("cbtxn_5", 1_200, "credit_note", {"credit_note": "cn_1"}),  # voided after
        ("cbtxn_6", 5_000, "applied_to_invoice", {"invoice": "in_2"}),
        cutover=1_003,
    )
    assert ledger.opening == 5_000
    assert [s.kind for s in ledger.sources] == ["opening"] and not ledger.overdrawn
    assert parts(ledger, "in_2") == [("opening", "cus_A", 5_000)]


def test_an_invoice_after_the_cutover_voided_gives_back_to_the_opening_credit() -> None:
    ledger = txns(
        "usd",
        ("cbtxn_1", -2_500, "adjustment", {}),
        ("cbtxn_2", 2_000, "applied_to_invoice", {"invoice": "in_1"}),
        ("cbtxn_3", -2_000, "unapplied_from_invoice", {"invoice": "in_1"}),
        ("cbtxn_4", 2_500, "applied_to_invoice", {"invoice": "in_2"}),
        cutover=1_001,
    )
    assert ledger.opening == 2_500 and "in_1" not in ledger.consumptions
    assert parts(ledger, "in_2") == [("opening", "cus_A", 2_500)]


def test_nothing_held_at_the_cutover_is_no_opening_credit() -> None:
    used = txns(
        "kwd",
        ("cbtxn_1", -670, "adjustment", {}),
        ("cbtxn_2", 670, "applied_to_invoice", {"invoice": "in_1"}),
        ("cbtxn_3", -335, "credit_note", {"credit_note": "cn_1"}),
        ("cbtxn_4", 335, "applied_to_invoice", {"invoice": "in_2"}),
        cutover=1_002,
    )
    assert used.opening == 0 and [s.kind for s in used.sources] == ["credit_note"]
    assert used.consumptions["in_2"].books_amount == D("0.34")  # rule 4, as without a cutover
    assert txns("usd", ("cbtxn_1", -100, "adjustment", {})).opening is None  # no cutover
