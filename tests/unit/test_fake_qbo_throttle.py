"""The fake QBO's per-realm throttle: 500/min and 10/s sliding, 10 concurrent, batches at 40/min
per app and 120/min per realm, each payload counted against the 500 unless told otherwise."""

from __future__ import annotations

import pytest

from local_emulator.fakes.qbo import FaultConfig
from local_emulator.fakes.qbo.faults import FaultInjector
from local_emulator.fakes.qbo.throttle import RealmThrottle, ThrottleLimits
from local_emulator.harness.scenario import ScenarioError, parse_faults
from shared.adapters.clock import ManualClock


def admit(
    throttle: RealmThrottle,
    count: int,
    *,
    batch: bool = False,
    items: int = 1,
    app: str = "",
    clock: ManualClock | None = None,
    spacing: float = 0.0,
) -> int:
    """Offer ``count`` requests, ``spacing`` seconds apart; how many were admitted."""
    admitted = 0
    for _ in range(count):
        if throttle.try_acquire(batch=batch, items=items, app=app):
            admitted += 1
            throttle.release()
        if clock is not None:
            clock.advance(spacing)
    return admitted


def test_500_per_minute_sliding_window() -> None:
    clock = ManualClock()
    throttle = RealmThrottle(clock)
    assert admit(throttle, 300, clock=clock, spacing=0.1) == 300  # 30 s at 10 per second
    assert admit(throttle, 300, clock=clock, spacing=0.1) == 200  # 500 in the last minute
    clock.advance(-0.05)  # t = 59.95: the 500 of t = 0 .. 49.9 are all within the minute
    assert admit(throttle, 1) == 0
    clock.advance(0.1)  # t = 60.05: the one of t = 0 has left
    assert admit(throttle, 2) == 1
    clock.advance(60.001)
    assert admit(throttle, 500, clock=clock, spacing=0.1) == 500


def test_ten_per_second_sliding_window() -> None:
    clock = ManualClock()
    throttle = RealmThrottle(clock)
    assert admit(throttle, 15) == 10  # the same instant
    clock.advance(0.5)
    assert admit(throttle, 5) == 0  # still 10 in the last second
    clock.advance(0.501)
    assert admit(throttle, 15) == 10
    assert admit(throttle, 5, batch=True) == 5  # batches have their own limits


def test_ten_concurrent() -> None:
    clock = ManualClock()
    throttle = RealmThrottle(clock)
    assert all(throttle.try_acquire(batch=True) for _ in range(10))
    clock.advance(2)
    assert not throttle.try_acquire()
    throttle.release()
    assert throttle.try_acquire()


def test_batch_has_its_own_40_per_minute() -> None:
    clock = ManualClock()
    throttle = RealmThrottle(clock)
    assert admit(throttle, 50, batch=True) == 40
    assert admit(throttle, 10) == 10
    clock.advance(61)
    assert admit(throttle, 1, batch=True) == 1


def test_batches_are_40_per_minute_per_app_and_120_per_realm() -> None:
    clock = ManualClock()
    throttle = RealmThrottle(clock)
    assert admit(throttle, 45, batch=True, app="a") == 40
    assert admit(throttle, 45, batch=True, app="b") == 40
    assert admit(throttle, 45, batch=True, app="c") == 40
    assert admit(throttle, 1, batch=True, app="d") == 0  # 120 per realm, every app together
    clock.advance(60.001)
    assert admit(throttle, 1, batch=True, app="d") == 1


def test_each_batch_payload_counts_against_the_500_by_default() -> None:
    clock = ManualClock()
    throttle = RealmThrottle(clock)
    assert admit(throttle, 17, batch=True, items=30) == 16  # 16 x 30 = 480; one more is 510
    assert admit(throttle, 25, clock=clock, spacing=0.1) == 20  # singles share the same 500
    clock.advance(60.001)
    assert admit(throttle, 1, batch=True, items=30) == 1


def test_a_batch_counts_once_when_configured_so() -> None:
    clock = ManualClock()
    throttle = RealmThrottle(clock, ThrottleLimits(batch_counting="request"))
    assert admit(throttle, 40, batch=True, items=30) == 40
    # 40 batch requests are 40 of the 500 (singles at 10 a second, all within the minute)
    assert admit(throttle, 500, clock=clock, spacing=0.1) == 460


def test_time_scale_shortens_the_window() -> None:
    clock = ManualClock()
    throttle = RealmThrottle(clock, time_scale=60)
    assert throttle.window_seconds == 1.0  # a "second" lasts 1/60 s
    assert admit(throttle, 501, clock=clock, spacing=0.0019) == 500
    clock.advance(1.001)
    assert admit(throttle, 1) == 1


def test_fault_spec_and_injector() -> None:
    config = FaultConfig.from_spec("qbo_429=0.5, stripe_5xx=0.2,qbo_timeout=0.1")
    assert (config.qbo_429, config.qbo_5xx, config.qbo_timeout) == (0.5, 0.0, 0.1)
    with pytest.raises(ValueError, match="unknown"):
        FaultConfig.from_spec("qbo_nope=1")
    with pytest.raises(ValueError):
        FaultConfig.from_spec("qbo_429=2")
    draws = [FaultInjector(FaultConfig(qbo_5xx=0.3), seed=7).draw() for _ in range(3)]
    assert len(set(draws)) == 1  # same seed, same first draw
    injector = FaultInjector(FaultConfig(qbo_5xx=0.25), seed=1)
    hits = sum(injector.draw() == "qbo_5xx" for _ in range(4000))
    assert 800 < hits < 1200
    injector.clear()
    injector.force("qbo_drop_response", times=2)
    assert [injector.draw() for _ in range(3)] == ["qbo_drop_response", "qbo_drop_response", None]


def test_requestid_switch_in_fault_specs() -> None:
    assert FaultConfig().replays_request_ids
    assert not FaultConfig.from_spec("qbo_requestid=off,qbo_5xx=0.1").replays_request_ids
    assert not FaultConfig.from_knobs({"qbo_requestid": "off", "qbo_429": 0.2}).replays_request_ids
    with pytest.raises(ValueError, match="on or off"):
        FaultConfig.from_spec("qbo_requestid=maybe")
    spec = parse_faults("qbo_requestid=off,qbo_429=0.1")
    assert spec.qbo == {"qbo_requestid": "off", "qbo_429": 0.1}
    with pytest.raises(ScenarioError, match="on or off"):
        parse_faults("qbo_requestid=0.5")


def test_throttle_form_knob() -> None:
    assert FaultInjector(FaultConfig()).throttle_status() == 429
    assert FaultInjector(FaultConfig.from_spec("qbo_throttle_403=1")).throttle_status() == 403
    mixed = FaultInjector(FaultConfig(qbo_throttle_403=0.5), seed=3)
    assert {mixed.throttle_status() for _ in range(50)} == {403, 429}
    assert FaultInjector(FaultConfig(qbo_throttle_403=0.5)).draw() is None  # not a fault
    with pytest.raises(ValueError):
        FaultConfig.from_spec("qbo_throttle_403=2")
