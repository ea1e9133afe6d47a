"""Opt-in (``make live-test``): the probes and the production adapter against a real QBO sandbox
company. The probes' answers are written to a file to diff against the fake's
(``tests/functional/test_live_probes.py`` writes those); a form the sync relies on that the
sandbox refuses fails here."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from shared.domain.fingerprint import changed_aspects, fingerprint
from tests.live.conftest import RealRaw, Sandbox
from tests.live.probes import Probe

pytestmark = pytest.mark.live


def test_probes_record_what_qbo_answers(sandbox: Sandbox) -> None:
    answers = Probe(RealRaw(sandbox)).run()
    answers.write(sandbox.record)
    items = answers.items
    # the forms the sync uses must work
    assert items["void_Invoice_operation"]["status"] == 200
    assert items["void_Payment_include"]["status"] == 200
    assert items["void_SalesReceipt_include"]["status"] == 200
    assert items["delete_CreditMemo"]["status"] == 200
    assert items["delete_RefundReceipt"]["status"] == 200
    assert items["cdc_one_hour"]["status"] == 200


def test_the_production_adapter_posts_voids_deletes_and_reads_changes(sandbox: Sandbox) -> None:
    qbo = sandbox.gateway
    prefs = qbo.preferences()
    assert "SalesFormsPrefs" in prefs
    income = qbo.query("select * from Account where AccountType = 'Income'")[0]
    tag = datetime.now(UTC).strftime("%H%M%S%f")
    customer = qbo.create("Customer", {"DisplayName": f"Live adapter {tag}"}, f"live-cus-{tag}")
    item = qbo.create(
        "Item",
        {
            "Name": f"Live adapter {tag}",
            "Type": "Service",
            "IncomeAccountRef": {"value": income["Id"]},
        },
        f"live-item-{tag}",
    )
    body = {
        "CustomerRef": {"value": customer["Id"]},
        "TxnDate": date.today().isoformat(),  # noqa: DTZ011 - the company's calendar day
        "PrivateNote": f"Stripe invoice in_live{tag}",
        "Line": [
            {
                "Amount": Decimal("25.00"),
                "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": {"ItemRef": {"value": item["Id"]}},
            }
        ],
    }
    invoice = qbo.create("Invoice", body, f"live-inv-{tag}")
    # what reconcile relies on: QBO keeps every fingerprinted field as the sync sends it
    assert changed_aspects(fingerprint(body), invoice) == []
    payment_body = {
        "CustomerRef": {"value": customer["Id"]},
        "TotalAmt": Decimal("5.00"),
        "Line": [
            {
                "Amount": Decimal("5.00"),
                "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}],
            }
        ],
    }
    payment = qbo.create("Payment", payment_body, f"live-pay-{tag}")
    assert changed_aspects(fingerprint(payment_body), payment) == []
    after = qbo.read("Invoice", invoice["Id"])
    assert changed_aspects(fingerprint(body), after) == []  # applied, not edited
    voided = qbo.void("Payment", payment["Id"], payment["SyncToken"], f"live-payv-{tag}")
    assert str(voided.get("PrivateNote", "")).startswith("Voided")
    current = qbo.read("Invoice", invoice["Id"])
    assert qbo.void("Invoice", invoice["Id"], current["SyncToken"], f"live-invv-{tag}")
    memo = qbo.create("CreditMemo", {k: body[k] for k in ("CustomerRef", "Line")}, f"live-cm-{tag}")
    assert (
        qbo.delete("CreditMemo", memo["Id"], memo["SyncToken"], f"live-cmd-{tag}")["status"]
        == "Deleted"
    )
    changed = qbo.changes_since(["Invoice", "Payment"], datetime.now(UTC) - timedelta(hours=1))
    assert any(d.get("Id") == invoice["Id"] for d in changed["Invoice"])
