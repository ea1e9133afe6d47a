"""The ports: small Protocols the use cases depend on; adapters implement them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from shared.domain.leases import Lease

JsonDict = dict[str, Any]
Row = Mapping[str, Any]


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class Warehouse(Protocol):
    """BigQuery in production, DuckDB locally; SQL is written once in BigQuery dialect."""

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run a read query with named ``@param`` parameters; rows as dicts."""
        ...

    def append(self, table: str, rows: Sequence[Row], row_ids: Sequence[str] | None = None) -> None:
        """Append rows (streaming insert); ``row_ids`` are BigQuery insertIds for de-duplication.

        Raises TransientError when the warehouse is unreachable, PermanentError on a bad row.
        """
        ...


@dataclass(frozen=True)
class Task:
    """One unit of work for an HTTP target. ``name`` makes enqueueing idempotent."""

    name: str
    payload: JsonDict
    url: str | None = None  # None: the configured worker URL
    schedule_time: datetime | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


class TaskQueue(Protocol):
    def enqueue(self, task: Task) -> bool:
        """Create the task; True if created, False if a task of that name exists already.

        ALREADY_EXISTS is success, not an error. Raises TransientError if the queue is unreachable.
        """
        ...


class SecretStore(Protocol):
    def get(self, name: str) -> str:
        """The latest version of a secret (cached a few minutes); NotFoundError if none."""
        ...

    def refresh(self, name: str) -> str:
        """The latest version read now, past any cache: after a value was refused (a rolled
        webhook secret, a refresh token another instance rotated)."""
        ...

    def put(self, name: str, value: str) -> None:
        """Add a new version (the QBO refresh token rotates and is written back)."""
        ...


class LeaseStore(Protocol):
    """Mutual exclusion per Stripe object family: a conditional create with an expiry.

    Firestore in production, in memory for the embedded stack. BigQuery cannot give this: its
    links are appended, and two workers could both find a link missing and both write.
    """

    def acquire(self, key: str, holder: str, ttl: timedelta) -> Lease:
        """Hold ``key`` for ``ttl``: created if absent, taken over if given back or expired.

        LeaseHeldError (transient, with a retry hint) while another holder has it; a failing
        store is a TransientError too.
        """
        ...

    def release(self, lease: Lease, *, settled: bool = True) -> None:
        """Give the lease back if it is still ours (another may have taken it after expiry).

        ``settled`` False: the run ended with a transient failure and may have written to QBO
        without an answer; the family's next holders look in QBO first until a run settles it.
        """
        ...


class WebhookVerifier(Protocol):
    def verify(self, payload: bytes, signature_header: str, secret: str) -> None:
        """Check Stripe-Signature on the raw body; InvalidSignatureError if it does not hold."""
        ...


@dataclass(frozen=True)
class StripePage:
    """One page of a Stripe list: its objects (newest first) and whether more follow."""

    objects: list[JsonDict]
    has_more: bool


class StripeGateway(Protocol):
    """Reads fresh state from Stripe (events are triggers, not truth)."""

    def retrieve(self, object_type: str, object_id: str, expand: Sequence[str] = ()) -> JsonDict:
        """The object as Stripe has it now; NotFoundError if it is gone. ``expand`` names
        fields to expand or include (an invoice's ``payments``)."""
        ...

    def list_invoice_lines(self, invoice_id: str) -> list[JsonDict]:
        """Every line of an invoice, all pages."""
        ...

    def list_objects(self, object_type: str, filters: Mapping[str, Any]) -> list[JsonDict]:
        """Every object of a type matching Stripe's list filters (e.g. refunds of a charge)."""
        ...

    def list_page(
        self,
        object_type: str,
        filters: Mapping[str, Any],
        *,
        starting_after: str | None = None,
        limit: int = 100,
    ) -> StripePage:
        """One page of a list, newest first, after the cursor ``starting_after``."""
        ...

    def list_events(
        self,
        *,
        created_gte: int | None = None,
        created_lte: int | None = None,
        types: Sequence[str] | None = None,
        delivery_success: bool | None = None,
    ) -> list[JsonDict]:
        """Events from Stripe's events API (the last 30 days), oldest first, all pages."""
        ...


# What QBO voids through the API, and how: an Invoice by ``?operation=void``; a Payment or a
# SalesReceipt by a sparse update with ``?operation=update&include=void``. QBO voids no other
# entity the sync writes (a CreditMemo or RefundReceipt is reversed or deleted instead).
VOID_FORMS: Mapping[str, str] = {
    "Invoice": "operation",
    "Payment": "include",
    "SalesReceipt": "include",
}


class QboGateway(Protocol):
    """QuickBooks Online for one realm, through python-quickbooks."""

    def create(self, entity: str, document: JsonDict, request_id: str) -> JsonDict:
        """Create with a deterministic requestid (<= 50 chars); a repeat returns the original."""
        ...

    def read(self, entity: str, entity_id: str) -> JsonDict: ...

    def update(self, entity: str, document: JsonDict, request_id: str) -> JsonDict:
        """Full update; ``document`` carries Id and SyncToken. StaleObjectError on 5010."""
        ...

    def query(self, statement: str) -> list[JsonDict]:
        """A QBO query (``select * from Invoice where DocNumber = 'X'``), all rows."""
        ...

    def void(self, entity: str, entity_id: str, sync_token: str, request_id: str) -> JsonDict:
        """Void in the entity's own form (``VOID_FORMS``); the voided document, amounts zeroed
        and "Voided" before its PrivateNote. ValueError for an entity QBO cannot void."""
        ...

    def delete(self, entity: str, entity_id: str, sync_token: str, request_id: str) -> JsonDict:
        """Delete a transaction (``?operation=delete``); QBO's answer ``{Id, status: Deleted}``.

        QBO refuses to delete a document a payment applies (undo the payment first)."""
        ...

    def attach(
        self,
        entity: str,
        entity_id: str,
        file_name: str,
        content: bytes,
        request_id: str,
        *,
        content_type: str = "application/pdf",
    ) -> JsonDict:
        """Upload a file as an Attachable linked to ``entity`` ``entity_id``; the Attachable."""
        ...

    def preferences(self) -> JsonDict:
        """The company's Preferences (``SalesFormsPrefs.AutoApplyCredit`` among them)."""
        ...

    def exchange_rate(self, currency: str, as_of: date) -> Decimal:
        """QBO's rate for ``currency`` on a day: home-currency units per unit."""
        ...

    def changes_since(self, entities: list[str], since: datetime) -> dict[str, list[JsonDict]]:
        """Change data capture: entities of these types changed since ``since``, by type."""
        ...


class StripeBilling(Protocol):
    """Writes to Stripe for the settlement flow; every write carries an idempotency key."""

    def create_invoice_item(self, params: JsonDict, idempotency_key: str) -> JsonDict: ...

    def create_invoice(self, params: JsonDict, idempotency_key: str) -> JsonDict: ...

    def finalize_invoice(self, invoice_id: str, idempotency_key: str) -> JsonDict: ...

    def send_invoice(self, invoice_id: str, idempotency_key: str) -> JsonDict: ...

    def retrieve_invoice(self, invoice_id: str) -> JsonDict: ...

    def list_invoices(
        self, customer: str, metadata_settlement_id: str | None = None
    ) -> list[JsonDict]:
        """A customer's invoices, newest first; only those whose metadata names the settlement."""
        ...
