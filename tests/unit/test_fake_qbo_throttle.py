"""The fake QBO's per-realm throttle: 500/min sliding, 10 concurrent, batches at 40/min per app
and 120/min per realm, each payload counted against the 500 unless told otherwise."""

from __future__ import annotations

import pytest

from local_emulator.fakes.qbo import FaultConfig
from local_emulator.fakes.qbo.faults import FaultInjector
from local_emulator.fakes.qbo.throttle import RealmThrottle, ThrottleLimits
from local_emulator.harness.scenario import ScenarioError, parse_faults
from shared.adapters.clock import ManualClock


def admit(
    throttle: RealmThrottle, count: int, *, batch: bool = False, items: int = 1, app: str = ""
) -> int:
    admitted = 0
    for _ in range(count):
        if throttle.try_acquire(batch=batch, items=items, app=app):
            admitted += 1
            throttle.release()
    return admitted


def test_500_per_minute_sliding_window() -> None:
    clock = ManualClock()
    throttle = RealmThrottle(clock)
    assert admit(throttle, 300) == 300
    clock.advance(30)
    assert admit(throttle, 300) == 200  # 500 in the last minute
    clock.advance(30)  # the first 300 leave the window
    assert admit(throttle, 400) == 300
    clock.advance(60.001)
    assert admit(throttle, 500) == 500


def test_ten_concurrent() -> None:
    throttle = RealmThrottle(ManualClock())
    assert all(throttle.try_acquire() for _ in range(10))
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
    assert admit(throttle, 25) == 20  # singles share the same 500
    clock.advance(60.001)
    assert admit(throttle, 1, batch=True, items=30) == 1


def test_a_batch_counts_once_when_configured_so() -> None:
    throttle = RealmThrottle(ManualClock(), ThrottleLimits(batch_counting="request"))
    assert admit(throttle, 40, batch=True, items=30) == 40
    assert admit(throttle, 500) == 460  # 40 batch requests are 40 of the 500


def test_time_scale_shortens_the_window() -> None:
    clock = ManualClock()
    throttle = RealmThrottle(clock, time_scale=60)
    assert throttle.window_seconds == 1.0
    assert admit(throttle, 501) == 500
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
