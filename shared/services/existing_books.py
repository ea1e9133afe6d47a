"""Existing books: the QBO customers and items a company had before the sync, matched to Stripe
customers and products by a configurable policy before anything new is created.

Criteria, tried in the policy's order: ``stripe_id`` (the Stripe id written in a configured
field, e.g. by another connector), ``email`` (customers: PrimaryEmailAddr), ``name`` (exact:
DisplayName, or an item's Name). One candidate is adopted; several are an AmbiguousMatchError
(FAILED, naming their QBO ids, never a guess); none moves on to the next criterion. An entry that
carries our marker was written by the sync and is never a candidate (a lost link is healed by
lookup instead), nor is an inactive one, nor a customer in another currency.

The directory is read once per instance (every page) and kept current through change data
capture, at most every ``refresh_seconds`` and only when a match is asked for.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from shared.errors import PermanentError
from shared.ports import Clock, JsonDict, QboGateway
from shared.services.company import CompanyReader

Criterion = Literal["stripe_id", "email", "name"]
CRITERIA: tuple[Criterion, ...] = ("stripe_id", "email", "name")
ITEM_CRITERIA: tuple[Criterion, ...] = ("stripe_id", "name")
MARKER = re.compile(r"Stripe (customer|product) ([A-Za-z0-9_]+)")
CDC_LIMIT = 1000  # QBO's change data capture answers at most this many per type
REFRESH_SECONDS = 30.0
CDC_LOOKBACK = timedelta(days=30)


class AmbiguousMatchError(PermanentError):
    """Several existing QBO entries fit one Stripe object: a person must choose."""

    default_code = "ambiguous_match"


def policy_from_text(text: str, allowed: tuple[Criterion, ...]) -> tuple[Criterion, ...]:
    """``"stripe_id,email,name"`` -> the criteria in order; an unknown one is a ValueError."""
    chosen: list[Criterion] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        if part not in allowed:
            raise ValueError(f"match criterion {part!r}: choose from {', '.join(allowed)}")
        chosen.append(part)
    return tuple(chosen)


@dataclass(frozen=True)
class MatchPolicy:
    customer: tuple[Criterion, ...] = CRITERIA
    item: tuple[Criterion, ...] = ITEM_CRITERIA
    customer_field: str = "Notes"
    item_field: str = "Description"


@dataclass(frozen=True)
class Wanted:
    """What a Stripe object offers to the criteria."""

    stripe_id: str
    email: str | None = None
    name: str | None = None
    currency: str | None = None  # customers: upper-case ISO code of the QBO customer wanted


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _email(doc: JsonDict) -> str:
    address = doc.get("PrimaryEmailAddr")
    return _text(address.get("Address")).casefold() if isinstance(address, dict) else ""


class _Directory:
    """One entity type's entries, by Id, with lookups by criterion."""

    def __init__(self, entity: str, name_field: str, id_field: str) -> None:
        self.entity = entity
        self.name_field = name_field
        self.id_field = id_field
        self.entries: dict[str, JsonDict] = {}

    def put(self, doc: JsonDict) -> None:
        entry_id = str(doc.get("Id") or "")
        if not entry_id:
            return
        if doc.get("status") == "Deleted" or doc.get("Active") is False:
            self.entries.pop(entry_id, None)
        else:
            self.entries[entry_id] = doc

    def candidates(self, criterion: Criterion, wanted: Wanted, home: str) -> list[JsonDict]:
        test = self._test(criterion, wanted)
        if test is None:
            return []
        found = []
        for doc in self.entries.values():
            if self._ours(doc):
                continue  # written by the sync: a lost link is healed by lookup, not matched
            if wanted.currency is not None and self._currency(doc, home) != wanted.currency:
                continue
            if test(doc):
                found.append(doc)
        return sorted(found, key=lambda d: int(str(d["Id"])) if str(d["Id"]).isdigit() else 0)

    def _test(self, criterion: Criterion, wanted: Wanted) -> Callable[[JsonDict], bool] | None:
        if criterion == "stripe_id":
            token = re.compile(rf"(?<![A-Za-z0-9_]){re.escape(wanted.stripe_id)}(?![A-Za-z0-9_])")
            return lambda doc: bool(token.search(_text(doc.get(self.id_field))))
        if criterion == "email" and wanted.email:
            email = wanted.email.strip().casefold()
            return lambda doc: _email(doc) == email
        if criterion == "name" and wanted.name:
            name = wanted.name.strip()
            return lambda doc: _text(doc.get(self.name_field)) == name
        return None

    def _ours(self, doc: JsonDict) -> bool:
        return any(MARKER.search(_text(doc.get(f))) for f in ("Notes", "Description"))

    @staticmethod
    def _currency(doc: JsonDict, home: str) -> str:
        ref = doc.get("CurrencyRef")
        value = ref.get("value") if isinstance(ref, dict) else None
        return str(value or home).upper()


