"""Transient is never final: a month under heavy faults (QBO 429 at 0.3, 5xx at 0.2, dropped
responses at 0.2, duplicate deliveries at 0.5), run several times with the same seed, gives the
same books every time, with nothing lost, nothing FAILED and no invariant violated.

Before the retry horizon a task gave up after 20 quick attempts (about two hours of backoff) and
its invoice stayed FAILED (``exhausted``) and out of QBO in some runs. Now a task keeps going for
days of queue time (Cloud Tasks' max_retry_duration), so runs differ only in how many retries
they took. Default: a smaller month twice. ``SYNC_FULL_ACCEPTANCE=1``: the full generated month
(951 events) eight times.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

from local_emulator.checks.invariants import MARKER, NOTE_FIELDS, TRANSACTIONS, check_invariants
from local_emulator.generator import generate_month
from local_emulator.harness.runner import run_scenario
from local_emulator.harness.scenario import Scenario, parse_faults

HEAVY = "qbo_429=0.3,qbo_5xx=0.2,qbo_drop_response=0.2,duplicate=0.5"
FULL = os.environ.get("SYNC_FULL_ACCEPTANCE") == "1"
SEED = 17
RUNS = 8 if FULL else 2
MONTH: dict[str, int] = {} if FULL else {"customers": 5, "invoices": 14}

JsonDict = dict[str, Any]


def _amount(value: Any) -> str:
    return str(Decimal(str(value or 0)).normalize())


def books(qbo_state: JsonDict) -> JsonDict:
    """What an accountant sees, without QBO's own ids and timestamps: every document we wrote by
    its Stripe marker (date, amounts, balance, currency, line amounts), and every account's and
    customer's balance by name."""
    documents: dict[str, list[JsonDict]] = {}
    for entity in TRANSACTIONS:
        for doc in qbo_state.get(entity) or []:
            text = " ".join(str(doc.get(f) or "") for f in NOTE_FIELDS)
            match = MARKER.search(text)
            key = f"{entity} {match.group(0) if match else doc.get('DocNumber')}"
            documents.setdefault(key, []).append(
                {
                    "date": doc.get("TxnDate"),
                    "total": _amount(doc.get("TotalAmt")),
                    "balance": _amount(doc.get("Balance")),
                    "currency": (doc.get("CurrencyRef") or {}).get("value"),
                    "lines": sorted(_amount(line.get("Amount")) for line in doc.get("Line") or []),
                }
            )
    return {
        "documents": {k: sorted(v, key=json.dumps) for k, v in sorted(documents.items())},
        "accounts": {
            str(a.get("Name")): _amount(a.get("CurrentBalance"))
            for a in qbo_state.get("Account") or []
        },
        "customers": {
            str(c.get("DisplayName")): _amount(c.get("Balance"))
            for c in qbo_state.get("Customer") or []
        },
    }


def test_a_heavily_faulted_month_gives_the_same_books_every_run(tmp_path: Path) -> None:
    lines = generate_month(SEED, **MONTH)
    scenario = Scenario(
        events=[x for x in lines if x.get("object") == "event"],
        objects=[x for x in lines if x.get("object") != "event"],
    )
    first: JsonDict | None = None
    figures = []
    for run in range(RUNS):
        result = run_scenario(
            scenario, tmp_path / f"run{run}", faults=parse_faults(HEAVY), seed=SEED,
            progress=lambda message: None,
        )  # fmt: skip
        summary = result.summary
        assert summary["tasks_exhausted"] == [], (run, summary["tasks_exhausted"])
        assert summary["objects"]["failed"] == [], (run, summary["objects"]["failed"])
        violations = check_invariants(scenario, result.qbo_state)
        assert violations == [], (run, Counter(v.rule for v in violations))
        assert summary["invoices"]["exactly_one_each"], (run, summary["invoices"])
        ledger = books(result.qbo_state)
        if first is None:
            first = ledger
        assert ledger == first, f"run {run} gave other books than run 0"
        requests = summary["qbo_requests"]
        figures.append((summary["tasks"]["retried"], sum(requests.values()), summary["seconds"]))
    print(f"{RUNS} runs of {len(scenario.events)} events: (retries, QBO requests, s) {figures}")
