"""Stripe-style ids (``cus_``, ``in_``, ``evt_`` ...), deterministic for a given seed."""

from __future__ import annotations

import random
import string
import threading

_ALPHABET = string.ascii_letters + string.digits
_SHORT = {"cus", "acct", "prod"}  # Stripe's customer and product ids are shorter than most


class IdFactory:
    def __init__(self, seed: int = 0) -> None:
        self._rng = random.Random(f"ids-{seed}")
        self._lock = threading.Lock()

    def token(self, length: int) -> str:
        with self._lock:
            return "".join(self._rng.choice(_ALPHABET) for _ in range(length))

    def new(self, prefix: str) -> str:
        return f"{prefix}_{self.token(14 if prefix in _SHORT else 24)}"

    def invoice_prefix(self) -> str:
        """Eight upper-case hex-like characters, as Stripe gives each customer."""
        with self._lock:
            return "".join(self._rng.choice("0123456789ABCDEF") for _ in range(8))
