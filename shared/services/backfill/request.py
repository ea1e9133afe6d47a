"""What a backfill is asked for: a ``created`` range and object types, in dependency order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from shared.contracts.models import BACKFILL_TYPES, BackfillRequestBody, moment_of, refusal
from shared.errors import BadRequestError
from shared.ports import JsonDict
from shared.services.runs import check_run_id


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
        day = moment_of(value, end_of_day=end_of_day)
        parsed = day if isinstance(day, datetime) else datetime.fromisoformat(str(value))
    except (ValueError, OverflowError, OSError):
        raise BadRequestError(f"{name} is not a date or time") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def backfill_request_from_json(body: JsonDict) -> BackfillRequest:
    """The backfill function's JSON body (``BackfillRequestBody``) as the use case's request."""
    try:
        parsed = BackfillRequestBody.model_validate(body)
    except ValidationError as error:
        raise refusal(error, "backfill request", "bad_backfill") from None
    return BackfillRequest(
        since=parsed.since,
        until=parsed.until,
        types=tuple(parsed.types),
        run_id=parsed.run_id,
        dry_run=parsed.dry_run,
    )
