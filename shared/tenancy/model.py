"""The tenant: one Stripe account bound to one QBO realm, with its own settings and secrets."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from shared.config import Settings
from shared.contracts.models import TENANT_ID_PATTERN
from shared.errors import BadRequestError, NotFoundError

DEFAULT_TENANT = "default"  # the deployment itself: its settings, its secrets, no table row
TenantStatus = Literal["ACTIVE", "DISABLED"]
TENANT_ID = re.compile(TENANT_ID_PATTERN)
STRIPE_ACCOUNT = re.compile(r"^acct_[A-Za-z0-9]{1,64}$")
REALM_ID = re.compile(r"^[0-9]{1,32}$")

# What a tenant may set for itself: its company's books (the books settings: a TOML text of its
# own, or single values; the cutover), how existing books are matched, its secrets' names and
# its QBO throttle budget. Everything else (project, queue, warehouse, URLs) is the deployment's.
_TENANT_SETTING_CANDIDATES = (
    "books",
    "books_toml",
    "cutover_date",
    "customer_match_policy",
    "item_match_policy",
    "customer_stripe_id_field",
    "item_stripe_id_field",
    "stripe_secret_key_name",
    "stripe_webhook_secret_name",
    "qbo_refresh_token_name",
    "qbo_requests_per_minute",
    "qbo_requests_per_second",
    "qbo_max_concurrent",
)
TENANT_SETTING_NAMES = frozenset(
    n for n in _TENANT_SETTING_CANDIDATES if n in Settings.model_fields
)
# The secrets an Intuit app has once, whatever the company: read by every tenant.
APP_SECRET_SETTINGS = ("qbo_client_id_name", "qbo_client_secret_name")
TENANT_SECRET_SETTINGS = (
    "stripe_secret_key_name",
    "stripe_webhook_secret_name",
    "qbo_refresh_token_name",
)


class UnknownTenantError(NotFoundError):
    """No tenant of that id (or no active tenant holds that Stripe account)."""

    default_code = "unknown_tenant"


class TenantDisabledError(NotFoundError):
    """The tenant exists but is disabled: nothing of it is synced."""

    default_code = "tenant_disabled"


def tenant_setting_allowed(name: str) -> bool:
    return name in TENANT_SETTING_NAMES


@dataclass(frozen=True)
class Tenant:
    tenant_id: str
    qbo_realm_id: str
    stripe_account: str = ""  # acct_... (Connect: requests carry Stripe-Account); "": own key
    status: TenantStatus = "ACTIVE"
    settings: Mapping[str, Any] = field(default_factory=dict)
    recorded_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.status == "ACTIVE"

    @property
    def version(self) -> str:
        """Changes whenever the tenant's row does: what per-tenant clients are cached under."""
        stamp = self.recorded_at.isoformat() if self.recorded_at else "-"
        return f"{self.tenant_id}@{stamp}"


def validate_tenant(tenant: Tenant, base: Settings) -> Tenant:
    """The tenant, or BadRequestError naming what is wrong (id, account, realm, a setting)."""
    if not TENANT_ID.match(tenant.tenant_id):
        raise BadRequestError(
            f"tenant id {tenant.tenant_id!r}: 1-40 lower-case letters, digits and dashes",
            code="bad_tenant",
        )
    if tenant.stripe_account and not STRIPE_ACCOUNT.match(tenant.stripe_account):
        raise BadRequestError(
            f"Stripe account {tenant.stripe_account!r} is not an acct_... id", code="bad_tenant"
        )
    if not REALM_ID.match(tenant.qbo_realm_id):
        raise BadRequestError(
            f"QBO realm {tenant.qbo_realm_id!r} is not a realm id (digits)", code="bad_tenant"
        )
    unknown = sorted(name for name in tenant.settings if not tenant_setting_allowed(name))
    if unknown:
        raise BadRequestError(
            f"not settings a tenant may set: {', '.join(unknown)}", code="bad_tenant"
        )
    tenant_settings(base, tenant)  # the values must make valid Settings
    return tenant


def default_secret_names(tenant_id: str, *, connected: bool, base: Settings) -> dict[str, str]:
    """Each tenant's own secrets in Secret Manager: ``tenant-<id>-<name>``. A connected account
    is read with the platform's key (and Stripe-Account), so it has no Stripe key of its own."""
    names = {
        "stripe_webhook_secret_name": f"tenant-{tenant_id}-stripe-webhook-secret",
        "qbo_refresh_token_name": f"tenant-{tenant_id}-qbo-refresh-token",
    }
    names["stripe_secret_key_name"] = (
        base.stripe_secret_key_name if connected else f"tenant-{tenant_id}-stripe-secret-key"
    )
    return names


def tenant_queue_name(base: Settings, tenant_id: str) -> str:
    return f"{base.tasks_queue_name}-{tenant_id}"


def tenant_settings(base: Settings, tenant: Tenant) -> Settings:
    """The deployment's Settings with the tenant's realm, account, secret names and its own
    settings over them. The default tenant is the deployment itself (base, unchanged)."""
    if tenant.tenant_id == DEFAULT_TENANT and not tenant.settings:
        return base
    values = base.model_dump()
    if tenant.tenant_id != DEFAULT_TENANT:
        values.update(
            default_secret_names(tenant.tenant_id, connected=bool(tenant.stripe_account), base=base)
        )
        # Its own Cloud Tasks queue, paced like the deployment's at one realm's QBO limits.
        values["tasks_queue_name"] = tenant_queue_name(base, tenant.tenant_id)
    if "books_toml" in tenant.settings or "books" in tenant.settings:
        # A company's own books settings stand alone: the deployment's file does not apply.
        values.pop("books", None)
        values.update(books_file=None, books_toml="")
    values.update(tenant.settings)
    values.update(
        tenant_id=tenant.tenant_id,
        qbo_realm_id=tenant.qbo_realm_id,
        stripe_account=tenant.stripe_account,
    )
    try:
        return Settings.model_validate(values)
    except ValueError as invalid:
        raise BadRequestError(
            f"tenant {tenant.tenant_id}: settings do not validate: {invalid}", code="bad_tenant"
        ) from None


def tenant_secret_names(settings: Settings) -> frozenset[str]:
    """Every secret a tenant's functions may read: its own and the Intuit app's."""
    return frozenset(
        str(getattr(settings, name)) for name in (*TENANT_SECRET_SETTINGS, *APP_SECRET_SETTINGS)
    )


def default_tenant(base: Settings) -> Tenant:
    return Tenant(tenant_id=DEFAULT_TENANT, qbo_realm_id=base.qbo_realm_id)
