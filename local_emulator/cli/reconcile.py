"""``stripe-qbo-sync reconcile --events FILE --out DIR``: run a scenario, then the daily reconcile.

Runs the scenario file through the local stack (as `run` does), calms the fake QBO, optionally
lets a person edit one synced invoice in QBO (--edit-invoice, to see a changed_in_qbo finding),
and runs the reconcile use case against the fakes while they still hold the books. The findings
go to the run's warehouse (DIR/.state/warehouse.duckdb), where `stripe-qbo-sync report` and
`query` read them. Exit 0 when reconcile found nothing, 1 when it found drift, 2 on bad input.
"""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from local_emulator.cli.run import add_run_options, load, show_summary
from shared.cli import output
from shared.cli.command import EXIT_FAILED, EXIT_OK, Command

if TYPE_CHECKING:
    from local_emulator.harness.stack import LocalStack

QBO_KNOBS = ("qbo_429", "qbo_5xx", "qbo_drop_response", "qbo_timeout")


def configure(parser: argparse.ArgumentParser) -> None:
    add_run_options(parser)
    parser.add_argument(
        "--edit-invoice",
        action="store_true",
        help="before reconciling, change one synced invoice in QBO as a person would",
    )


def edit_one_invoice(stack: LocalStack) -> str | None:
    """A person moves one synced, open invoice to the next day in the QBO UI; its QBO id.

    (An edit that matters to the books: a memo's wording would not be a finding.)
    """
    invoices = [d for d in stack.fake_qbo.state_json().get("Invoice", []) if d.get("Balance")]
    if not invoices:
        return None
    doc = invoices[0]
    moved = (date.fromisoformat(str(doc["TxnDate"])) + timedelta(days=1)).isoformat()
    edit = {"Id": doc["Id"], "SyncToken": doc["SyncToken"], "sparse": True, "TxnDate": moved}
    stack.fake_qbo.update("Invoice", edit)
    return str(doc["Id"])


def reconcile_in(stack: LocalStack, since: datetime, edit: bool) -> dict[str, Any]:
    """Reconcile the stack's books from ``since``; the report's figures and findings."""
    from shared import bootstrap

    for knob in QBO_KNOBS:
        stack.fake_qbo.faults.set(knob, 0.0)  # reconcile reads QBO calmly, as at night
    if edit:
        edit_one_invoice(stack)
    report = bootstrap.reconcile().run(since)
    return {**report.as_dict(), "rows": [f.__dict__ for f in report.findings]}


def findings_table(findings: list[dict[str, Any]]) -> Any:
    rows = []
    for f in findings:
        stripe, qbo = f.get("stripe_amount"), f.get("qbo_amount")
        difference = None if stripe is None and qbo is None else (qbo or 0) - (stripe or 0)
        rows.append((
            f["severity"], f["kind"], f.get("stripe_object_id"),
            " ".join(str(x) for x in (f.get("qbo_entity_type"), f.get("qbo_entity_id")) if x),
            output.money(difference, f.get("currency")) if difference is not None else "",
            f.get("detail"),
        ))  # fmt: skip
    columns = ["severity", "kind", "Stripe", "QBO", ">difference", "detail"]
    return output.table("Reconcile findings", columns, rows)


def run(args: argparse.Namespace) -> int:
    from local_emulator.harness.runner import run_scenario

    scenario, faults = load(args)
    created = [int(e.get("created") or 0) for e in scenario.events] or [0]
    since = datetime.fromtimestamp(min(created), UTC) - timedelta(days=1)
    found: dict[str, Any] = {}

    def after_drain(stack: LocalStack) -> None:
        found.update(reconcile_in(stack, since, args.edit_invoice))

    result = run_scenario(
        scenario, args.out, faults=faults, seed=args.seed, progress=output.note,
        after_drain=after_drain, company=args.company, books=args.books,
    )  # fmt: skip
    show_summary(result.summary, args.out)
    if found["rows"]:
        output.show(findings_table(found["rows"]))
    output.note(
        f"reconcile {found['run_id']}: {found['findings']} findings from {since:%Y-%m-%d}; "
        f"report: stripe-qbo-sync report --warehouse {args.out}/.state/warehouse.duckdb "
        f"--out {args.out}"
    )
    return EXIT_FAILED if found["findings"] else EXIT_OK


COMMAND = Command(
    name="reconcile",
    summary="run a scenario, then the daily reconcile, and show its findings",
    description=__doc__ or "",
    configure=configure,
    run=run,
    scope="local",
)
