"""Request bodies of the private functions and the sync task's payload, as pydantic models.

Times are ISO 8601 (with an offset; without one, UTC is meant) or unix seconds. The models
refuse what the functions refuse, so the schemas generated from them say what is accepted.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictFloat,
    StrictInt,
    ValidationError,
    WithJsonSchema,
    field_validator,
)

from shared.errors import BadRequestError

RUN_ID_PATTERN = r"^[A-Za-z0-9_-]{1,40}$"
MAX_EVENT_IDS = 10_000
NonEmpty = Annotated[str, Field(min_length=1)]
# What the schema says is what is accepted: a time as ISO 8601 text or unix seconds; event ids
# as a list or as one comma-separated string.
Moment = Annotated[
    datetime | None,
    WithJsonSchema({"anyOf": [{"type": "string", "format": "date-time"},
                              {"type": "integer", "minimum": 0}, {"type": "null"}]}),
]  # fmt: skip
EventIds = Annotated[
    list[NonEmpty],
    WithJsonSchema({"anyOf": [
        {"type": "array", "items": {"type": "string", "minLength": 1}, "maxItems": MAX_EVENT_IDS},
        {"type": "string", "description": "comma-separated"},
    ]}),
]  # fmt: skip


def refusal(error: ValidationError, what: str, code: str) -> BadRequestError:
    """A pydantic refusal as our BadRequestError: each field and why, on one line."""
    reasons = "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in error.errors()
    )
    return BadRequestError(f"{what}: {reasons}", code=code)


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# A tenant id: lower-case letters, digits and dashes, at most 40 (shared/tenancy).
TENANT_ID_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$"
TenantId = Annotated[str | None, Field(pattern=TENANT_ID_PATTERN)]


class ContractModel(BaseModel):
    """A body we accept: unknown fields are refused, so a misspelt option is never ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class SyncTaskPayload(BaseModel):
    """What a sync task carries to ``sync_worker`` (Cloud Tasks: the HTTP body, JSON).

    Unknown fields are kept and ignored, so that a newer enqueuer and an older worker agree.
    """

    model_config = ConfigDict(extra="allow", frozen=True)

    object_type: NonEmpty = Field(description="the Stripe object type to sync, e.g. invoice")
    object_id: NonEmpty = Field(description="the Stripe object's id, e.g. in_123")
    event_id: str | None = Field(None, description="the event that asked for the sync")
    event_type: str | None = Field(None, description="that event's type")
    task_name: str | None = Field(None, description="the task's name, when no header says it")
    fresh_after: StrictInt | StrictFloat | None = Field(
        None,
        ge=0,
        description="unix seconds: Stripe reads that started after this serve the sync (the "
        "last event it covers, plus a margin for clock skew)",
    )
    prior_attempts: int | None = Field(
        None, ge=0, description="attempts made by the tasks this follow-up continues"
    )
    origin_task: str | None = Field(None, description="the first task of a follow-up chain")
    enqueued_at: str | None = Field(
        None,
        description="ISO 8601 time the chain's first task was enqueued: the start of its retry "
        "horizon (its last attempt is the one past both the attempts and the horizon)",
    )
    lease_waits: int | None = Field(
        None, ge=0, description="held leases this chain met in a row (each wait doubles)"
    )
    tenant_id: TenantId = Field(
        None, description="the tenant (tenants table) whose books this is for; absent: default"
    )

    def body(self) -> dict[str, Any]:
        """The JSON object to enqueue (unset fields left out)."""
        return self.model_dump(exclude_none=True)


