"""What QBO answers to the requests the fake makes rules of: every posting type, every void form
(and the forms QBO refuses), deletes, precision, change data capture, the AutoApplyCredit
setting, SyncToken moves when QBO applies a payment, and a throttle probe.

The same probes run against a real sandbox company (``make live-test``) and against the fake
(``tests/functional/test_live_probes.py``); each writes its answers, in one normalized shape, to
a JSON file a developer diffs to see where the fake and QBO part ways.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

JsonDict = dict[str, Any]
D = Decimal


class RawQbo(Protocol):
    """One company's v3 API, below any adapter: a wrong form can be sent on purpose."""

    def send(
        self, method: str, path: str, body: JsonDict | None = None, **params: str
    ) -> tuple[int, JsonDict]:
        """(HTTP status, JSON body) of ``/v3/company/<realm>/<path>``."""
        ...


@dataclass
class Answers:
    """What each probe saw, normalized: status, the Fault if any, and a few observed fields."""

    items: dict[str, JsonDict] = field(default_factory=dict)

    def note(self, probe: str, status: int, body: JsonDict, **observed: Any) -> JsonDict:
        errors = (body.get("Fault") or {}).get("Error") or []
        fault = None
        if errors:
            first = errors[0]
            fault = {
                k: str(first.get(k, ""))[:300] for k in ("code", "Message", "Detail", "element")
            }
            fault["type"] = str((body.get("Fault") or {}).get("type", ""))
        self.items[probe] = {"status": status, "fault": fault, **_plain(observed)}
        return body

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.items, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def parsed(content: bytes) -> JsonDict:
    """A JSON answer; a throttle's XML (QBO answers 3001 in XML) kept as text."""
    try:
        body = json.loads(content or b"{}", parse_float=Decimal)
    except ValueError:
        return {"raw": content.decode("utf-8", "replace")[:300]}
    return body if isinstance(body, dict) else {"raw": body}


def _entity(body: JsonDict, entity: str) -> JsonDict:
    found = body.get(entity)
    return found if isinstance(found, dict) else {}


def _first(qbo: RawQbo, query: str, entity: str) -> JsonDict:
    _, body = qbo.send("GET", "query", query=query)
    rows = (body.get("QueryResponse") or {}).get(entity) or []
    if not rows:
        raise AssertionError(f"the company has no {entity} for: {query}")
    found: JsonDict = rows[0]
    return found


