"""``stripe-qbo-sync run --tenants FILE``: several Stripe accounts, one deployment.

The tenants file maps each connected account to its QBO realm (JSON: ``{"acct_1A": "913..."}``).
Every line of the events file carries ``account``; events of all accounts are delivered, in the
file's order, to the platform's one endpoint (as Stripe sends Connect events), and the stack
routes each to its tenant. Each realm is then checked against its own account alone, and every
QBO document is attributed: a document of one account's object in another's realm is a crossing.
Output: DIR/<realm>/qbo.json and links.json per realm, DIR/summary.json for the whole run.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from local_emulator.checks.books import StripeBooks
from local_emulator.checks.invariants import check_books
from local_emulator.fakes.qbo.engine import DEFAULT_REALM
from local_emulator.harness.runner import (
    Progress,
    RunResult,
    check_summary,
    invoice_summary,
    to_jsonable,
)
from local_emulator.harness.scenario import FaultSpec, Scenario, ScenarioError, split_by_account
from local_emulator.harness.stack import LocalStack, tenant_id_for
from shared.tenancy.model import REALM_ID, STRIPE_ACCOUNT

JsonDict = dict[str, Any]
# Stripe ids the sync writes into QBO documents (notes, memos, doc numbers)
STRIPE_ID = re.compile(r"\b(?:cus|in|ch|py|pi|re|cn|dp|po|txn|pyr|il|ii|prod)_[A-Za-z0-9]{6,}")


def load_tenants(path: Path) -> dict[str, str]:
    """``{"acct_...": "<realm id>", ...}``, checked: ScenarioError names what is wrong."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise ScenarioError(f"cannot read tenants file {path}: {error}") from None
    if not isinstance(raw, dict) or not raw:
        raise ScenarioError(f"{path}: expected a JSON object of acct_... -> realm id")
    tenants: dict[str, str] = {}
    for account, realm in raw.items():
        if not STRIPE_ACCOUNT.match(str(account)) or not REALM_ID.match(str(realm)):
            raise ScenarioError(f"{path}: {account!r} -> {realm!r} is not acct_... -> digits")
        if str(realm) in tenants.values():
            raise ScenarioError(f"{path}: realm {realm} given to two accounts")
        tenants[str(account)] = str(realm)
    return tenants


def _documents(state: JsonDict) -> list[tuple[str, JsonDict]]:
    return [(entity, doc) for entity, docs in state.items() for doc in docs]


def crossings(states: dict[str, JsonDict], owned: dict[str, set[str]]) -> list[str]:
    """Documents in one realm that name a Stripe id only another realm's account holds."""
    found = []
    for realm, state in states.items():
        foreign = set().union(*(ids for r, ids in owned.items() if r != realm)) - owned[realm]
        for entity, doc in _documents(state):
            text = " ".join(str(doc.get(k) or "") for k in ("PrivateNote", "DocNumber", "Notes"))
            for stripe_id in set(STRIPE_ID.findall(text)) & foreign:
                found.append(f"{realm} {entity} {doc.get('Id')}: {stripe_id}")
    return sorted(found)


