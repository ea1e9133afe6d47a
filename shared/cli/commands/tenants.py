"""``stripe-qbo-sync tenants add|list|disable``: the companies this deployment keeps books for.

A tenant binds one Stripe account (a connected ``acct_...``, or an account with a key of its own)
to one QBO realm, with its own books settings and secrets. Tenants are rows of the warehouse's
``tenants`` table: adding or disabling one needs no deployment; every function sees the change
within SYNC_TENANT_CACHE_SECONDS. The deployment itself is the tenant ``default``.

  tenants add acme --realm 9130350000000002 --account acct_1Acme [--books acme.toml] [--set ...]
  tenants list [--json]
  tenants disable acme
"""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

from shared.cli import output
from shared.cli.args import existing_file
from shared.cli.command import EXIT_OK, Command, UsageError

ACTIONS = ("add", "list", "disable")


def _setting(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"{text!r}: expected name=value")
    return name.strip(), value.strip()


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=ACTIONS, help="add | list | disable")
    parser.add_argument(
        "tenant_id", nargs="?", metavar="TENANT", help="lower-case letters, digits, dashes"
    )
    parser.add_argument("--realm", help="add: the QBO realm (company) id")
    parser.add_argument(
        "--account", default="", help="add: acct_... of a connected account (Stripe Connect)"
    )
    parser.add_argument(
        "--set",
        dest="settings",
        action="append",
        type=_setting,
        default=[],
        metavar="NAME=VALUE",
        help="add: a per-company setting (cutover_date, match policies, secret names, "
        "qbo_requests_per_minute...); repeat",
    )
    parser.add_argument(
        "--books",
        type=existing_file,
        metavar="FILE.toml",
        help="add: the company's books settings file (accounts, items, tax mapping), kept as text",
    )
    parser.add_argument("--replace", action="store_true", help="add: change a tenant that exists")
    parser.add_argument("--json", action="store_true", help="list: print them as JSON")


def run(args: argparse.Namespace) -> int:
    from shared import bootstrap
    from shared.cli.warehouse import open_warehouse

    if args.action != "list" and not args.tenant_id:
        raise UsageError(f"tenants {args.action} TENANT: name the tenant")
    if args.action == "add" and not args.realm:
        raise UsageError("tenants add TENANT --realm REALM_ID: the QBO company it posts to")
    open_warehouse(None, option=False)  # refuses a local warehouse that does not exist
    directory = bootstrap.tenant_directory()
    directory.refresh()
    if args.action == "list":
        return _list(directory.all(), as_json=args.json)
    if args.action == "add":
        return _add(args, directory.all())
    return _disable(args.tenant_id, directory.all())


def _who() -> str:
    return os.environ.get("SYNC_OPERATOR") or os.environ.get("USER") or "cli"


def _add(args: argparse.Namespace, existing: list[Any]) -> int:
    from shared import bootstrap
    from shared.errors import BadRequestError
    from shared.tenancy.model import Tenant, tenant_settings, validate_tenant
    from shared.tenancy.routing import RESERVED_TENANT_IDS

    if args.tenant_id in RESERVED_TENANT_IDS:
        raise UsageError(f"{args.tenant_id!r} is reserved: the deployment's own settings are it")
    others = [t for t in existing if t.tenant_id != args.tenant_id]
    if not args.replace and len(others) != len(existing):
        raise UsageError(f"tenant {args.tenant_id} exists: --replace changes it")
    tenant = Tenant(
        tenant_id=args.tenant_id,
        qbo_realm_id=args.realm,
        stripe_account=args.account,
        settings=dict(args.settings)
        | ({"books_toml": args.books.read_text(encoding="utf-8")} if args.books else {}),
    )
    base = bootstrap.settings()
    try:
        validate_tenant(tenant, base)
    except BadRequestError as bad:
        raise UsageError(bad.message) from None
    for other in others:  # one realm, one account: books never mix
        if other.qbo_realm_id == tenant.qbo_realm_id:
            raise UsageError(f"realm {tenant.qbo_realm_id} is tenant {other.tenant_id}'s")
        if tenant.stripe_account and other.stripe_account == tenant.stripe_account:
            raise UsageError(f"account {tenant.stripe_account} is tenant {other.tenant_id}'s")
    if tenant.qbo_realm_id == base.qbo_realm_id:
        raise UsageError(f"realm {tenant.qbo_realm_id} is the default tenant's")
    bootstrap.tenant_store().put(tenant, recorded_by=_who())
    s = tenant_settings(base, tenant)
    output.note(f"tenant {tenant.tenant_id}: realm {tenant.qbo_realm_id}, active")
    output.note("its secrets (Secret Manager; README: adding a tenant):")
    for name in sorted({s.qbo_refresh_token_name, s.stripe_webhook_secret_name}):
        output.note(f"  {name}")
    if base.task_queue == "cloud_tasks":
        output.note(
            f"its queue (a copy of the deployment's; README): gcloud tasks queues create "
            f"{s.tasks_queue_name} --location={base.gcp_location} "
            "--max-dispatches-per-second=8 --max-concurrent-dispatches=10"
        )
    if not tenant.stripe_account:
        output.note(f"  {s.stripe_secret_key_name}  (its own Stripe key: not a connected account)")
        output.note(f"its webhook endpoint: <stripe_webhook URL>/{tenant.tenant_id}")
    return EXIT_OK


def _disable(tenant_id: str, existing: list[Any]) -> int:
    import dataclasses

    from shared import bootstrap

    found = next((t for t in existing if t.tenant_id == tenant_id), None)
    if found is None:
        raise UsageError(f"no tenant {tenant_id!r}")
    bootstrap.tenant_store().put(dataclasses.replace(found, status="DISABLED"), recorded_by=_who())
    output.note(f"tenant {tenant_id} disabled: its events are archived, nothing is synced")
    return EXIT_OK


def _list(tenants: list[Any], *, as_json: bool) -> int:
    rows = [
        {
            "tenant": t.tenant_id,
            "stripe_account": t.stripe_account or "(own key)",
            "qbo_realm": t.qbo_realm_id,
            "status": t.status,
            "settings": dict(t.settings),
        }
        for t in tenants
    ]
    if as_json:
        output.out().print_json(json.dumps(rows, default=str))
        return EXIT_OK
    columns = ["tenant", "stripe account", "qbo realm", "status", "settings"]
    table = [
        [r["tenant"], r["stripe_account"], r["qbo_realm"], r["status"], json.dumps(r["settings"])]
        for r in rows
    ]
    output.show(output.table("Tenants (besides default, the deployment's own)", columns, table))
    return EXIT_OK


COMMAND = Command(
    name="tenants",
    summary="add, list or disable the companies (Stripe account + QBO realm) synced",
    description=__doc__ or "",
    configure=configure,
    run=run,
)
