"""Backfill: every object Stripe lists in a ``created`` range, synced by the worker's code."""

from shared.contracts.models import BACKFILL_TYPES
from shared.services.backfill.engine import Backfill, BackfillDeps, BackfillProgress
from shared.services.backfill.request import BackfillRequest, backfill_request_from_json

__all__ = [
    "BACKFILL_TYPES",
    "Backfill",
    "BackfillDeps",
    "BackfillProgress",
    "BackfillRequest",
    "backfill_request_from_json",
]
