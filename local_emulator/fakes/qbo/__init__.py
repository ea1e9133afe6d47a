"""A faithful fake of the QuickBooks Online v3 API and Intuit OAuth, for local runs and tests."""

from local_emulator.fakes.qbo.engine import DEFAULT_REALM, FakeQbo
from local_emulator.fakes.qbo.errors import QboFault
from local_emulator.fakes.qbo.faults import KNOBS, FaultConfig, FaultInjector
from local_emulator.fakes.qbo.server import FakeQboServer
from local_emulator.fakes.qbo.throttle import ThrottleLimits

__all__ = [
    "DEFAULT_REALM",
    "KNOBS",
    "FakeQbo",
    "FakeQboServer",
    "FaultConfig",
    "FaultInjector",
    "QboFault",
    "ThrottleLimits",
]