class ExistingBooks:
    """Matches Stripe customers and products to what QBO holds already. Thread-safe."""

    def __init__(
        self,
        qbo: QboGateway,
        policy: MatchPolicy,
        clock: Clock,
        *,
        home_currency: Callable[[], str] | None = None,
        refresh_seconds: float = REFRESH_SECONDS,
    ) -> None:
        self._qbo = qbo
        self.policy = policy
        self._clock = clock
        # the company's (``company.CompanyReader.home_currency``), asked when first needed
        self._home = home_currency or CompanyReader(qbo).home_currency
        self._refresh = timedelta(seconds=refresh_seconds)
        self._lock = threading.Lock()
        self._dirs = {
            "Customer": _Directory("Customer", "DisplayName", policy.customer_field),
            "Item": _Directory("Item", "Name", policy.item_field),
        }
        self._loaded: dict[str, datetime] = {}

    def customer(self, wanted: Wanted) -> str | None:
        """The QBO customer to adopt for a Stripe customer, or None to create one."""
        return self._match("Customer", self.policy.customer, wanted)

    def item(self, wanted: Wanted) -> str | None:
        """The QBO item to adopt for a Stripe product, or None to create one."""
        return self._match("Item", self.policy.item, wanted)

    def _match(self, entity: str, criteria: Iterable[Criterion], wanted: Wanted) -> str | None:
        criteria = tuple(criteria)
        if not criteria:
            return None
        with self._lock:
            self._current(entity)
            directory = self._dirs[entity]
            for criterion in criteria:
                found = directory.candidates(criterion, wanted, self._home().upper())
                if len(found) == 1:
                    return str(found[0]["Id"])
                if len(found) > 1:
                    ids = ", ".join(str(doc["Id"]) for doc in found)
                    raise AmbiguousMatchError(
                        f"{entity} for Stripe {wanted.stripe_id}: {len(found)} existing QBO "
                        f"{entity.lower()}s match by {criterion} (Ids {ids}); link one by hand"
                    )
        return None

    def _current(self, entity: str) -> None:
        """Load the directory once; afterwards apply what changed since (CDC)."""
        now = self._clock.now()
        loaded = self._loaded.get(entity)
        if loaded is not None and now - loaded < self._refresh:
            return
        directory = self._dirs[entity]
        # change data capture answers for the last 30 days only (QBO refuses older)
        if loaded is not None and now - loaded < CDC_LOOKBACK - timedelta(hours=1):
            changed = self._qbo.changes_since([entity], loaded - timedelta(seconds=5))
            rows = changed.get(entity, [])
            if len(rows) < CDC_LIMIT:
                for doc in rows:
                    directory.put(doc)
                self._loaded[entity] = now
                return
        directory.entries.clear()
        for doc in self._qbo.query(f"select * from {entity}"):  # noqa: S608 - a constant
            directory.put(doc)
        self._loaded[entity] = now
