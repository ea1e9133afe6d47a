"""Reconcile's check for documents someone changed in QBO after the sync wrote them."""

from __future__ import annotations

from datetime import datetime, timedelta

from shared.domain.fingerprint import TRANSACTIONS, changed_aspects
from shared.ports import JsonDict, QboGateway
from shared.services.reconcile_findings import Finding, ReconcileReport

# Transactions we write and nobody else should change; customers are updated by us on purpose.
WATCHED = tuple(sorted(TRANSACTIONS))
# QBO's change data capture looks back 30 days at most (Intuit's CDC page); ask a little less,
# so that a few minutes between our clock and QBO's never make the question too old.
CDC_LOOKBACK = timedelta(days=30)
CDC_MARGIN = timedelta(hours=1)
CDC_MAX_PER_ENTITY = 1000  # CDC answers at most this many per type: more may be missing


def changed_in_qbo(
    qbo: QboGateway, report: ReconcileReport, links: list[JsonDict], now: datetime
) -> None:
    """Documents we wrote that someone changed since: compared by what matters (customer,
    date, lines, tax, account, rate, void state) with what we last wrote, never by
    SyncToken, which QBO moves by itself whenever a payment or a credit is applied."""
    ours: dict[tuple[str, str], JsonDict] = {}
    for r in links:
        entity = str(r["qbo_entity_type"]).partition(":")[0]
        if not r["qbo_entity_id"] or r["status"] != "COMPLETED" or entity not in WATCHED:
            continue
        key = (entity, str(r["qbo_entity_id"]))
        # our last write: the latest link that says what was written (a link that only
        # points at the document, such as a payment intent's, says nothing of its content)
        rank = (bool(r.get("payload_hash")), r["recorded_at"])
        if key not in ours or rank > (
            bool(ours[key].get("payload_hash")),
            ours[key]["recorded_at"],
        ):
            ours[key] = r
    since = max(report.window_start, now - CDC_LOOKBACK + CDC_MARGIN)
    changed = qbo.changes_since(list(WATCHED), since)
    report.checked["qbo_changes"] = sum(len(v) for v in changed.values())
    unverifiable = 0
    for entity, docs in changed.items():
        if len(docs) >= CDC_MAX_PER_ENTITY:
            report.findings.append(
                Finding(
                    "check_incomplete",
                    "MEDIUM",
                    qbo_entity_type="check",
                    qbo_entity_id=f"changed_in_qbo:{entity}",
                    detail=f"QBO reported {len(docs)} changed {entity} documents, its most: "
                    "some may be missing; run reconcile over a shorter window",
                )
            )
        for doc in docs:
            row = ours.get((entity, str(doc.get("Id"))))
            if row is None:
                continue
            difference = _difference(row, doc)
            if difference is None:
                unverifiable += 1
            elif difference:
                report.findings.append(
                    Finding(
                        "changed_in_qbo",
                        "HIGH",
                        str(row["stripe_object_id"]),
                        entity,
                        str(doc["Id"]),
                        detail=f"{difference}; last updated "
                        f"{(doc.get('MetaData') or {}).get('LastUpdatedTime')}",
                    )
                )
    report.checked["qbo_changes_unverifiable"] = unverifiable


def _difference(row: JsonDict, doc: JsonDict) -> str | None:
    """What differs from our last write ("" when nothing); None when our link holds no
    fingerprint to compare with (written before fingerprints)."""
    if doc.get("status") == "Deleted":
        ours = str(row["qbo_entity_type"]).endswith(":deleted")
        return "" if ours else "deleted in QBO"
    aspects = changed_aspects(str(row.get("payload_hash") or ""), doc)
    if aspects is None:
        return None
    return f"changed in QBO: {', '.join(aspects)}" if aspects else ""
