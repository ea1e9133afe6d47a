"""The Stripe tax rates documents name, read once per instance."""

from __future__ import annotations

import threading
from collections.abc import Iterable

from shared.domain.stripe_tax import StripeTaxRate
from shared.ports import StripeGateway


class StripeTaxRates:
    """TaxRates by id, read once per instance: a rate never changes but for ``active``."""

    def __init__(self) -> None:
        self._found: dict[str, StripeTaxRate] = {}
        self._lock = threading.Lock()

    def read(self, stripe: StripeGateway, ids: Iterable[str]) -> dict[str, StripeTaxRate]:
        out: dict[str, StripeTaxRate] = {}
        for rate_id in sorted(set(ids)):
            with self._lock:
                cached = self._found.get(rate_id)
            if cached is None:
                cached = StripeTaxRate.model_validate(stripe.retrieve("tax_rate", rate_id))
                with self._lock:
                    self._found[rate_id] = cached
            out[rate_id] = cached
        return out
