"""Run the fake QBO on its own: ``python -m local_emulator.fakes.qbo --port 12112``."""

from __future__ import annotations

import argparse
import threading

from local_emulator.fakes.qbo.company.profile import profile_keys
from local_emulator.fakes.qbo.engine import DEFAULT_REALM, FakeQbo
from local_emulator.fakes.qbo.faults import FaultConfig
from local_emulator.fakes.qbo.server import FakeQboServer


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=12112)
    parser.add_argument("--realm", default=DEFAULT_REALM)
    parser.add_argument("--client-id", default="local-client-id")
    parser.add_argument("--client-secret", default="local-client-secret")
    parser.add_argument("--refresh-token", default="local-refresh-token")
    parser.add_argument("--faults", default="", help="e.g. qbo_429=0.1,qbo_5xx=0.05")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--time-scale", type=float, default=1.0)
    parser.add_argument(
        "--profile", default="us", choices=profile_keys(), help="the company's reference data"
    )
    args = parser.parse_args(argv)
    fake = FakeQbo(
        args.realm,
        faults=FaultConfig.from_spec(args.faults),
        seed=args.seed,
        time_scale=args.time_scale,
        profile=args.profile,
    )
    server = FakeQboServer(fake, port=args.port).start()
    server.register_client(args.client_id, args.client_secret, args.refresh_token)
    print(f"fake QBO: base_url={server.base_url} discovery_url={server.discovery_url}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
