"""Crash injection at the ports: a worker that dies at a chosen (or random) QBO call.

Production code has no crash hooks. These wrappers stand in for the QboGateway, the Warehouse
and the LeaseStore (``bootstrap.override``) and raise :class:`SimulatedCrash` at a call: *before*
it (the request never left) or *after* it (QBO did the work, the answer died with the process).
Once a thread has crashed, the warehouse refuses its appends and the lease store ignores its
release, so nothing a dead process could not have done happens in ``finally`` blocks on the way
out: a dead worker's lease is never given back, it expires.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

CRASHING_CALLS = frozenset({"create", "update", "void", "delete", "attach", "query", "read"})


class SimulatedCrash(Exception):  # noqa: N818 - it is the event, not an error of ours
    """The worker process dies here. An Exception (not BaseException) so the function host
    answers 500, as Cloud Run does when an instance dies mid-request, and the queue retries."""


class HardCrash(BaseException):
    """A crash no ``except Exception`` can catch: for use-case tests without the HTTP layer."""


_thread = threading.local()


def crashed_in_this_thread() -> bool:
    return bool(getattr(_thread, "dead", False))


def revive_this_thread() -> None:
    _thread.dead = False


class CrashPlan:
    """When to crash: at given call numbers, or at random with ``probability`` per call."""

    def __init__(
        self,
        at: Mapping[int, str] | None = None,
        *,
        probability: float = 0.0,
        seed: int = 0,
        error: type[BaseException] = SimulatedCrash,
    ) -> None:
        self._at = dict(at or {})
        self.probability = probability
        self._rng = random.Random(f"crash-{seed}")
        self._error = error
        self.calls = 0
        self.crashes: Counter[str] = Counter()  # "before" / "after"
        self._lock = threading.Lock()

    def draw(self) -> str | None:
        with self._lock:
            self.calls += 1
            when = self._at.pop(self.calls, None)
            if when is None and self.probability and self._rng.random() < self.probability:
                when = self._rng.choice(("before", "after"))
            return when

    def crash(self, when: str) -> None:
        with self._lock:
            self.crashes[when] += 1
        _thread.dead = True
        raise self._error(f"simulated crash {when} a call")


class CrashingQbo:
    """A QboGateway whose calls may kill the calling worker; everything else passes through."""

    def __init__(self, inner: Any, plan: CrashPlan) -> None:
        self._inner = inner
        self.plan = plan

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._inner, name)
        if name not in CRASHING_CALLS or not callable(target):
            return target
        return self._wrap(target)

    def _wrap(self, call: Callable[..., Any]) -> Callable[..., Any]:
        def crashing(*args: Any, **kwargs: Any) -> Any:
            if crashed_in_this_thread():
                self.plan.crash("before")
            when = self.plan.draw()
            if when == "before":
                self.plan.crash(when)
            result = call(*args, **kwargs)
            if when == "after":
                self.plan.crash(when)
            return result

        return crashing


class DeadThreadWarehouse:
    """A Warehouse that refuses appends from a thread whose process has 'died'."""

    def __init__(self, inner: Any, error: type[BaseException] = SimulatedCrash) -> None:
        self._inner = inner
        self._error = error

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._inner.query(sql, params)
        return result

    def append(
        self, table: str, rows: Sequence[Mapping[str, Any]], row_ids: Sequence[str] | None = None
    ) -> None:
        if crashed_in_this_thread():
            raise self._error("the process died before this append")
        self._inner.append(table, rows, row_ids)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class DeadThreadLeases:
    """A LeaseStore whose leases a 'dead' thread cannot give back: they run out instead, as a
    crashed worker's lease does in Firestore (its TTL), and the next holder heals first."""

    def __init__(self, inner: Any, error: type[BaseException] = SimulatedCrash) -> None:
        self._inner = inner
        self._error = error
        self.kept = 0  # leases a dead thread held on to

    def acquire(self, key: str, holder: str, ttl: Any) -> Any:
        if crashed_in_this_thread():
            raise self._error("the process died before this lease")
        return self._inner.acquire(key, holder, ttl)

    def release(self, lease: Any, *, settled: bool = True) -> None:
        if crashed_in_this_thread():
            self.kept += 1
            return
        self._inner.release(lease, settled=settled)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)
