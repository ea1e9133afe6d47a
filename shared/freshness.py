"""How fresh a Stripe read must be for the sync at hand: a context variable set per sync.

A sync acts on Stripe's state as of (at least) the event that triggered it, so a read that
started after that moment may serve it. ``reads_fresh_after`` sets the moment for the block;
read-sharing gateways (shared/adapters/stripe_reads.py) consult ``fresh_after()``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

# Stripe's ``created`` and our clock come from different machines: a read counts as after an
# event only when it started this much later.
CLOCK_SKEW_MARGIN_SECONDS = 2.0

_FRESH_AFTER: ContextVar[float | None] = ContextVar("stripe_reads_fresh_after", default=None)


@contextmanager
def reads_fresh_after(moment: float | None) -> Iterator[None]:
    """Within the block, reads that started at ``moment`` (unix seconds) or later may serve."""
    token = _FRESH_AFTER.set(moment)
    try:
        yield
    finally:
        _FRESH_AFTER.reset(token)


def fresh_after() -> float | None:
    """The current sync's threshold; None outside a sync (every read goes to Stripe)."""
    return _FRESH_AFTER.get()
