"""One Settings object, read from the environment on first use and never at import."""

from __future__ import annotations

import re
import tomllib
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.books_settings import BooksSettings, deep_merge

# The Stripe API version this code reads and writes (Stripe renders every object in the version
# a request names). Pinned here, not taken from the stripe library, so that upgrading the library
# never changes the shapes we read; tests/unit/test_stripe_api_version.py fails on a library
# whose own pinned version differs, which makes the upgrade a deliberate change of this line.
STRIPE_API_VERSION = "2026-10-28.endive"
_API_VERSION = re.compile(r"^\d{4}-\d{2}-\d{2}\.[a-z]+$")


class Settings(BaseSettings):
    """Every setting has a local default; production values come from Terraform's environment.

    Environment variables are the field names upper-cased with the ``SYNC_`` prefix, e.g.
    ``SYNC_WAREHOUSE=bigquery``. Secrets are never settings: settings hold secret *names*.
    """

    model_config = SettingsConfigDict(
        env_prefix="SYNC_", env_nested_delimiter="__", extra="ignore", frozen=True
    )

    # --- where we run -------------------------------------------------------------------------
    gcp_project: str = "local-project"
    gcp_location: str = "us-central1"
    state_dir: Path = Path(".local")

    # --- tenant (issue 14) ----------------------------------------------------------------------
    # The deployment's own settings are the default tenant's; other tenants are rows of the
    # tenants table, whose Settings are these with their realm, account and overrides on top
    # (shared/tenancy/model.py). Not set in the environment.
    tenant_id: str = "default"
    stripe_account: str = ""  # acct_...: every Stripe request carries Stripe-Account (Connect)
    tenant_cache_seconds: float = 60.0  # how soon `tenants add|disable` reaches warm instances

    # --- warehouse ------------------------------------------------------------------------------
    warehouse: Literal["duckdb", "bigquery"] = "duckdb"
    duckdb_path: Path | None = None  # default: <state_dir>/warehouse.duckdb; ":memory:" allowed
    bq_dataset: str = "stripe_qbo_sync"
    bq_location: str = "US"

    # --- task queue -----------------------------------------------------------------------------
    task_queue: Literal["local", "cloud_tasks"] = "local"
    tasks_queue_name: str = "qbo-sync"
    worker_url: str = "http://127.0.0.1:8080/sync_worker"
    tasks_service_account: str = ""  # OIDC identity Cloud Tasks signs the worker call with
    tasks_audience: str = ""  # OIDC audience; empty: the worker URL
    # Target URL -> the invoker account its tasks are signed as (each private function accepts
    # only its own); a URL not listed: tasks_service_account. Env: JSON.
    task_invokers: dict[str, str] = Field(default_factory=dict)
    task_max_attempts: int = 20
    # Cloud Tasks gives a task up only when it has had max_attempts *and* this long since its
    # first attempt: 3 days, as Stripe retries webhooks. An outage of hours needs nobody.
    task_max_retry_seconds: float = 259_200.0
    task_min_backoff_seconds: float = 1.0
    task_max_backoff_seconds: float = 600.0
    task_max_doublings: int = 8
    task_dispatch_deadline_seconds: float = 300.0
    # Events of one object within this many seconds share one sync task, run when the window
    # closes (shared/services/ingest_event.py); 0: one task per event.
    task_coalesce_seconds: int = 5

    # --- leases (one writer per Stripe object family) -----------------------------------------
    lease_store: Literal["memory", "firestore"] = "memory"
    lease_collection: str = "sync_leases"
    firestore_database: str = "(default)"
    # Longer than a worker request may run (the dispatch deadline): a live holder never loses it.
    lease_ttl_seconds: float = 360.0
    # A family given back this recently may have links not yet visible: look in QBO first.
    lease_settle_seconds: float = 60.0

    # --- secrets --------------------------------------------------------------------------------
    secrets: Literal["local", "secret_manager"] = "local"
    local_secrets_path: Path | None = None  # default: <state_dir>/secrets.json
    # Two Stripe keys (restricted keys in production): the read key of the functions that only
    # read Stripe, and the invoicing key of settlement_poll, the one function that writes there.
    stripe_secret_key_name: str = "stripe-secret-key"
    stripe_invoicing_key_name: str = "stripe-invoicing-key"
    stripe_webhook_secret_name: str = "stripe-webhook-secret"
    qbo_client_id_name: str = "qbo-client-id"
    qbo_client_secret_name: str = "qbo-client-secret"
    qbo_refresh_token_name: str = "qbo-refresh-token"
    # How long an instance keeps a secret it read: a roll reaches warm instances within this.
    secret_cache_seconds: float = 300.0

    # --- Stripe ---------------------------------------------------------------------------------
    stripe_api_base: str = "http://127.0.0.1:12111"
    stripe_api_version: str = STRIPE_API_VERSION  # sent as Stripe-Version on every request
    webhook_tolerance_seconds: int = 300
    webhook_max_body_bytes: int = 1_048_576

    # --- QuickBooks Online ----------------------------------------------------------------------
    qbo_base_url: str = "http://127.0.0.1:12112/v3"
    qbo_discovery_url: str = "http://127.0.0.1:12112/.well-known/openid_configuration"
    qbo_realm_id: str = "9130350000000001"
    qbo_minor_version: int = 75
    qbo_requests_per_minute: int = 500
    qbo_requests_per_second: int = 10
    qbo_max_concurrent: int = 10
    qbo_timeout_seconds: float = 60.0
    # Local runs speed QBO's per-minute limits up on both sides (fake and our limiter); 1 in prod.
    qbo_time_scale: float = 1.0
    # QBO batches (backfills): Intuit allows 40 batch requests per minute per realm and app
    # (120 per realm for all apps together since 2025-10-31) and recommends at most 30 payloads.
    # "items": pace as if each payload counted against the 500 requests per minute (the stricter
    # reading of Intuit's text, see shared/adapters/qbo_batch.py); "request": once per batch.
    qbo_batch_requests_per_minute: int = 40
    qbo_batch_size: int = 30
    qbo_batch_counting: Literal["items", "request"] = "items"

    # --- books ----------------------------------------------------------------------------------
    # Accounts, items, the tax mapping, the product mapping and the time zone: one nested model
    # with its own defaults (shared/books_settings.py), from a TOML file (books_file, or its text
    # in books_toml, as Terraform passes it) under any SYNC_BOOKS__<SECTION>__<KEY> variables.
    books: BooksSettings = Field(default_factory=BooksSettings)
    books_file: Path | None = None
    books_toml: str = Field(default="", repr=False)

    # Cutover: activity before this date is not posted document by document; opening balances
    # (open invoices per customer and currency, and what Stripe holds per clearing account as
    # of the cutover) start the books instead. Empty: everything is posted in full. It is a
    # books setting (books.cutover_date, or cutover_date in the books file); SYNC_CUTOVER_DATE
    # sets it there.
    cutover_date: date | None = None

    # --- existing books -------------------------------------------------------------------------
    # How a Stripe customer or product meets a QBO customer or item that exists already, tried in
    # order: stripe_id (the Stripe id written in the field named below), email, name (exact). One
    # candidate adopts it; several are FAILED with their QBO ids; none creates a new one.
    customer_match_policy: str = "stripe_id,email,name"
    item_match_policy: str = "stripe_id,name"
    customer_stripe_id_field: str = "Notes"  # or CompanyName, AlternatePhone, Fax, WebAddr...
    item_stripe_id_field: str = "Description"  # or Sku

    # --- backfill -------------------------------------------------------------------------------
    backfill_url: str = "http://127.0.0.1:8080/backfill"  # where a backfill continues itself
    backfill_concurrency: int = 48  # objects synced at once by one backfill instance
    backfill_page_size: int = 100  # objects per Stripe list page (Stripe's maximum)
    backfill_slice_seconds: float = 480.0  # a function call works this long, then continues

    # --- settlements (success-fee invoices) -----------------------------------------------------
    # Tax jurisdiction of a settlement -> rate on (fee - credits); a jurisdiction not listed here
    # makes the settlement FAILED. Env: SYNC_TAX_RATES='{"US-CA": "0.0725", ...}'.
    tax_rates: dict[str, Decimal] = Field(
        default_factory=lambda: {
            "US-CA": Decimal("0.0725"),
            "US-NY": Decimal("0.08875"),
            "US-TX": Decimal("0.0625"),
            "GB": Decimal("0.20"),
            "DE": Decimal("0.19"),
            "JP": Decimal("0.10"),
            "NONE": Decimal("0"),
        }
    )

    # --- private endpoints ----------------------------------------------------------------------
    auth_mode: Literal["local", "oidc"] = "local"
    local_auth_token: str = Field(default="local-dev-token", repr=False)
    oidc_audience: str = ""
    oidc_allowed_service_accounts: str = ""  # comma-separated emails

    # --- health (alerts) ------------------------------------------------------------------------
    # A sync pending this long counts as lagging in the sync_health log line; Terraform sets it
    # from the same variable as the lag alert's threshold.
    health_lag_minutes: int = 10

    log_level: str = "INFO"

    @field_validator("stripe_api_version")
    @classmethod
    def _api_version_named(cls, value: str) -> str:
        if not _API_VERSION.match(value):
            raise ValueError(
                f"stripe_api_version must be a dated Stripe version such as {STRIPE_API_VERSION}"
            )
        return value

    @model_validator(mode="before")
    @classmethod
    def _books_file(cls, data: Any) -> Any:
        """The books file's settings, with SYNC_BOOKS__... variables on top of them."""
        if not isinstance(data, dict):
            return data
        return _with_cutover(cls._books_from_file(data))

    @classmethod
    def _books_from_file(cls, data: dict[str, Any]) -> dict[str, Any]:
        path, text = data.get("books_file"), data.get("books_toml")
        if path and text:
            raise ValueError("set books_file or books_toml, not both")
        if path:
            try:
                text = Path(path).read_text(encoding="utf-8")
            except OSError as error:
                raise ValueError(f"books_file {path}: {error.strerror or error}") from None
        if not text:
            return data
        try:
            parsed = tomllib.loads(str(text))
        except tomllib.TOMLDecodeError as error:
            raise ValueError(f"books file {path or '(books_toml)'}: {error}") from None
        given = data.get("books")
        if isinstance(given, BooksSettings):
            return data  # a model passed in whole wins
        return {**data, "books": deep_merge(parsed, given or {})}

    @property
    def resolved_duckdb_path(self) -> str:
        if self.duckdb_path is None:
            return str(self.state_dir / "warehouse.duckdb")
        return str(self.duckdb_path)

    @property
    def resolved_local_secrets_path(self) -> Path:
        return self.local_secrets_path or self.state_dir / "secrets.json"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide Settings, built on first call."""
    return Settings()


def reset_settings() -> None:
    """Forget the cached Settings (tests and the local host change the environment)."""
    get_settings.cache_clear()


def _with_cutover(data: dict[str, Any]) -> dict[str, Any]:
    """SYNC_CUTOVER_DATE into the books settings (a date in the books file stays when unset)."""
    cutover = data.get("cutover_date")
    if not cutover:
        return data
    books = data.get("books")
    if isinstance(books, BooksSettings):
        return {**data, "books": books.model_copy(update={"cutover_date": cutover})}
    return {**data, "books": {**(books or {}), "cutover_date": cutover}}
