"""The whole local system in one process: fake Stripe, fake QBO, the functions, the queue."""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from local_emulator.fakes.qbo.engine import DEFAULT_REALM, FakeQbo
from local_emulator.fakes.qbo.faults import FaultConfig
from local_emulator.fakes.qbo.server import FakeQboServer
from local_emulator.fakes.stripe.server import FakeStripeServer
from local_emulator.fakes.stripe.state import FakeStripe
from local_emulator.fakes.stripe.webhooks import WebhookDeliverer
from local_emulator.harness.host import FunctionHost
from local_emulator.harness.scenario import FaultSpec
from shared import bootstrap
from shared.adapters.clock import FastForwardClock
from shared.adapters.local_tasks import LocalTaskQueue
from shared.config import reset_settings
from shared.logging import JsonFormatter, get_logger
from shared.ports import Warehouse
from shared.tenancy.model import Tenant

STRIPE_KEY = "sk_test_local_fake_key"
WEBHOOK_SECRET = "whsec_local_fake_secret"
QBO_CLIENT_ID = "local-client-id"
QBO_CLIENT_SECRET = "local-client-secret"


def tenant_id_for(account: str) -> str:
    """The local stack's tenant id of a connected account: ``acct_1Ab`` -> ``acct-1ab``."""
    return account.lower().replace("_", "-")[:40]


# QBO's limits run this many times faster locally, on both sides, so a run of thousands of
# requests takes seconds while the fake still enforces the real per-minute ceilings.
TIME_SCALE = 60.0
# Books files of the fake companies (the tax codes for untaxed lines each one needs).
PROFILES_DIR = Path(__file__).resolve().parent.parent / "profiles"


