"""Use case: undo what one backfill or replay run (or every run in a time range) wrote to QBO.

Selected: the links whose current row a run wrote (its tasks are named ``backfill-<run>-...`` or
``replay-<run>-...``), grouped by the QBO entity they point at, newest first, so payments go
before their invoices, and customers and items after every transaction. Each entity is undone
the way QBO allows it: transactions are deleted (voided where QBO refuses the delete and the
entity can be voided), customers and items made inactive (QBO never deletes a name), an entry
adopted from the existing books only unlinked. An entity is touched only if it carries our
marker. Then the links are appended as UNDONE, so a later run posts again (under new
requestids). A dry run lists the plan.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from shared.domain.idempotency import qbo_request_id_from
from shared.domain.mapping import marker_core
from shared.errors import BadRequestError, NotFoundError, SyncError, ValidationFailedError
from shared.ports import VOID_FORMS, Clock, JsonDict, QboGateway, Warehouse
from shared.services.records import Link, LinkStore
from shared.services.runs import Run, RunLog, check_run_id, new_run_id

Action = Literal["delete", "deactivate", "unlink", "keep"]
NAMES = ("Customer", "Item", "Vendor")  # QBO keeps names: made inactive, never deleted
SELECT_SQL = """
SELECT stripe_object_id, stripe_object_type, qbo_entity_type, qbo_entity_id, task_name,
       recorded_at
