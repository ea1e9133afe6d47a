"""The QBO company as the sync reads it on start: its Preferences and CompanyInfo (home
currency, tax model, tracking), and, where tax codes matter, its tax setup. Read lazily on
first use, kept for ``ttl`` and read again after it (so a code an accountant just added is
found), and once more on demand before a tax mapping gap is reported."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from shared.domain.company import Company, company_from_qbo
from shared.domain.tax_book import TaxBook, tax_book_from_qbo
from shared.ports import Clock, QboGateway

DEFAULT_TTL = timedelta(minutes=10)


class CompanyReader:
    """Per instance (and, with tenants, per realm); thread-safe. Without a clock, what it read
    once is kept for the life of the instance (``tax_book(fresh=True)`` still reads again)."""

    def __init__(
        self, qbo: QboGateway, clock: Clock | None = None, ttl: timedelta = DEFAULT_TTL
    ) -> None:
        self._qbo = qbo
        self._clock = clock
        self._ttl = ttl
        self._lock = threading.RLock()
        self._company: tuple[Company, datetime] | None = None
        self._book: tuple[TaxBook, datetime] | None = None

    def _now(self) -> datetime:
        return self._clock.now() if self._clock is not None else datetime.min.replace(tzinfo=UTC)

    def _stale(self, read_at: datetime) -> bool:
        return self._clock is not None and self._clock.now() - read_at >= self._ttl

    def company(self) -> Company:
        with self._lock:
            if self._company is None or self._stale(self._company[1]):
                rows = self._qbo.query("select * from CompanyInfo")
                found = company_from_qbo(self._qbo.preferences(), rows[0] if rows else {})
                self._company = (found, self._now())
            return self._company[0]

    def home_currency(self) -> str:
        return self.company().home_currency

    def tax_book(self, *, fresh: bool = False) -> TaxBook:
        """Codes, rates and agencies; ``fresh`` reads them again now."""
        with self._lock:
            if fresh or self._book is None or self._stale(self._book[1]):
                book = tax_book_from_qbo(
                    self._qbo.query("select * from TaxCode"),
                    self._qbo.query("select * from TaxRate"),
                    self._qbo.query("select * from TaxAgency"),
                )
                self._book = (book, self._now())
            return self._book[0]
