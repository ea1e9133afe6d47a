"""The fake QBO in its own process for the throughput benchmark, so it has a core of its own.

``python -m tests.bench.qbo_server_process <time_scale> [items|request]`` prints one JSON line
(URLs, realm, refresh token), then answers ``counts`` on stdin with the fake's request counters,
and stops on ``quit`` or end of input. The second argument is how the fake counts a batch's
payloads against the 500 requests per minute (default: items, each one).
"""

from __future__ import annotations

import sys

from local_emulator.fakes.qbo import FakeQbo, FakeQboServer, ThrottleLimits
from local_emulator.fakes.qbo.throttle import BatchCounting
from tests.bench.support import serve_counts

CLIENT_ID = "bench-client-id"
CLIENT_SECRET = "bench-client-secret"


def main(time_scale: float, counting: BatchCounting = "items") -> None:
    fake = FakeQbo(time_scale=time_scale, limits=ThrottleLimits(batch_counting=counting))
    with FakeQboServer(fake) as server:
        token = server.register_client(CLIENT_ID, CLIENT_SECRET)
        hello = {
            "base_url": server.base_url,
            "discovery_url": server.discovery_url,
            "realm_id": server.realm_id,
            "refresh_token": token,
        }
        serve_counts(hello, fake.request_counts)


if __name__ == "__main__":
    main(float(sys.argv[1]), "request" if sys.argv[2:3] == ["request"] else "items")
