"""What a backfill is asked for: a ``created`` range and object types, in dependency order."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from shared.errors import BadRequestError
from shared.ports import JsonDict
from shared.services.runs import check_run_id

# Listed in this order, so what an object needs in QBO is usually there before it: customers and
# products before invoices, invoices before their payments, charges before their refunds and
# disputes, everything before the payouts that settle it.
BACKFILL_TYPES = (
    "customer",
    "product",
    "invoice",
    "invoice_payment",
    "charge",
    "refund",
    "credit_note",
    "dispute",
    "payout",
)


@dataclass(frozen=True)
class BackfillRequest:
    """Objects of ``types`` created in [since, until] (until: when the run started)."""

    since: datetime | None = None
    until: datetime | None = None
    types: tuple[str, ...] = BACKFILL_TYPES
    run_id: str | None = None  # a run to resume; None: a new run
    dry_run: bool = False  # list and count only

    def check(self) -> None:
        if self.since is None and self.run_id is None:
            raise BadRequestError("say from when: since (or the run id to resume)")
        unknown = [t for t in self.types if t not in BACKFILL_TYPES]
        if unknown or not self.types:
            raise BadRequestError(
                f"types are some of {', '.join(BACKFILL_TYPES)}; not {', '.join(unknown) or '-'}"
            )
        if self.since and self.until and self.since > self.until:
            raise BadRequestError("since is after until")
        if self.run_id is not None:
            check_run_id(self.run_id)

    def ordered_types(self) -> tuple[str, ...]:
        return tuple(t for t in BACKFILL_TYPES if t in self.types)


def sync_target(object_type: str, obj: JsonDict) -> tuple[str, str] | None:
    """Which object's sync posts a listed object: an invoice payment is posted by its invoice."""
    if object_type == "invoice_payment":
        invoice = obj.get("invoice")
        invoice_id = invoice.get("id") if isinstance(invoice, dict) else invoice
        return ("invoice", str(invoice_id)) if invoice_id else None
    object_id = obj.get("id")
    return (object_type, str(object_id)) if object_id else None


def moment_from_json(value: Any, name: str, *, end_of_day: bool = False) -> datetime | None:
    """ISO 8601 (a date means its start, or its end with ``end_of_day``) or unix seconds."""
    if value in (None, ""):
        return None
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return datetime.fromtimestamp(value, UTC)
        text = str(value)
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime.combine(day, time.max if end_of_day else time.min, UTC)
        parsed = datetime.fromisoformat(text)
    except (ValueError, OverflowError, OSError):
        raise BadRequestError(f"{name} is not a date or time") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def backfill_request_from_json(body: JsonDict) -> BackfillRequest:
    """The backfill function's JSON body."""
    types: Sequence[Any] = body.get("types") or BACKFILL_TYPES
    if isinstance(types, str):
        types = [part.strip() for part in types.split(",") if part.strip()]
    if not isinstance(types, Sequence) or not all(isinstance(t, str) for t in types):
        raise BadRequestError("types is a list of strings")
    run_id = body.get("run_id")
    if run_id is not None and not isinstance(run_id, str):
        raise BadRequestError("run_id is a string")
    return BackfillRequest(
        since=moment_from_json(body.get("since"), "since"),
        until=moment_from_json(body.get("until"), "until", end_of_day=True),
        types=tuple(types),
        run_id=run_id or None,
        dry_run=bool(body.get("dry_run")),
    )