def run_tenants(
    scenario: Scenario,
    tenants: dict[str, str],
    out_dir: Path,
    *,
    faults: FaultSpec,
    seed: int = 0,
    progress: Progress = print,
    prepare: Callable[[LocalStack], None] | None = None,
) -> RunResult:
    """Seed each account, deliver every event to the platform's endpoint, drain, and check
    each realm against its own account; ``prepare`` runs before anything is delivered."""
    started = time.monotonic()
    out_dir.mkdir(parents=True, exist_ok=True)
    parts = split_by_account(scenario)
    unknown = sorted(str(a) for a in parts if a is not None and a not in tenants)
    if unknown or None in parts:
        raise ScenarioError(
            f"lines of accounts the tenants file lacks: {unknown}"
            if unknown
            else "every line must carry `account` with --tenants"
        )
    seeded = {account: part.seed_state() for account, part in parts.items()}
    with LocalStack(out_dir / ".state", seed=seed, faults=faults, tenants=tenants) as stack:
        for account, objects in seeded.items():
            fake = stack.stripe_for(account)
            for obj in objects:
                fake.seed_object(obj)
        if prepare is not None:
            prepare(stack)
        total = sum(len(objects) for objects in seeded.values())
        progress(
            f"seeded {total} objects in {len(seeded)} accounts; "
            f"delivering {len(scenario.events)} events"
        )
        attempts = list(stack.deliverer().deliver(scenario.events).attempts)
        progress(f"delivered {len(attempts)} requests; running tasks")
        drained = stack.queue.drain()
        progress(f"tasks done: {drained}")
        raw = stack.raw_warehouse
        states, links, requests = {}, {}, {}
        for account, realm in tenants.items():
            states[realm] = to_jsonable(stack.qbo_for(realm).state_json())
            requests[realm] = stack.qbo_for(realm).request_counts()
            links[realm] = raw.query(
                "SELECT * FROM sync_links_current WHERE tenant_id = @tenant "
                "ORDER BY stripe_object_id",
                {"tenant": tenant_id_for(account)},
            )
        elsewhere = raw.query(
            "SELECT tenant_id, COUNT(*) AS n FROM sync_links GROUP BY tenant_id ORDER BY 1"
        )
        exhausted = [item.task.name for item in stack.queue.exhausted_tasks()]
        default_requests = sum(
            n for kind, n in stack.fake_qbo.request_counts().items() if kind != "token_refresh"
        )
    owned = {
        realm: {str(o["id"]) for o in seeded[account] if o.get("object") != "event"}
        for account, realm in tenants.items()
    }
    realms: JsonDict = {}
    for account, realm in tenants.items():
        stripe = StripeBooks(o for o in seeded[account] if o.get("object") != "event")
        violations = check_books(stripe, states[realm])
        realm_links = [to_jsonable(link) for link in links[realm]]
        folder = out_dir / realm
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "qbo.json").write_text(json.dumps(states[realm], indent=2))
        (folder / "links.json").write_text(json.dumps(realm_links, indent=2))
        synced = Counter(
            str(link["stripe_object_type"])
            for link in links[realm]
            if link["status"] == "COMPLETED"
        )
        realms[realm] = {
            "account": account,
            "tenant": tenant_id_for(account),
            "objects_synced": dict(sorted(synced.items())),
            "failed": [
                f"{link['stripe_object_id']}: {link['last_error_code']}"
                for link in links[realm]
                if link["status"] == "FAILED"
            ],
            "invoices": invoice_summary(stripe, states[realm], violations),
            "check": check_summary(violations),
            "qbo_requests": dict(sorted(requests[realm].items())),
        }
    statuses = Counter(status for _, status in attempts)
    received = sum(n for s, n in statuses.items() if 200 <= s < 300)
    crossed = crossings(states, owned)
    summary: JsonDict = {
        "tenants": len(tenants),
        "events": {
            "in_file": len(scenario.events),
            "deliveries": len(attempts),
            "received": received,
            "rejected": len(attempts) - received,
        },
        "tasks": to_jsonable(drained.__dict__ if hasattr(drained, "__dict__") else drained),
        "tasks_exhausted": exhausted,
        "qbo_requests_by_realm": {
            stack_realm: sum(requests[stack_realm].values()) for stack_realm in requests
        }
        | {DEFAULT_REALM: default_requests},
        "link_rows_by_tenant": {str(r["tenant_id"]): int(r["n"]) for r in elsewhere},
        "realms": realms,
        "crossings": crossed,
        "violations": sum(r["check"]["violations"] for r in realms.values()),
        "faults": {**faults.qbo, **faults.delivery, **faults.stripe},
        "seed": seed,
        "seconds": round(time.monotonic() - started, 2),
    }
    summary["all_processed"] = summary["events"]["rejected"] == 0 and not exhausted
    summary["books_agree"] = summary["violations"] == 0 and not crossed
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2))
    combined = {realm: states[realm] for realm in states}
    return RunResult(summary, combined, [])
