"""Run the fake Stripe server alone: ``python -m local_emulator.fakes.stripe --port 12111``."""

from __future__ import annotations

import argparse
import contextlib
import threading

from .server import FakeStripeServer
from .state import DEFAULT_API_KEY, DEFAULT_WEBHOOK_SECRET, FakeStripe


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=12111)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--api-key", default=DEFAULT_API_KEY)
    parser.add_argument("--webhook-secret", default=DEFAULT_WEBHOOK_SECRET)
    args = parser.parse_args(argv)
    fake = FakeStripe(api_key=args.api_key, webhook_secret=args.webhook_secret, seed=args.seed)
    with FakeStripeServer(fake, port=args.port) as server:
        print(f"fake Stripe on {server.base_url} (Ctrl-C to stop)", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
