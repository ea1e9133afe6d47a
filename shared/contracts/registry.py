"""Every HTTP function with its request body, and every other contract model: the single list
the generated files come from. Adding a function (or its body) is one ``HttpFunction`` line."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from shared.contracts.models import (
    BackfillRequestBody,
    ReconcileRequestBody,
    ReplayRequestBody,
    SyncTaskPayload,
)


@dataclass(frozen=True)
class HttpFunction:
    """One deployed function (``functions/<name>.py``) as the OpenAPI description shows it."""

    name: str
    summary: str
    body: type[BaseModel] | None = None  # None: no JSON body of ours (or none at all)
    private: bool = True  # OIDC token of an allowed service account required
    methods: tuple[str, ...] = ("post",)


FUNCTIONS: tuple[HttpFunction, ...] = (
    HttpFunction("stripe_webhook", "Receive a Stripe event (signed): archive it, enqueue its sync",
                 private=False),
    HttpFunction("sync_worker", "Sync one Stripe object into QBO (a Cloud Tasks target)",
                 SyncTaskPayload),
    HttpFunction("settlement_poll", "Turn completed ledger settlements into Stripe invoices"),
    HttpFunction("reconcile", "Compare Stripe and QBO over a window and record the findings",
                 ReconcileRequestBody, methods=("post", "get")),
    HttpFunction("replay", "Enqueue replays from the event archive or Stripe's events API",
                 ReplayRequestBody),
    HttpFunction("catch_up", "Enqueue events whose delivery failed or that the archive lacks"),
    HttpFunction("backfill", "Backfill a range of Stripe history into QBO, one slice per call",
                 BackfillRequestBody),
    HttpFunction("sync_health", "Measure the sync's health and log it for the alert policies",
                 methods=("post", "get")),
)  # fmt: skip

# Contract models that are no function's body: name -> model.
OTHER_MODELS: dict[str, type[BaseModel]] = {}


def schema_models() -> dict[str, type[BaseModel]]:
    """File stem -> model, for ``schemas/<stem>.schema.json``."""
    models = {f"{f.name}_request": f.body for f in FUNCTIONS if f.body is not None}
    return {**models, **OTHER_MODELS}
