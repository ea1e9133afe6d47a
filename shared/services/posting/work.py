"""What one sync run shares: the request, the ports, and the links it will append in one batch."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar

from shared.books_settings import BooksSettings
from shared.domain.fingerprint import TRANSACTIONS, fingerprint
from shared.domain.idempotency import payload_hash, qbo_request_id_from
from shared.domain.leases import Lease, lease_key
from shared.domain.mapping import CurrencyTerms
from shared.errors import ConflictError
from shared.freshness import fresh_after, reads_fresh_after
from shared.ports import Clock, JsonDict, LeaseStore, QboGateway, StripeGateway, Warehouse
from shared.services.existing_books import ExistingBooks
from shared.services.qbo_lookup import Lookup, create_or_heal
from shared.services.records import Link, LinkStatus, LinkStore, Outcome, SyncLog
from shared.services.reference_data import ReferenceData
from shared.services.stripe_tax_rates import StripeTaxRates

T = TypeVar("T")
DEFAULT_LEASE_TTL = timedelta(seconds=360)
LEASE_MARGIN = timedelta(seconds=5)

__all__ = ["Lookup", "StatementAttacher", "SyncDeps", "SyncRequest", "SyncResult", "Work",
           "create_or_heal"]  # fmt: skip


@dataclass(frozen=True)
class SyncRequest:
    """What a task asks for: one Stripe object, named by type and id."""

    object_type: str
    object_id: str
    task_name: str
    correlation_id: str
    event_id: str | None = None
    event_type: str | None = None
    attempt: int = 1
    # Unix seconds: Stripe reads that started then or later are fresh enough for this sync (the
    # triggering event's time plus a margin); None: reads that started once the sync began.
    fresh_after: float | None = None


@dataclass(frozen=True)
class SyncResult:
    outcome: Outcome
    qbo_entity_type: str | None = None
    qbo_entity_id: str | None = None
    reason: str | None = None


# (the Stripe invoice as the API returns it, its QBO invoice id) -> the Attachable id, or None
# when the invoice has no statement (it did not come from a settlement)
StatementAttacher = Callable[[JsonDict, str], str | None]


@dataclass
class SyncDeps:
    stripe: StripeGateway
    qbo: QboGateway
    links: LinkStore
    sync_log: SyncLog
    references: ReferenceData
    clock: Clock
    books: BooksSettings = field(default_factory=BooksSettings)
    attach_statement: StatementAttacher | None = None
    # where checks of posted work go (payout reconciliations); None: not recorded
    warehouse: Warehouse | None = None
    # one writer per Stripe object family; None: no mutual exclusion (single-threaded tests)
    leases: LeaseStore | None = None
    lease_ttl: timedelta = DEFAULT_LEASE_TTL
    # customers and items the books had before the sync; None: never matched, always created
    existing: ExistingBooks | None = None
    # the Stripe tax rates documents name (``GET /v1/tax_rates/{id}``), kept per instance
    tax_rates: StripeTaxRates = field(default_factory=StripeTaxRates)


@dataclass
class Work:
    """One run: the links it records go to the warehouse together at the end."""

    request: SyncRequest
    deps: SyncDeps
    links: list[Link] = field(default_factory=list)
    lease: Lease | None = None
    also: list[Lease] = field(default_factory=list)  # other families' leases, held for a while
    at: str | None = None  # "<QBO entity key> of <Stripe id>" being written: where a failure is
    _recorded: dict[tuple[str, str], Link] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def heal_first(self) -> bool:
        """Look in QBO before creating: a retry may follow a write whose link was never
        recorded, and a family another worker just gave back (or died holding) may have links
        not yet visible in the warehouse."""
        held = [self.lease, *self.also]
        return self.request.attempt > 1 or any(lease.contended for lease in held if lease)

    def hold(self, kind: str, stripe_id: str) -> None:
        """Take the lease on the Stripe object family (``invoice``, its id) before any QBO
        write. One family per run: a second call keeps the first lease. ConflictError
        (transient) while another worker holds it."""
        leases = self.deps.leases
        if leases is None or self.lease is not None:
            return
        holder = f"{self.request.task_name}#{self.request.attempt}"
        self.lease = leases.acquire(lease_key(kind, stripe_id), holder, self.deps.lease_ttl)

    @contextmanager
    def reads_after_previous_run(self) -> Iterator[None]:
        """Within the block, Stripe reads newer than the family's previous run, should it have
        ended after this run's reads could have started (its lease says when). For what would
        post something a newer state undoes, where the undoing run finds nothing to undo when
        nothing was posted: a credit note Stripe voided, a refund that failed. That run may
        have seen the newer state meanwhile; this run's older copy must not be posted after it.
        Instance clocks are NTP-synced, unlike Stripe's and ours (shared/freshness.py)."""
        with reads_fresh_after(self.previous_run_ended() or fresh_after()):
            yield

    def newest(self, current: T, read: Callable[[], T]) -> T:
        """``current``, or ``read()`` again (newer than the family's previous run) should that
        run have ended after ``current`` could have been read: see ``reads_after_previous_run``.
        One Stripe request, only then."""
        if self.previous_run_ended() is None:
            return current
        with self.reads_after_previous_run():
            return read()

    def previous_run_ended(self) -> float | None:
        """When the family's previous run ended (unix seconds), if after this run's reads could
        have started (see ``reads_after_previous_run``); else None."""
        ended = self.lease.previous_end if self.lease is not None else None
        reads_from = fresh_after()
        if ended is None or reads_from is None or ended.timestamp() <= reads_from:
            return None
        return ended.timestamp()

    @contextmanager
    def holding(self, kind: str, stripe_id: str) -> Iterator[None]:
        """Another family's lease as well, for the writes of that family this run makes on
        the way (an invoice posting the credit it used: an adjustment's memo is its
        customer's, a credit note's memo its invoice's); given back after the block.
        ConflictError (transient) while another worker holds it: the retry comes back."""
        leases, key = self.deps.leases, lease_key(kind, stripe_id)
        if leases is None or any(lease.key == key for lease in (self.lease, *self.also) if lease):
            yield
            return
        holder = f"{self.request.task_name}#{self.request.attempt}"
        lease = leases.acquire(key, holder, self.deps.lease_ttl)
        self.also.append(lease)
        settled = False
        try:
            yield
            settled = True
        finally:
            self.also.remove(lease)
            leases.release(lease, settled=settled)

    def writing(self, stripe_id: str, entity_key: str) -> None:
        """Before a QBO write: the lease is held and not about to run out, and a failure from
        here on is recorded where it happened."""
        self.at = f"{entity_key} of {stripe_id}"
        if self.deps.leases is None:
            return
        if self.lease is None:
            raise RuntimeError(f"QBO write of {entity_key} without the family's lease")
        if self.deps.clock.now() >= self.lease.expires_at - LEASE_MARGIN:
            raise ConflictError(f"lease {self.lease.key} runs out; the retry continues")

    def release(self, *, settled: bool = True) -> None:
        """Give the family's lease back; ``settled`` False after a transient failure (a write
        may have gone out without an answer: the next holder looks before it creates)."""
        if self.lease is not None and self.deps.leases is not None:
            self.deps.leases.release(self.lease, settled=settled)
            self.lease = None

    def terms(self, currency: str) -> CurrencyTerms:
        return self.deps.references.terms(currency)

    def current(self, stripe_id: str, entity_key: str) -> Link | None:
        with self._lock:
            recorded = self._recorded.get((stripe_id, entity_key))
        return recorded or self.deps.links.current(stripe_id, entity_key)

    def done(self, stripe_id: str, entity_key: str) -> str | None:
        """The QBO id already linked to this Stripe object, if the link is complete."""
        link = self.current(stripe_id, entity_key)
        return link.qbo_entity_id if link is not None and link.completed else None

    def record(
        self, stripe_id: str, stripe_type: str, entity_key: str, qbo_id: str, **extra: Any
    ) -> None:
        self._keep(stripe_id, stripe_type, entity_key, "COMPLETED", qbo_entity_id=qbo_id, **extra)

    def skip(self, stripe_id: str, stripe_type: str, entity_key: str) -> None:
        """Record that this role needs no QBO document (its figures were zero), so it is not
        worked out again; a SKIPPED link, never one with a QBO id."""
        self._keep(stripe_id, stripe_type, entity_key, "SKIPPED")

    def note(
        self, stripe_id: str, stripe_type: str, entity_key: str, qbo_id: str, *, code: str, why: str
    ) -> None:
        """Record that ``stripe_id`` was posted another way than its own entity (SKIPPED, with
        the reason and where it went): e.g. a product Stripe would not let us read, booked on
        the default item."""
        self._keep(
            stripe_id, stripe_type, entity_key, "SKIPPED",
            qbo_entity_id=qbo_id, last_error_code=code, last_error=why,
        )  # fmt: skip

    def _keep(
        self, stripe_id: str, stripe_type: str, entity_key: str, status: LinkStatus, **extra: Any
    ) -> None:
        """A link of this run: appended with the rest at the end, visible to this instance now."""
        link = Link(
            stripe_object_id=stripe_id,
            stripe_object_type=stripe_type,
            qbo_entity_type=entity_key,
            status=status,
            attempt=self.request.attempt,
            event_id=self.request.event_id,
            task_name=self.request.task_name,
            **extra,
        )
        with self._lock:
            self.links.append(link)
            self._recorded[(stripe_id, entity_key)] = link
        self.deps.links.publish(link)

    def ensure(
        self,
        stripe_id: str,
        stripe_type: str,
        entity_key: str,
        entity: str,
        *,
        build: Callable[[], JsonDict],
        lookup: Lookup,
        doc_number: str | None = None,
        again: str = "",
        detail: tuple[str, str] | None = None,
    ) -> str:
        """The QBO entity for (Stripe id, entity key): linked, healed by lookup, or created once.

        ``entity_key`` names the role (``Invoice``, ``Payment:oob``, ``Customer:EUR``...);
        ``entity`` is the QBO entity type written. Every create has a lookup: in a backfill,
        creates travel in batches, whose one requestid does not protect an item sent again in
        another batch after a crash; the lookup does. ``detail`` (code, text) travels on the
        link: how the document departs from the plain posting (lines on the default item...).
        """
        linked = self.done(stripe_id, entity_key)
        if linked is not None:
            return linked
        # Another task of this instance creating the same entity finishes first; its link is
        # then here (published), so no create is sent that QBO would only answer from memory.
        with self.deps.links.claim(stripe_id, entity_key):
            linked = self.done(stripe_id, entity_key)
            if linked is not None:
                return linked
            previous = self.current(stripe_id, entity_key)
            self.writing(stripe_id, entity_key)
            # a sales form written without tax still names the codes the company needs
            body = self.deps.references.complete_tax_codes(entity, build())
            operation = entity_key.lower().replace(":", "-")
            if previous is not None and previous.status == "UNDONE":
                # posted again after an undo: a new request, never QBO's memory of the first
                operation += f"-u{previous.qbo_entity_id}"
            qbo_id = create_or_heal(
                self.deps.qbo,
                entity,
                body,
                # ``again``: a second try after QBO refused the first: a fresh requestid,
                # since QBO answers a repeated one with the first answer
                qbo_request_id_from(operation + again, stripe_id),
                lookup,
                heal_first=self.heal_first or previous is not None,
            )
            self.record(
                stripe_id,
                stripe_type,
                entity_key,
                qbo_id,
                payload_hash=fingerprint(body) if entity in TRANSACTIONS else payload_hash(body),
                doc_number=doc_number,
                last_error_code=detail[0] if detail else None,
                last_error=detail[1] if detail else None,
            )
        return qbo_id
