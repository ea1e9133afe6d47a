"""Pure mappers for payments, receipts, credits and disputes: exact amounts, balanced entries."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.domain.mapping import CurrencyTerms
from shared.domain.mapping_money import (
    DisputeAccounts,
    qbo_credit_application,
    qbo_credit_memo_from_credit_note,
    qbo_journal_entry_from_dispute_txn,
    qbo_payment_from_invoice_payment,
    qbo_refund_receipt_from_refund,
)
from shared.domain.qbo_models import Ref
from shared.domain.sales_tax import FormRefs, Part, TaxedForm, taxed_form
from shared.domain.stripe_payments import (
    StripeBalanceTransaction,
    StripeCreditNote,
    StripeDispute,
    StripeInvoicePayment,
    StripeRefund,
)
from shared.errors import MappingGapError

USD = CurrencyTerms("usd", "usd")
JPY = CurrencyTerms("jpy", "usd", Decimal("0.0067"))
REFS = FormRefs(tax_item=Ref(value="2"), discount_account=Ref(value="3"))


def us_form(amount: int, item: str, terms: CurrencyTerms) -> TaxedForm:
    """One untaxed line on ``item`` as a US company on manual sales tax gets it."""
    return taxed_form([Part("item", amount, item=Ref(value=item))], "us", REFS, terms)


ACCOUNTS = DisputeAccounts(clearing=Ref(value="10"), disputes=Ref(value="11"), fees=Ref(value="12"))
T = 1_767_225_600


def test_payment_applies_to_its_invoice_and_lands_in_clearing() -> None:
    payment = StripeInvoicePayment(
        id="inpay_1",
        invoice="in_1",
        amount_paid=1250,
        currency="usd",
        status="paid",
        payment={"type": "payment_intent", "payment_intent": "pi_1"},
        status_transitions={"paid_at": T},
    )
    doc = qbo_payment_from_invoice_payment(
        payment, Ref(value="5"), Ref(value="6"), Ref(value="10"), USD
    ).to_qbo()
    assert doc["TotalAmt"] == Decimal("12.50")
    assert doc["Line"] == [
        {"Amount": Decimal("12.50"), "LinkedTxn": [{"TxnId": "5", "TxnType": "Invoice"}]}
    ]
    assert doc["DepositToAccountRef"] == {"value": "10"}
    assert doc["PrivateNote"].startswith("Stripe invoice_payment inpay_1")
    unpaid = payment.model_copy(update={"amount_paid": None})
    with pytest.raises(MappingGapError):
        qbo_payment_from_invoice_payment(
            unpaid, Ref(value="5"), Ref(value="6"), Ref(value="10"), USD
        )


def test_credit_application_is_a_zero_payment_linking_both() -> None:
    doc = qbo_credit_application(
        "credit_application",
        "cn_1",
        customer=Ref(value="6"),
        invoice=Ref(value="5"),
        credit_memo=Ref(value="7"),
        amount=300,
        terms=USD,
        txn_date_unix=T,
    ).to_qbo()
    assert doc["TotalAmt"] == Decimal("0.00")
    assert [line["Amount"] for line in doc["Line"]] == [Decimal("3.00"), Decimal("3.00")]
    assert {line["LinkedTxn"][0]["TxnType"] for line in doc["Line"]} == {"Invoice", "CreditMemo"}


def credit_note(**fields: object) -> StripeCreditNote:
    base = {
        "id": "cn_1",
        "number": "ABC-0001-CN-01",
        "invoice": "in_1",
        "customer": "cus_1",
        "currency": "usd",
        "type": "post_payment",
        "status": "issued",
        "amount": 1000,
        "subtotal": 1000,
        "created": T,
    }
    return StripeCreditNote.model_validate({**base, **fields})


def test_credit_note_parts() -> None:
    refunded = credit_note(
        refunds=[{"amount_refunded": 600, "refund": "re_1"}], post_payment_amount=1000
    )
    assert refunded.credited_to_balance == 400
    assert refunded.applied_before_payment == 0
    before = credit_note(type="pre_payment", pre_payment_amount=1000)
    assert before.applied_before_payment == 1000
    memo = qbo_credit_memo_from_credit_note(refunded, Ref(value="6"), us_form(400, "1", USD), USD)
    assert [line.Amount for line in memo.Line] == [Decimal("4.00")]
    assert memo.DocNumber == "ABC-0001-CN-01"


def test_refund_receipt_pays_out_of_clearing() -> None:
    refund = StripeRefund(
        id="re_1", amount=500, currency="jpy", charge="ch_1", status="succeeded", created=T
    )
    doc = qbo_refund_receipt_from_refund(
        refund, Ref(value="6"), us_form(500, "8", JPY), Ref(value="10"), JPY
    ).to_qbo()
    assert doc["Line"][0]["Amount"] == Decimal("500")
    assert doc["CurrencyRef"] == {"value": "JPY"}
    assert doc["ExchangeRate"] == Decimal("0.0067")
    assert doc["DepositToAccountRef"] == {"value": "10"}


def journal(amount: int, fee: int) -> dict[str, Decimal]:
    txn = StripeBalanceTransaction(
        id="txn_1", amount=amount, fee=fee, currency="usd", type="adjustment", created=T
    )
    dispute = StripeDispute(
        id="du_1", amount=abs(amount), currency="usd", charge="ch_1", status="lost", created=T
    )
    entry = qbo_journal_entry_from_dispute_txn(txn, dispute, ACCOUNTS, None, USD)
    signed: dict[str, Decimal] = {}
    for line in entry.Line:
        detail = line.JournalEntryLineDetail
        sign = 1 if detail.PostingType == "Debit" else -1
        signed[detail.AccountRef.value] = (
            signed.get(detail.AccountRef.value, Decimal(0)) + sign * line.Amount
        )
    return signed


def test_dispute_withdrawal_and_reinstatement() -> None:
    assert journal(-5000, 1500) == {
        "10": Decimal("-65.00"),
        "11": Decimal("50.00"),
        "12": Decimal("15.00"),
    }
    assert journal(5000, -1500) == {
        "10": Decimal("65.00"),
        "11": Decimal("-50.00"),
        "12": Decimal("-15.00"),
    }


@given(st.integers(-(10**9), 10**9).filter(bool), st.integers(-(10**6), 10**6))
def test_dispute_entries_always_balance(amount: int, fee: int) -> None:
    assert sum(journal(amount, fee).values()) == 0
