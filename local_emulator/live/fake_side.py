"""What the fake Stripe serves: the scenario library seeded into it and read back over HTTP (as
the sync reads it, invoice payments expanded), the flows it implements run through the client,
and the events of both."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests
import stripe

from local_emulator.fakes.stripe import RESOURCES, FakeStripe, FakeStripeServer
from local_emulator.harness.scenario import load_scenario
from local_emulator.live.stripe_flows import FLOWS, Recorder, run_flows

JsonDict = dict[str, Any]
EXPANSIONS = ["data.payment.payment_intent", "data.payment.payment_record"]


def _get(base: str, key: str, path: str, params: dict[str, Any] | None = None) -> JsonDict:
    response = requests.get(
        f"{base}{path}", params=params, headers={"Authorization": f"Bearer {key}"}, timeout=30
    )
    response.raise_for_status()
    body: JsonDict = response.json()
    return body


def served_by_fake(scenario_dir: Path) -> tuple[list[JsonDict], dict[str, str]]:
    """Every object and event the fake serves for the scenario library and its own flows; and
    the outcome of each flow it ran."""
    fake = FakeStripe(seed=16, events_retention_days=None)
    for path in sorted(scenario_dir.glob("*.jsonl")):
        for obj in load_scenario(path).seed_state():
            fake.seed_object(obj)
    with FakeStripeServer(fake) as server:
        client = stripe.StripeClient(
            fake.api_key, base_addresses={"api": server.base_url}, max_network_retries=0
        )
        recorder = Recorder(client, "fake")
        outcomes = run_flows(recorder, [name for name, (_, fake_ok) in FLOWS.items() if fake_ok])
        base, key = server.base_url, fake.api_key
        served: list[JsonDict] = list(recorder.objects)
        for collection, object_type in sorted(RESOURCES.items()):
            if object_type == "event":
                continue
            for obj in fake.objects_of(object_type):
                if not obj.get("deleted"):
                    served.append(_get(base, key, f"/v1/{collection}/{obj['id']}"))
        for txn in fake.objects_of("customer_balance_transaction"):
            nested = f"/v1/customers/{txn['customer']}/balance_transactions/{txn['id']}"
            served.append(_get(base, key, nested))
        for invoice in fake.objects_of("invoice"):
            listed = _get(
                base,
                key,
                "/v1/invoice_payments",
                {"invoice": invoice["id"], "expand[]": EXPANSIONS, "limit": 100},
            )
            served.extend(listed["data"])
    return served + fake.events(), outcomes
