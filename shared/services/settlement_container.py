"""The settlement flow's dependencies, built lazily once per instance on top of shared.bootstrap."""

from __future__ import annotations

import threading
from functools import lru_cache

from shared import bootstrap
from shared.ports import StripeBilling
from shared.services.settlement_poll import SettlementPoll
from shared.statements.store import StatementStore

_lock = threading.Lock()


@lru_cache(maxsize=1)
def _stripe_billing() -> StripeBilling:
    from shared.adapters.stripe_billing import StripeApiBilling  # noqa: PLC0415

    return StripeApiBilling(bootstrap.settings(), bootstrap.secrets())


def stripe_billing() -> StripeBilling:
    with _lock:
        return _stripe_billing()


def settlement_poll() -> SettlementPoll:
    """A poll over the instance's warehouse, Stripe client and clock (cheap: no I/O here)."""
    return SettlementPoll(
        bootstrap.warehouse(),
        stripe_billing(),
        bootstrap.clock(),
        bootstrap.settings().tax_rates,
    )


def statement_store() -> StatementStore:
    """Regenerates statements, e.g. for the QBO attachment of a settlement's invoice."""
    return StatementStore(bootstrap.warehouse(), tax_rates=bootstrap.settings().tax_rates)


def reset() -> None:
    with _lock:
        _stripe_billing.cache_clear()
