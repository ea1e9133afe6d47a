"""The client-side QBO pacing: sliding window and concurrency cap, on a manual clock."""

from __future__ import annotations

import threading
import time

import pytest

from shared.adapters.clock import ManualClock
from shared.adapters.rate_limiter import RateLimiter


def test_window_counts_from_completion() -> None:
    clock = ManualClock()
    start = clock.now()
    limiter = RateLimiter(5, 10, clock=clock, sleep=clock.advance)
    for _ in range(5):
        with limiter.slot():
            clock.advance(1)  # each request takes a second
    assert limiter.waits == 0
    with limiter.slot():
        pass
    # the first request finished at t=1, so the sixth may start at t=61, not t=60
    assert (clock.now() - start).total_seconds() >= 61
    assert limiter.waits >= 1


def test_ten_a_second_paces_a_burst() -> None:
    clock = ManualClock()
    start = clock.now()
    limiter = RateLimiter(500, 10, requests_per_second=10, clock=clock, sleep=clock.advance)
    for _ in range(25):
        with limiter.slot():
            pass
    # 10 in the first second, 10 in the next, the last 5 after two seconds
    assert (clock.now() - start).total_seconds() >= 2
    assert limiter.waits >= 2


def test_the_second_window_scales_with_the_minute_window() -> None:
    clock = ManualClock()
    start = clock.now()
    limiter = RateLimiter(
        500, 10, window_seconds=1.0, requests_per_second=10, clock=clock, sleep=clock.advance
    )
    for _ in range(21):
        with limiter.slot():
            pass
    assert 2 / 60 <= (clock.now() - start).total_seconds() < 0.1


def test_in_flight_requests_count_against_the_window() -> None:
    clock = ManualClock()
    limiter = RateLimiter(2, 10, clock=clock, sleep=clock.advance)
    limiter.acquire()
    limiter.acquire()
    done = threading.Event()

    def third() -> None:
        limiter.acquire()
        done.set()

    thread = threading.Thread(target=third)
    thread.start()
    assert not done.wait(0.2)  # nothing finished, so nothing can age out
    limiter.release()
    clock.advance(60.01)
    assert done.wait(2)
    thread.join()


def test_concurrency_cap() -> None:
    limiter = RateLimiter(1000, 2)
    limiter.acquire()
    limiter.acquire()
    entered = threading.Event()

    def third() -> None:
        with limiter.slot():
            entered.set()

    thread = threading.Thread(target=third)
    thread.start()
    assert not entered.wait(0.2)
    limiter.release()
    assert entered.wait(2)
    thread.join()
    limiter.release()


def test_many_threads_never_exceed_the_cap() -> None:
    limiter = RateLimiter(10_000, 3)
    active = 0
    peak = 0
    lock = threading.Lock()

    def work() -> None:
        nonlocal active, peak
        for _ in range(20):
            with limiter.slot():
                with lock:
                    active += 1
                    peak = max(peak, active)
                time.sleep(0.001)
                with lock:
                    active -= 1

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert peak == 3


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError):
        RateLimiter(0, 1)
    with pytest.raises(ValueError):
        RateLimiter(1, 1, window_seconds=0)
    with pytest.raises(ValueError):
        RateLimiter(1, 1, requests_per_second=0)
