"""The fake Stripe in its own process, holding the import benchmark's history.

``python -m tests.bench.stripe_server_process <objects> <seed>`` builds the history, prints one
JSON line (base URL, API key, objects by type), then answers ``counts`` on stdin with the fake's
request counters, and stops on ``quit`` or end of input.
"""

from __future__ import annotations

import sys
from collections import Counter

from local_emulator.fakes.stripe import FakeStripe, FakeStripeServer
from tests.bench.import_data import import_objects
from tests.bench.support import serve_counts


def main(objects: int, seed: int) -> None:
    fake = FakeStripe(seed=seed)
    history = import_objects(objects, seed)
    for obj in history:
        fake.seed_object(obj)
    with FakeStripeServer(fake) as server:
        kinds = Counter(str(o["object"]) for o in history if o["object"] != "payment_intent")
        hello = {"base_url": server.base_url, "api_key": fake.api_key, "objects": kinds}
        serve_counts(hello, fake.request_counts)


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