@dataclass
class LocalStack:
    """Start with ``with LocalStack(state_dir) as stack:``; everything stops and the environment
    is restored on exit."""

    state_dir: Path
    seed: int = 0
    faults: FaultSpec = field(default_factory=lambda: FaultSpec({}, {}, {}))
    time_scale: float = TIME_SCALE
    qbo_profile: str = "us"  # the fake QBO company's reference data (fakes/qbo/company)
    # The books file (SYNC_BOOKS_FILE); None: the profile's own in local_emulator/profiles/, if any
    books_file: Path | None = None
    fresh: bool = True
    clock: FastForwardClock = field(default_factory=FastForwardClock)
    # Tenants: connected Stripe account (acct_...) -> QBO realm. Each account is a fake Stripe
    # account of its own behind the platform's (Stripe-Account), each realm a fake QBO company
    # of its own on the one fake QBO server; each pair a tenants row (``tenant_id_for``).
    tenants: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.fake_stripe = self._stripe_account(self.seed)
        self.fake_qbo = self._qbo_company(DEFAULT_REALM, self.seed)
        self.stripe_accounts = {
            account: self._stripe_account(self.seed + index)
            for index, account in enumerate(self.tenants, start=1)
        }
        self.qbo_companies = {
            realm: self._qbo_company(realm, self.seed + index)
            for index, realm in enumerate(self.tenants.values(), start=1)
        }
        self.stripe_server = FakeStripeServer(self.fake_stripe, accounts=self.stripe_accounts)
        self.qbo_server = FakeQboServer(self.fake_qbo, others=list(self.qbo_companies.values()))
        self.host = FunctionHost()
        self._saved_env: dict[str, str | None] = {}
        self._log_handlers: list[logging.Handler] = []

    def _stripe_account(self, seed: int) -> FakeStripe:
        fake = FakeStripe(STRIPE_KEY, WEBHOOK_SECRET, seed=seed)
        fake.set_faults(
            stripe_429=self.faults.stripe.get("stripe_429"),
            stripe_5xx=self.faults.stripe.get("stripe_5xx"),
        )
        return fake

    def _qbo_company(self, realm: str, seed: int) -> FakeQbo:
        return FakeQbo(
            realm,
            clock=self.clock,
            faults=FaultConfig.from_knobs(self.faults.qbo),
            seed=seed,
            time_scale=self.time_scale,
            profile=self.qbo_profile,
        )

    def stripe_for(self, account: str | None) -> FakeStripe:
        """The fake Stripe account: the platform's (None), or a connected one."""
        return self.fake_stripe if not account else self.stripe_accounts[account]

    def qbo_for(self, realm: str) -> FakeQbo:
        return self.fake_qbo if realm == self.fake_qbo.realm_id else self.qbo_companies[realm]

    def _environment(self) -> dict[str, str]:
        return {
            "SYNC_STATE_DIR": str(self.state_dir),
            "SYNC_WAREHOUSE": "duckdb",
            "SYNC_TASK_QUEUE": "local",
            "SYNC_SECRETS": "local",
            "SYNC_AUTH_MODE": "local",
            "SYNC_DUCKDB_PATH": str(self.state_dir / "warehouse.duckdb"),
            "SYNC_STRIPE_API_BASE": self.stripe_server.base_url,
            "SYNC_QBO_BASE_URL": self.qbo_server.base_url,
            "SYNC_QBO_DISCOVERY_URL": self.qbo_server.discovery_url,
            "SYNC_QBO_REALM_ID": self.fake_qbo.realm_id,
            "SYNC_QBO_TIME_SCALE": str(self.time_scale),
            "SYNC_WORKER_URL": self.host.url_for("sync_worker"),
            **({"SYNC_BOOKS_FILE": str(books)} if (books := self.books()) else {}),
        }

    def books(self) -> Path | None:
        """The books file the functions read: the one given, else the profile's own."""
        if self.books_file is not None:
            return self.books_file
        default = PROFILES_DIR / f"{self.qbo_profile}.books.toml"
        return default if default.exists() else None

    def start(self) -> LocalStack:
        if self.fresh and self.state_dir.exists():
            shutil.rmtree(self.state_dir)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.stripe_server.start()
        self.qbo_server.start()
        self.host.start()
        refresh_token = self.fake_qbo.register_client(QBO_CLIENT_ID, QBO_CLIENT_SECRET)
        secrets: dict[str, str] = {
            "stripe-secret-key": STRIPE_KEY,
            "stripe-invoicing-key": STRIPE_KEY,
            "stripe-webhook-secret": WEBHOOK_SECRET,
            "qbo-client-id": QBO_CLIENT_ID,
            "qbo-client-secret": QBO_CLIENT_SECRET,
            "qbo-refresh-token": refresh_token,
        }
        for account, realm in self.tenants.items():  # each company its own grant
            token = self.qbo_companies[realm].register_client(QBO_CLIENT_ID, QBO_CLIENT_SECRET)
            secrets[f"tenant-{tenant_id_for(account)}-qbo-refresh-token"] = token
        (self.state_dir / "secrets.json").write_text(json.dumps(secrets, indent=2))
        for name, value in self._environment().items():
            self._saved_env[name] = os.environ.get(name)
            os.environ[name] = value
        reset_settings()
        bootstrap.reset()
        bootstrap.override(clock=self.clock)
        for account, realm in self.tenants.items():
            tenant = Tenant(tenant_id_for(account), qbo_realm_id=realm, stripe_account=account)
            bootstrap.tenant_store().put(tenant, recorded_by="local-stack")
        self._send_logs_to(self.state_dir / "functions.log")
        return self

    def _send_logs_to(self, path: Path) -> None:
        """The functions' JSON logs go to a file, as Cloud Logging would take them, not the tty."""
        get_logger("stack")  # configures the "sync" logger if nothing has yet
        logger = logging.getLogger("sync")
        self._log_handlers = list(logger.handlers)
        handler = logging.FileHandler(path, encoding="utf-8")
        handler.setFormatter(JsonFormatter())
        logger.handlers = [handler]

    def _restore_logs(self) -> None:
        logger = logging.getLogger("sync")
        for handler in logger.handlers:
            handler.close()
        logger.handlers = self._log_handlers

    def stop(self) -> None:
        queue = self.queue
        self._restore_logs()
        bootstrap.reset()
        for name, value in self._saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        reset_settings()
        self.host.stop()
        self.qbo_server.stop()
        self.stripe_server.stop()
        close = getattr(queue, "close", None)
        if callable(close):
            close()

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def queue(self) -> LocalTaskQueue:
        return cast(LocalTaskQueue, bootstrap.raw_task_queue())

    @property
    def warehouse(self) -> Warehouse:
        return bootstrap.warehouse()

    @property
    def raw_warehouse(self) -> Warehouse:
        """Every tenant's rows (``warehouse``: the default tenant's)."""
        return bootstrap.raw_warehouse()

    def deliverer(self) -> WebhookDeliverer:
        return WebhookDeliverer(
            self.fake_stripe,
            self.host.url_for("stripe_webhook"),
            duplicate=self.faults.delivery.get("duplicate", 0.0),
            out_of_order=self.faults.delivery.get("out_of_order", 0.0),
            seed=self.seed,
        )