class ReplayRequestBody(ContractModel):
    """``POST /replay``: what to enqueue again. At least one selector: event ids, a time range,
    an object type, or every FAILED link."""

    event_ids: EventIds = Field(
        default_factory=list,
        max_length=MAX_EVENT_IDS,
        description="event ids (a list, or one comma-separated string); each must exist",
    )
    since: Moment = Field(None, description="events created at or after this time")
    until: Moment = Field(None, description="events created at or before this time")
    object_type: str | None = Field(None, description="only objects of this Stripe type")
    failed: bool = Field(False, description="every object whose current link is FAILED")
    source: Literal["archive", "stripe"] = Field(
        "archive",
        description="archive: the event archive (any age); stripe: Stripe's events API "
        "(the last 30 days)",
    )
    dry_run: bool = Field(False, description="list what would be enqueued, enqueue nothing")
    tenant_id: TenantId = Field(
        None, description="the tenant (tenants table) whose books this is for; absent: default"
    )
    run_id: str | None = Field(
        None,
        pattern=RUN_ID_PATTERN,
        description="repeat a run's id to retry it: tasks of the same name are not created twice",
    )

    @field_validator("event_ids", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return [] if value is None else value

    @field_validator("source", "object_type", "run_id", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: Any, info: Any) -> Any:
        if value in (None, ""):
            return "archive" if info.field_name == "source" else None
        return value

    @field_validator("since", "until", mode="after")
    @classmethod
    def _in_utc(cls, value: datetime | None) -> datetime | None:
        return _utc(value)


class ReconcileRequestBody(ContractModel):
    """``POST /reconcile`` (or query parameters): the window to compare; by default the last
    30 days up to now."""

    since: AwareDatetime | None = Field(None, description="from this time (with a UTC offset)")
    until: AwareDatetime | None = Field(None, description="up to this time (with a UTC offset)")
    tenant_id: TenantId = Field(
        None, description="the tenant (tenants table) whose books this is for; absent: default"
    )


# What a backfill lists, in the order it syncs them: what an object needs in QBO is usually there
# before it (customers and products before invoices, invoices before their payments, charges
# before their refunds and disputes, everything before the payouts that settle it).
BackfillType = Literal[
    "customer",
    "product",
    "invoice",
    "invoice_payment",
    "charge",
    "refund",
    "credit_note",
    "dispute",
    "payout",
]
BACKFILL_TYPES: tuple[BackfillType, ...] = get_args(BackfillType)
BackfillTypes = Annotated[
    list[BackfillType],
    WithJsonSchema({"anyOf": [
        {"type": "array", "items": {"enum": list(BACKFILL_TYPES)}, "minItems": 1},
        {"type": "string", "description": "comma-separated"},
    ]}),
]  # fmt: skip
# A day (its start; for ``until`` its end), a time (ISO 8601) or unix seconds.
Day = Annotated[
    datetime | None,
    WithJsonSchema({"anyOf": [{"type": "string", "format": "date"},
                              {"type": "string", "format": "date-time"},
                              {"type": "integer", "minimum": 0}, {"type": "null"}]}),
]  # fmt: skip


def moment_of(value: Any, *, end_of_day: bool = False) -> Any:
    """A bare ISO date as the start (or the end) of that day in UTC; anything else unchanged,
    for pydantic to read as a datetime."""
    if isinstance(value, str) and len(value.strip()) == 10:
        try:
            day = date.fromisoformat(value.strip())
        except ValueError:
            return value
        return datetime.combine(day, time.max if end_of_day else time.min, UTC)
    return None if value == "" else value


class BackfillRequestBody(ContractModel):
    """``POST /backfill``: import Stripe history created in a range, or resume a run. One call
    works one slice (minutes) and enqueues a task to this function for the next, until done."""

    since: Day = Field(None, description="objects created at or after (a date: its start, UTC)")
    until: Day = Field(
        None, description="objects created at or before (a date: its end, UTC); default: now"
    )
    types: BackfillTypes = Field(
        default_factory=lambda: list(BACKFILL_TYPES),
        min_length=1,
        description="what to list (a list, or one comma-separated string); default: all; "
        "always synced in this order: " + ", ".join(BACKFILL_TYPES),
    )
    run_id: str | None = Field(
        None,
        pattern=RUN_ID_PATTERN,
        description="resume this backfill run from its checkpoint (since is then not needed)",
    )
    dry_run: bool = Field(False, description="count what the range holds, write nothing")
    tenant_id: TenantId = Field(
        None, description="the tenant (tenants table) whose books this is for; absent: default"
    )

    @field_validator("since", mode="before")
    @classmethod
    def _since(cls, value: Any) -> Any:
        return moment_of(value)

    @field_validator("until", mode="before")
    @classmethod
    def _until(cls, value: Any) -> Any:
        return moment_of(value, end_of_day=True)

    @field_validator("since", "until", mode="after")
    @classmethod
    def _in_utc(cls, value: datetime | None) -> datetime | None:
        return _utc(value)

    @field_validator("types", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        return list(BACKFILL_TYPES) if value in (None, []) else value

    @field_validator("run_id", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        return None if value in (None, "") else value
