"""The live suite's probes against the fake (no credentials needed): they run, and the fake
answers as the rules it cites say QBO does. ``make live-test`` runs the same probes against a
sandbox; ``SYNC_LIVE_RECORD_FAKE`` (default: the test's tmp dir) keeps the fake's answers for a
diff with the sandbox's."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from werkzeug.test import Client

from local_emulator.fakes.qbo import FakeQbo
from local_emulator.fakes.qbo.app import FakeQboApp
from shared.adapters.clock import ManualClock
from shared.adapters.qbo_json import dumps
from tests.live.probes import Probe, parsed

JsonDict = dict[str, Any]


class FakeRaw:
    def __init__(self, fake: FakeQbo, clock: ManualClock) -> None:
        self.fake, self.clock = fake, clock
        self.client = Client(FakeQboApp(fake, "http://fake"))
        refresh = fake.register_client("probe", "probe-secret")
        self.token = str(fake.tokens.refresh("probe", refresh)["access_token"])

    def send(
        self, method: str, path: str, body: JsonDict | None = None, **params: str
    ) -> tuple[int, JsonDict]:
        self.clock.advance(0.11)  # a little apart, as a client pacing at QBO's 10 a second
        response = self.client.open(
            f"/v3/company/{self.fake.realm_id}/{path}",
            method=method,
            query_string={**params, "minorversion": "75"},
            data=None if body is None else dumps(body),
            headers={"Authorization": f"Bearer {self.token}"},
        )
        return response.status_code, parsed(response.get_data())


def test_the_probes_run_against_the_fake(tmp_path: Path) -> None:
    clock = ManualClock()
    fake = FakeQbo(clock=clock)
    answers = Probe(FakeRaw(fake, clock), now=clock.now).run()
    answers.write(Path(os.environ.get("SYNC_LIVE_RECORD_FAKE", tmp_path / "qbo-fake-answers.json")))
    items = answers.items
    refused = {name for name, a in items.items() if a.get("fault")}
    assert refused == {
        "void_invoice_with_payment",
        "void_Invoice_include",
        "void_Payment_operation",
        "void_SalesReceipt_operation",
        "void_CreditMemo_operation",
        "void_CreditMemo_include",
        "void_RefundReceipt_operation",
        "void_RefundReceipt_include",
        "invoice_amount_three_places",
        "invoice_qty_eight_places",
        "cdc_31_days",
    }
    assert items["void_Payment_operation"]["fault"]["code"] == "500"
    assert items["sync_token_moves"] == {
        "invoice": ["0", "2"],
        "credit_memo": ["0", "1"],
        "invoice_balance": "0.00",
    }
    assert items["preferences"]["AutoApplyCredit"] is False
    assert items["throttle_burst"]["burst"] == 15
