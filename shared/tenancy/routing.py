"""Which tenant a webhook delivery belongs to.

Stripe tells the deliveries apart two ways, and both are used:
- the platform's endpoint (``/stripe_webhook``) receives the platform's own events (no
  ``account``: the default tenant) and, for a Connect endpoint, its connected accounts' events,
  each carrying ``account``: the tenant holding that account;
- a tenant's own endpoint (``/stripe_webhook/<tenant_id>``), for an account that is not
  connected to the platform, is verified with that tenant's own signing secret; an event there
  naming another account is refused.
An event of an account no tenant holds, or of a disabled tenant, is archived (under the tenant,
or ``unrouted``) and not synced: nothing is lost, nothing reaches a realm it does not belong to.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from shared.errors import BadRequestError
from shared.ports import SecretStore, TaskQueue, Warehouse
from shared.tenancy.model import DEFAULT_TENANT, Tenant, UnknownTenantError
from shared.tenancy.store import TenantDirectory

UNROUTED = "unrouted"  # archive rows of an account no tenant holds
RESERVED_TENANT_IDS = frozenset({DEFAULT_TENANT, UNROUTED})


@dataclass(frozen=True)
class TenantIngest:
    """What the webhook uses of one tenant."""

    tenant_id: str
    secrets: SecretStore
    webhook_secret_name: str
    warehouse: Warehouse
    queue: TaskQueue
    sync: bool = True  # False: archive only (disabled tenant, unrouted account)


class TenantWebhookRoutes:
    """``ingest_of(tenant_id)`` builds a tenant's TenantIngest (the composition root's)."""

    def __init__(
        self, directory: TenantDirectory, ingest_of: Callable[[str], TenantIngest]
    ) -> None:
        self._directory = directory
        self._ingest_of = ingest_of

    def endpoint(self, endpoint: str | None) -> TenantIngest:
        """Whose secret verifies a delivery to this endpoint (None: the platform's)."""
        if not endpoint:
            return self._ingest_of(DEFAULT_TENANT)
        try:
            tenant = self._directory.get(endpoint)
        except UnknownTenantError:
            raise BadRequestError(
                f"no tenant endpoint {endpoint!r}", code="unknown_tenant"
            ) from None
        return self._ingest_of(tenant.tenant_id)

    def destination(self, endpoint: str | None, account: str | None) -> TenantIngest:
        """Where a verified event goes: its tenant's archive and queue."""
        tenant: Tenant | None
        if endpoint:
            tenant = self._directory.get(endpoint)
            if account and account != tenant.stripe_account:
                raise BadRequestError(
                    f"an event of {account} at tenant {tenant.tenant_id}'s endpoint",
                    code="wrong_account",
                )
        elif account:
            tenant = self._directory.by_account(account)
            if tenant is None:
                return _archive_only(self._ingest_of(UNROUTED))
        else:
            return self._ingest_of(DEFAULT_TENANT)
        ingest = self._ingest_of(tenant.tenant_id)
        return ingest if tenant.active else _archive_only(ingest)


def _archive_only(ingest: TenantIngest) -> TenantIngest:
    return TenantIngest(
        ingest.tenant_id,
        ingest.secrets,
        ingest.webhook_secret_name,
        ingest.warehouse,
        ingest.queue,
        sync=False,
    )