class Probe:
    """Runs every probe once against ``qbo`` and records the answers."""

    def __init__(self, qbo: RawQbo, now: Callable[[], datetime] | None = None) -> None:
        self.qbo = qbo
        self.answers = Answers()
        self.now = now or (lambda: datetime.now(UTC))
        self.tag = uuid.uuid4().hex[:8]

    def post(self, probe: str, entity: str, body: JsonDict, **params: str) -> JsonDict:
        status, answer = self.qbo.send("POST", entity.lower(), body, **params)
        document = _entity(answer, entity)
        self.answers.note(probe, status, answer, TotalAmt=document.get("TotalAmt"))
        return document

    def read(self, entity: str, entity_id: str) -> JsonDict:
        return _entity(self.qbo.send("GET", f"{entity.lower()}/{entity_id}")[1], entity)

    # --- the company ----------------------------------------------------------------------

    def setup(self) -> None:
        status, body = self.qbo.send("GET", "preferences")
        prefs = _entity(body, "Preferences")
        self.answers.note(
            "preferences",
            status,
            body,
            AutoApplyCredit=(prefs.get("SalesFormsPrefs") or {}).get("AutoApplyCredit"),
        )
        self.income = _first(
            self.qbo, "select * from Account where AccountType = 'Income'", "Account"
        )
        self.bank = _first(self.qbo, "select * from Account where AccountType = 'Bank'", "Account")
        customer = {"DisplayName": f"Live probe {self.tag}"}
        self.customer = {"value": self.post("create_customer", "Customer", customer)["Id"]}
        item = {
            "Name": f"Live probe item {self.tag}",
            "Type": "Service",
            "IncomeAccountRef": {"value": self.income["Id"]},
        }
        self.item = {"value": self.post("create_item", "Item", item)["Id"]}

    def line(self, amount: str) -> JsonDict:
        return {
            "Amount": D(amount),
            "DetailType": "SalesItemLineDetail",
            "SalesItemLineDetail": {"ItemRef": self.item},
        }

    def sales(self, probe: str, entity: str, amount: str, **extra: Any) -> JsonDict:
        body = {"CustomerRef": self.customer, "Line": [self.line(amount)], **extra}
        return self.post(probe, entity, body)

    def payment(self, probe: str, total: str, *links: tuple[str, str, str]) -> JsonDict:
        lines = [{"Amount": D(a), "LinkedTxn": [{"TxnId": i, "TxnType": t}]} for t, i, a in links]
        body = {"CustomerRef": self.customer, "TotalAmt": D(total), "Line": lines}
        return self.post(probe, "Payment", body)

    def form(self, probe: str, entity: str, doc: JsonDict, *, sparse: bool, **params: str) -> None:
        current = self.read(entity, str(doc["Id"])) or doc
        body: JsonDict = {"Id": current["Id"], "SyncToken": current["SyncToken"]}
        if sparse:
            body["sparse"] = True
        status, answer = self.qbo.send("POST", entity.lower(), body, **params)
        after = _entity(answer, entity)
        note = str(after.get("PrivateNote") or "")
        self.answers.note(probe, status, answer, voided=note.startswith("Voided"))

    # --- the probes -----------------------------------------------------------------------

    def run(self) -> Answers:
        self.setup()
        self.posting_and_sync_tokens()
        self.void_forms()
        self.credit_memo_undo()
        self.precision()
        self.change_data_capture()
        self.throttle()
        return self.answers

    def posting_and_sync_tokens(self) -> None:
        invoice = self.sales("create_invoice", "Invoice", "40.00")
        memo = self.sales("create_credit_memo", "CreditMemo", "10.00")
        self.payment(
            "apply_credit",
            "0",
            ("Invoice", str(invoice["Id"]), "10.00"),
            ("CreditMemo", str(memo["Id"]), "10.00"),
        )
        paid = self.payment("create_payment", "30.00", ("Invoice", str(invoice["Id"]), "30.00"))
        after, memo_after = (
            self.read("Invoice", str(invoice["Id"])),
            self.read("CreditMemo", str(memo["Id"])),
        )
        self.answers.items["sync_token_moves"] = {
            "invoice": [invoice.get("SyncToken"), after.get("SyncToken")],
            "credit_memo": [memo.get("SyncToken"), memo_after.get("SyncToken")],
            "invoice_balance": str(after.get("Balance")),
        }
        self.form("void_invoice_with_payment", "Invoice", invoice, sparse=False, operation="void")
        self.form(
            "void_payment_include", "Payment", paid, sparse=True, operation="update", include="void"
        )
        self.sales(
            "create_sales_receipt",
            "SalesReceipt",
            "12.00",
            DepositToAccountRef={"value": self.bank["Id"]},
        )
        self.sales(
            "create_refund_receipt",
            "RefundReceipt",
            "5.00",
            DepositToAccountRef={"value": self.bank["Id"]},
        )
        journal = {
            "Line": [
                {
                    "Amount": D("1.00"),
                    "DetailType": "JournalEntryLineDetail",
                    "JournalEntryLineDetail": {"PostingType": side, "AccountRef": {"value": acct}},
                }
                for side, acct in (("Debit", self.bank["Id"]), ("Credit", self.income["Id"]))
            ]
        }
        self.post("create_journal_entry", "JournalEntry", journal)
        deposit = {
            "DepositToAccountRef": {"value": self.bank["Id"]},
            "Line": [
                {
                    "Amount": D("2.00"),
                    "DetailType": "DepositLineDetail",
                    "DepositLineDetail": {"AccountRef": {"value": self.income["Id"]}},
                }
            ],
        }
        self.post("create_deposit", "Deposit", deposit)

    def void_forms(self) -> None:
        for entity in ("Invoice", "Payment", "SalesReceipt", "CreditMemo", "RefundReceipt"):
            if entity == "Payment":
                doc = self.payment(f"create_{entity}_to_void", "3.00")
            elif entity in {"RefundReceipt", "SalesReceipt"}:
                doc = self.sales(
                    f"create_{entity}_to_void", entity, "3.00",
                    DepositToAccountRef={"value": self.bank["Id"]},
                )  # fmt: skip
            else:
                doc = self.sales(f"create_{entity}_to_void", entity, "3.00")
            self.form(f"void_{entity}_operation", entity, doc, sparse=False, operation="void")
            self.form(
                f"void_{entity}_include",
                entity,
                doc,
                sparse=True,
                operation="update",
                include="void",
            )
            self.form(f"delete_{entity}", entity, doc, sparse=False, operation="delete")

    def credit_memo_undo(self) -> None:
        memo = self.sales("create_credit_memo_to_zero", "CreditMemo", "7.00", PrivateNote="probe")
        zeroed = {
            "Id": memo["Id"],
            "SyncToken": memo["SyncToken"],
            "sparse": True,
            "PrivateNote": "Voided - probe",
            "Line": [{**self.line("0"), "SalesItemLineDetail": {"ItemRef": self.item, "Qty": 0}}],
        }
        status, answer = self.qbo.send("POST", "creditmemo", zeroed)
        after = _entity(answer, "CreditMemo")
        self.answers.note("zero_credit_memo", status, answer, TotalAmt=after.get("TotalAmt"))

    def precision(self) -> None:
        self.sales("invoice_amount_three_places", "Invoice", "1.005")
        body = {"CustomerRef": self.customer, "Line": [self.line("2.00")]}
        body["Line"][0]["SalesItemLineDetail"].update(Qty=D("0.12345678"), UnitPrice=D("16.2"))
        self.post("invoice_qty_eight_places", "Invoice", body)

    def change_data_capture(self) -> None:
        now = self.now()
        for probe, since in (("cdc_one_hour", now - timedelta(hours=1)),
                             ("cdc_31_days", now - timedelta(days=31))):  # fmt: skip
            status, body = self.qbo.send(
                "GET", "cdc", entities="Invoice,Payment", changedSince=since.isoformat()
            )
            parts = ((body.get("CDCResponse") or [{}])[0].get("QueryResponse")) or []
            self.answers.note(
                probe, status, body, types=sorted(k for p in parts for k in p if k[:1].isupper())
            )

    def throttle(self, burst: int = 15) -> None:
        """A burst over the 10-requests-at-once limit: how many QBO throttles, and how."""

        def ask(_: int) -> int:
            return self.qbo.send("GET", "query", query="select count(*) from Customer")[0]

        with ThreadPoolExecutor(max_workers=burst) as pool:
            statuses = sorted(pool.map(ask, range(burst)))
        self.answers.items["throttle_burst"] = {
            "burst": burst,
            "throttled": sum(1 for s in statuses if s in (403, 429)),
            "statuses": sorted(set(statuses)),
        }
