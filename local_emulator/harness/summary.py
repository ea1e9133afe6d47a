"""The run summary (``summary.json``) as a table for the terminal."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from shared.cli.output import table


def summary_table(summary: dict[str, Any]) -> Table:
    events, tasks = summary["events"], summary.get("tasks") or {}
    objects = summary["objects"]
    synced = ", ".join(f"{kind} {n}" for kind, n in objects["synced"].items()) or "none"
    rows: list[tuple[str, Any]] = [
        ("Events in the file (unique)", f"{events['in_file']} ({events['unique']})"),
        ("Webhook deliveries (refused)", f"{events['deliveries']} ({events['rejected']})"),
        ("Tasks dispatched (retried)", f"{tasks.get('dispatched', 0)} ({tasks.get('retried', 0)})"),
        ("Tasks exhausted", len(summary["tasks_exhausted"])),
        ("Objects synced", synced),
        ("Objects failed (permanent)", len(objects["failed"])),
        ("QBO requests", sum(summary["qbo_requests"].values())),
    ]
    backfill = summary.get("backfill")
    if isinstance(backfill, dict):
        rows.append(
            (
                f"Backfill {backfill['run_id']} ({backfill['status']})",
                f"listed {backfill['objects_listed']}, created {backfill['objects_created']}, "
                f"skipped {backfill['objects_skipped']}, failed {backfill['objects_failed']}",
            )
        )
    check = summary.get("check")
    if isinstance(check, dict):
        by_rule = ", ".join(f"{r} {n}" for r, n in check["by_rule"].items())
        rows.append(("Books checked: violations", f"{check['violations']} {by_rule}".strip()))
    rows.append(("Every event processed", "yes" if summary["all_processed"] else "NO"))
    return table(None, ["Run", ""], rows)


def tenants_table(summary: dict[str, Any]) -> Table:
    """A ``run --tenants`` summary: one row per realm, then the whole run."""
    rows: list[tuple[str, Any]] = []
    for realm, report in summary["realms"].items():
        synced = sum(report["objects_synced"].values())
        check = report["check"]
        by_rule = ", ".join(f"{r} {n}" for r, n in check["by_rule"].items())
        rows.append(
            (
                f"Realm {realm} ({report['account']})",
                f"{synced} objects synced, {len(report['failed'])} failed; violations "
                f"{check['violations']} {by_rule}".strip(),
            )
        )
    events, tasks = summary["events"], summary.get("tasks") or {}
    rows += [
        ("Webhook deliveries (refused)", f"{events['deliveries']} ({events['rejected']})"),
        ("Tasks dispatched (retried)", f"{tasks.get('dispatched', 0)} ({tasks.get('retried', 0)})"),
        ("Documents in another account's realm", len(summary["crossings"])),
        ("Every event processed", "yes" if summary["all_processed"] else "NO"),
        ("Each realm agrees with its account", "yes" if summary["books_agree"] else "NO"),
    ]
    return table(None, ["Run", ""], rows)
