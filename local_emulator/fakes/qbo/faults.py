"""Fault injection for the fake QBO: seeded, probabilities settable at runtime, forcible."""

from __future__ import annotations

import random
import threading
from collections.abc import Mapping
from dataclasses import dataclass, fields

KNOBS = ("qbo_429", "qbo_5xx", "qbo_drop_response", "qbo_timeout")
# Not a probability: whether a repeated requestid replays the original answer. Intuit documents
# the replay (blogs.intuit.com, "Request ID update", 2015) but not how long ids are kept, nor what
# two identical requests in flight at once get; "off" proves the sync needs neither.
REQUEST_ID_KNOB = "qbo_requestid"
SWITCH_VALUES = ("on", "off")
# How a throttle is answered, not whether: the share of throttle answers in the older form,
# HTTP 403 with "statusCode=403" (quickbooks-ruby spec/fixtures/throttle_exceeded_error.xml);
# the rest are HTTP 429 (too_many_requests_error.xml). Both carry an XML body.
FORM_KNOBS = ("qbo_throttle_403",)


@dataclass
class FaultConfig:
    """Probabilities (0..1) per API request; knob names match the ``--faults`` spec keys."""

    qbo_429: float = 0.0
    qbo_5xx: float = 0.0
    qbo_drop_response: float = 0.0
    qbo_timeout: float = 0.0
    qbo_throttle_403: float = 0.0
    timeout_delay_seconds: float = 2.0  # real seconds a qbo_timeout response is held back
    qbo_requestid: str = "on"  # "off": every request runs as new, whatever its requestid

    @classmethod
    def from_spec(cls, spec: str, *, strict: bool = False) -> FaultConfig:
        """Parse ``qbo_429=0.1,qbo_5xx=0.05``; keys of other fakes (``stripe_*``) are skipped."""
        config = cls()
        for raw in spec.split(","):
            item = raw.strip()
            if not item:
                continue
            key, sep, value = item.partition("=")
            key = key.strip()
            if not sep:
                raise ValueError(f"fault spec item without '=': {item!r}")
            if key == REQUEST_ID_KNOB:
                config.switch(value.strip())
            elif key in KNOBS or key in FORM_KNOBS or key == "timeout_delay_seconds":
                config.set(key, float(value))
            elif strict or key.startswith("qbo_"):
                raise ValueError(f"unknown QBO fault knob {key!r}; known: {', '.join(KNOBS)}")
        return config

    @classmethod
    def from_knobs(cls, knobs: Mapping[str, float | str]) -> FaultConfig:
        """From parsed ``--faults`` knobs: probabilities, and ``qbo_requestid`` on or off."""
        config = cls()
        for knob, value in knobs.items():
            if knob == REQUEST_ID_KNOB:
                config.switch(str(value))
            else:
                config.set(knob, float(value))
        return config

    def switch(self, value: str) -> None:
        """``qbo_requestid=on|off``."""
        if value not in SWITCH_VALUES:
            raise ValueError(f"{REQUEST_ID_KNOB} is on or off, got {value!r}")
        self.qbo_requestid = value

    @property
    def replays_request_ids(self) -> bool:
        return self.qbo_requestid == "on"

    def set(self, knob: str, value: float) -> None:
        names = {f.name for f in fields(self)} - {REQUEST_ID_KNOB}
        if knob not in names:
            raise ValueError(f"unknown QBO fault knob {knob!r}")
        if (knob in KNOBS or knob in FORM_KNOBS) and not 0.0 <= value <= 1.0:
            raise ValueError(f"{knob} must be a probability in [0, 1], got {value}")
        setattr(self, knob, float(value))


class FaultInjector:
    """Decides per request whether a fault fires: forced faults first, then the seeded RNG."""

    def __init__(self, config: FaultConfig | None = None, seed: int = 0) -> None:
        self.config = config or FaultConfig()
        self._rng = random.Random(seed)
        self._forced: dict[str, int] = {}
        self._lock = threading.Lock()

    def set(self, knob: str, value: float) -> None:
        with self._lock:
            self.config.set(knob, value)

    def force(self, knob: str, times: int = 1) -> None:
        """Make the next ``times`` API requests hit ``knob`` regardless of probability."""
        if knob not in KNOBS:
            raise ValueError(f"unknown QBO fault knob {knob!r}")
        with self._lock:
            self._forced[knob] = self._forced.get(knob, 0) + times

    def clear(self) -> None:
        with self._lock:
            self._forced.clear()
            for knob in KNOBS:
                setattr(self.config, knob, 0.0)

    def draw(self) -> str | None:
        """The fault for this request, or None. At most one fault per request."""
        with self._lock:
            for knob in KNOBS:
                if self._forced.get(knob, 0) > 0:
                    self._forced[knob] -= 1
                    return knob
            for knob in KNOBS:
                probability: float = getattr(self.config, knob)
                if probability > 0 and self._rng.random() < probability:
                    return knob
            return None

    def throttle_status(self) -> int:
        """403 (the older form) with probability ``qbo_throttle_403``, else 429."""
        with self._lock:
            share = self.config.qbo_throttle_403
            if share <= 0:
                return 429
            return 403 if share >= 1 or self._rng.random() < share else 429

    def choice(self, options: tuple[int, ...]) -> int:
        with self._lock:
            return self._rng.choice(options)
