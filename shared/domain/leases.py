"""Leases on Stripe object families: who may write one family to QBO now, decided purely.

A lease is a record per family key (an invoice with its payments and credits, a payout...):
its holder, when it expires, and when it was last given back. A record may be taken when it is
absent, given back, or expired (its holder crashed or overran). Taking one that was given back a
moment ago, or that expired under another holder, is *contended*: that holder's links may not be
visible in the warehouse yet, so the new holder looks in QBO before any create.

A lease given back after a transient failure stays *unsettled* until a run of the family ends
cleanly: that run may have written to QBO without an answer (a lost response, a timeout), and
however much later the next holder comes, it must look before it creates (QBO's requestid replay,
which would answer such a repeat, is not relied on).

A run reads Stripe before it takes its family's lease (the lease's key comes from what it read).
If the family's previous run ended after those reads could have started, that run may have acted
on a newer Stripe state (a credit note it found voided, with nothing to undo), so the new holder
reads again what such a state would undo before it posts it (``previous_end``;
``Work.reads_after_previous_run``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

LEASE_ID_MAX = 500  # Firestore document ids: at most 1,500 bytes; ours stay far below
_UNSAFE = re.compile(r"[^A-Za-z0-9_.:-]")


@dataclass(frozen=True)
class LeaseRecord:
    """A stored lease: ``holder`` None once given back."""

    holder: str | None
    expires_at: datetime
    released_at: datetime | None = None
    unsettled: bool = False  # the last run given back ended with a transient failure


@dataclass(frozen=True)
class Lease:
    """A lease we hold. ``version`` is the store's opaque revision, for a conditional release."""

    key: str
    holder: str
    expires_at: datetime
    version: str
    contended: bool = False
    # when the family's previous run ended (given back, or expired under a holder that crashed)
    previous_end: datetime | None = None


def lease_key(kind: str, stripe_id: str) -> str:
    """``invoice:in_1``: one key per family, safe as a document id ('/' never appears)."""
    key = _UNSAFE.sub("_", f"{kind}:{stripe_id}")
    return key[:LEASE_ID_MAX]


def may_take(record: LeaseRecord | None, now: datetime) -> bool:
    """Absent, given back, or expired: free to take."""
    return record is None or record.holder is None or record.expires_at <= now


def is_contended(record: LeaseRecord | None, now: datetime, settle: timedelta) -> bool:
    """Whether the previous holder may have written work not yet visible as links."""
    if record is None:
        return False
    if record.holder is not None or record.unsettled:
        # taken over from a holder that never gave it back, or one whose run may have written
        # without an answer
        return True
    return record.released_at is not None and now - record.released_at < settle


def previous_end(record: LeaseRecord | None) -> datetime | None:
    """When the previous holder stopped at the latest: given back, or its lease's expiry."""
    if record is None:
        return None
    return record.released_at if record.holder is None else record.expires_at


def retry_after_seconds(record: LeaseRecord, now: datetime, cap: float = 60.0) -> float:
    """How long until a held lease expires at the latest (bounded): a hint for the retry."""
    return max(1.0, min(cap, (record.expires_at - now).total_seconds()))