FROM sync_links_current
WHERE status = 'COMPLETED' AND qbo_entity_id IS NOT NULL AND {where}
ORDER BY recorded_at DESC, qbo_entity_type
"""


@dataclass(frozen=True)
class UndoRequest:
    run_id: str | None = None  # a backfill or replay run
    since: datetime | None = None  # or what any run linked in this window
    until: datetime | None = None
    dry_run: bool = True

    def check(self) -> None:
        if self.run_id is None and self.since is None:
            raise BadRequestError("say what to undo: a run id, or a time range (since)")
        if self.run_id is not None:
            check_run_id(self.run_id)
        if self.since and self.until and self.since > self.until:
            raise BadRequestError("since is after until")


@dataclass
class UndoItem:
    """One QBO entity and the links that point at it."""

    entity: str
    qbo_id: str
    links: list[JsonDict]
    action: Action = "delete"
    outcome: str = "planned"  # planned | deleted | voided | deactivated | unlinked | kept | failed
    reason: str | None = None

    @property
    def stripe_ids(self) -> list[str]:
        return sorted({str(link["stripe_object_id"]) for link in self.links})

    def as_row(self) -> JsonDict:
        return {
            "entity": self.entity,
            "qbo_id": self.qbo_id,
            "stripe": ", ".join(self.stripe_ids),
            "action": self.action,
            "outcome": self.outcome,
            "reason": self.reason,
        }


@dataclass
class UndoReport:
    request: UndoRequest
    items: list[UndoItem] = field(default_factory=list)
    run: Run | None = None  # None for a dry run


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class Undo:
    def __init__(
        self,
        warehouse: Warehouse,
        qbo: QboGateway,
        links: LinkStore,
        runs: RunLog,
        clock: Clock,
    ) -> None:
        self._warehouse = warehouse
        self._qbo = qbo
        self._links = links
        self._runs = runs
        self._clock = clock

    def run(
        self, request: UndoRequest, progress: Callable[[int, int], None] | None = None
    ) -> UndoReport:
        request.check()
        report = UndoReport(request, self._select(request))
        if request.dry_run:
            return report
        started = time.monotonic()
        run = Run(
            run_id=new_run_id(self._clock),
            kind="undo",
            started_at=self._clock.now(),
            params={
                "run_id": request.run_id,
                "since": request.since.isoformat() if request.since else None,
                "until": request.until.isoformat() if request.until else None,
            },
        )
        run.counts.listed = len(report.items)
        self._runs.record(run)
        report.run = run
        try:
            for done, item in enumerate(report.items, start=1):
                self._undo(item, run)
                counts = run.counts
                if item.outcome == "failed":
                    counts.failed += 1
                elif item.outcome == "kept":
                    counts.skipped += 1
                else:
                    counts.created += 1  # undone: deleted, voided, deactivated or unlinked
                counts.qbo_calls = int(getattr(self._qbo, "requests_sent", 0))
                if progress is not None:
                    progress(done, len(report.items))
        except BaseException as error:
            run.status, run.detail = "FAILED", f"stopped by {type(error).__name__}"
            run.duration_seconds = time.monotonic() - started
            self._runs.record(run)
            raise
        run.status = run.outcome()
        run.duration_seconds = time.monotonic() - started
        self._runs.record(run)
        return report

    # --- what to undo -------------------------------------------------------------------------

    def _select(self, request: UndoRequest) -> list[UndoItem]:
        where, params = [], dict[str, Any]()
        found = None
        if request.run_id is not None:
            found = self._runs.latest(request.run_id)
            if found is not None and found.kind not in ("backfill", "replay"):
                raise BadRequestError(f"run {request.run_id} is a {found.kind}: nothing it posted")
            kinds = [found.kind] if found is not None else ["backfill", "replay"]
            where.append(
                "(" + " OR ".join(f"task_name LIKE @p{i}" for i in range(len(kinds))) + ")"
            )
            params.update({f"p{i}": f"{kind}-{request.run_id}-%" for i, kind in enumerate(kinds)})
        if request.since is not None:
            where.append("recorded_at >= @since")
            params["since"] = _utc(request.since)
        if request.until is not None:
            where.append("recorded_at <= @until")
            params["until"] = _utc(request.until)
        rows = self._warehouse.query(SELECT_SQL.format(where=" AND ".join(where)), params)
        if request.run_id is not None and found is None and not rows:
            # a mistyped id must not read as "nothing to undo": say that no such run exists
            raise BadRequestError(
                f"no backfill or replay run {request.run_id} (see sync_runs_current)",
                code="unknown_run",
            )
        groups: dict[tuple[str, str], UndoItem] = {}
        for row in rows:  # newest first: a group is placed where its newest link is
            entity = str(row["qbo_entity_type"]).split(":")[0]
            key = (entity, str(row["qbo_entity_id"]))
            if key not in groups:
                groups[key] = UndoItem(entity, key[1], [])
            groups[key].links.append(row)
        for item in groups.values():
            roles = [str(link["qbo_entity_type"]) for link in item.links]
            if any(role.endswith(":matched") for role in roles):
                item.action, item.reason = "unlink", "adopted from the existing books"
            elif all(role.endswith(":void") for role in roles):
                item.action, item.reason = "keep", "QBO cannot undo a void"
            elif item.entity in NAMES:
                item.action = "deactivate"
        # Newest first; names after every transaction (QBO will not deactivate a customer that
        # still has documents, and a customer a later object created in passing is newer).
        return sorted(groups.values(), key=lambda item: item.entity in NAMES)

    # --- doing it -----------------------------------------------------------------------------

    def _undo(self, item: UndoItem, run: Run) -> None:
        if item.action == "keep":
            item.outcome = "kept"
            return
        try:
            if item.action == "unlink":
                item.outcome = "unlinked"
            else:
                self._change(item)
        except NotFoundError:
            item.outcome = "deleted"  # gone already (an undo that stopped after the delete)
        except SyncError as error:
            item.outcome, item.reason = "failed", f"{error.code}: {error.message}"[:300]
            return
        if item.outcome == "kept":
            return
        undone = [
            Link(
                stripe_object_id=str(link["stripe_object_id"]),
                stripe_object_type=str(link["stripe_object_type"]),
                qbo_entity_type=str(link["qbo_entity_type"]),
                qbo_entity_id=item.qbo_id,
                status="UNDONE",
                task_name=f"undo-{run.run_id}",
            )
            for link in item.links
        ]
        self._links.record(undone, self._clock.now())

    def _change(self, item: UndoItem) -> None:
        current = self._qbo.read(item.entity, item.qbo_id)
        if marker_core(current) is None:
            item.outcome, item.reason = "kept", "not written by the sync (no marker)"
            return
        token = str(current.get("SyncToken", "0"))
        request_id = qbo_request_id_from(f"undo-{item.action}", f"{item.entity}-{item.qbo_id}")
        if item.action == "deactivate":
            sparse = {"Id": item.qbo_id, "SyncToken": token, "Active": False, "sparse": True}
            self._qbo.update(item.entity, sparse, request_id)
            item.outcome = "deactivated"
            return
        try:
            self._qbo.delete(item.entity, item.qbo_id, token, request_id)
            item.outcome = "deleted"
        except ValidationFailedError as refused:
            if item.entity not in VOID_FORMS:
                raise
            void_id = qbo_request_id_from("undo-void", f"{item.entity}-{item.qbo_id}")
            self._qbo.void(item.entity, item.qbo_id, token, void_id)
            item.outcome, item.reason = "voided", f"delete refused ({refused.code})"


def undo_request_from_json(body: JsonDict) -> UndoRequest:
    from shared.services.backfill.request import moment_from_json

    run_id = body.get("run_id")
    return UndoRequest(
        run_id=str(run_id) if run_id else None,
        since=moment_from_json(body.get("since"), "since"),
        until=moment_from_json(body.get("until"), "until", end_of_day=True),
        dry_run=bool(body.get("dry_run", True)),
    )
