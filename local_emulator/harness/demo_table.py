"""What the demo prints: Stripe and QBO side by side, the verdict, where things are, what next."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from local_emulator.checks.books import QboIndex, amount_of, home_of, money
from shared.cli import output

if TYPE_CHECKING:
    from rich.table import Table

    from local_emulator.harness.demo import DemoOutcome

USD = "usd"
PAYOUTS_QUERY = (
    "SELECT payout_id, amount, deposit_amount, status FROM analyst_payout_reconciliation"
)


def _docs(qbo: QboIndex, kind: str, entity: str) -> list[dict[str, object]]:
    return [d for (k, _), found in qbo.marked.items() if k == kind for e, d in found if e == entity]


def _side(count: int, amount: Decimal | None, noun: str = "", *, currency: str = USD) -> str:
    shown = f"{count} {noun}".strip()
    return shown if amount is None else f"{shown}  {output.money(amount, currency)}"


def _entries(count: int) -> str:
    return f"{count} journal {'entry' if count == 1 else 'entries'}"


def _sum(docs: list[dict[str, object]]) -> Decimal:
    return sum((amount_of(d.get("TotalAmt")) for d in docs), Decimal(0))


def demo_table(o: DemoOutcome) -> Table:
    cur = home_of(o.qbo_state)  # the company's home currency: the demo's month is in it
    s, qbo = o.stripe, QboIndex(o.qbo_state, cur)
    side = partial(_side, currency=cur)
    invoices = s.invoices()
    payments = [p for paid in s.payments.values() for p in paid]
    oob = [i for i in invoices if s.out_of_band(i) > 0]
    refunds, notes, disputes = s.succeeded_refunds(), s.of("credit_note"), s.of("dispute")
    payouts = s.of("payout")
    settlement_invoices = [i for i in invoices if (i.get("metadata") or {}).get("settlement_id")]
    attached = [a for a in qbo.docs("Attachable") if str(a.get("FileName", "")).endswith(".pdf")]
    rules = Counter(v.rule for v in o.violations)
    rows = [
        ("Invoices",
         side(len(invoices), sum((money(i["total"], cur) for i in invoices), Decimal(0))),
         side(len(_docs(qbo, "invoice", "Invoice")), _sum(_docs(qbo, "invoice", "Invoice")))),
        ("Card payments (full, partial)",
         side(len(payments), sum((money(p["amount_paid"], cur) for p in payments), Decimal(0))),
         side(len(_docs(qbo, "invoice_payment", "Payment")),
               _sum(_docs(qbo, "invoice_payment", "Payment")))),
        ("Paid out of band",
         side(len(oob), sum((money(s.out_of_band(i), cur) for i in oob), Decimal(0))),
         side(len(_docs(qbo, "invoice_oob", "Payment")),
               _sum(_docs(qbo, "invoice_oob", "Payment")))),
        ("Refunds",
         side(len(refunds), sum((money(r["amount"], cur) for r in refunds), Decimal(0))),
         side(len(_docs(qbo, "refund", "RefundReceipt")),
               _sum(_docs(qbo, "refund", "RefundReceipt")))),
        ("Credit notes",
         side(len(notes), sum((money(n["amount"], cur) for n in notes), Decimal(0))),
         side(len(_docs(qbo, "credit_note", "CreditMemo")),
               _sum(_docs(qbo, "credit_note", "CreditMemo")))),
        ("Disputes (lost)",
         side(len(disputes), sum((money(d["amount"], cur) for d in disputes), Decimal(0))),
         _entries(len(_docs(qbo, "dispute_txn", "JournalEntry")))),
        ("Payouts / bank deposits",
         side(len(payouts), sum((money(p["amount"], cur) for p in payouts), Decimal(0))),
         side(len(_docs(qbo, "payout", "Deposit")), _sum(_docs(qbo, "payout", "Deposit")))),
        ("Payouts reconciled", "",
         f"{o.payout_statuses.get('BALANCED', 0)} balanced, "
         f"{o.payout_statuses.get('MISMATCH', 0)} mismatched"),
        ("Settlements billed", str(len(settlement_invoices)),
         f"{len(attached)} statement PDFs attached"),
        ("Duplicates", "", str(rules["duplicate"])),
        ("Checker violations", "", str(len(o.violations))),
        ("Reconcile findings", "", str(sum(o.findings.values()))),
    ]  # fmt: skip
    return output.table(
        f"{o.deliveries} webhook deliveries (some twice, some late), "
        f"{o.retried} retries after QBO faults",
        ["", ">Stripe", ">QuickBooks Online"],
        rows,
    )


def _here(path: Path) -> str:
    """The path relative to the current directory when it is below it (as a person types it)."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def next_steps(out_dir: Path, warehouse: Path, report: Path, o: DemoOutcome) -> str:
    out, wh = _here(out_dir), _here(warehouse)
    verdict = (
        "OK: every Stripe object is in QBO exactly once, every payout is deposited to the cent, "
        "and the books agree."
        if o.ok
        else "MISMATCH: the books disagree; the checker's violations are in "
        f"`stripe-qbo-sync check --events {out}/events.jsonl --out {out}`."
    )
    if o.findings:
        kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(o.findings.items()))
        total = sum(o.findings.values())
        verdict += f"\nReconcile reports {total} open findings ({kinds}): see the report."
    lines = [
        verdict,
        "",
        f"Report     {_here(report)}",
        f"Warehouse  {wh}  (DuckDB, with the BigQuery tables and views)",
        f"Books      {out}/qbo.json (QBO's state), {out}/events.jsonl (Stripe's events)",
        f"Logs       {_here(warehouse.parent / 'functions.log')}",
        "",
        "Try next (in a shell where `. .venv/bin/activate` ran):",
        f'  stripe-qbo-sync query --warehouse {wh} "{PAYOUTS_QUERY}"',
        f"  stripe-qbo-sync check --events {out}/events.jsonl --out {out}",
        f"  stripe-qbo-sync statement --settlement set_2026_01_acme --warehouse {wh} "
        f"--out {out}/statement.pdf",
        "  stripe-qbo-sync generate --kind month --payouts --seed 3 --out month.jsonl",
        "  stripe-qbo-sync reconcile --events month.jsonl --out out/month --edit-invoice",
        "  stripe-qbo-sync --help",
    ]
    return "\n".join(lines)
