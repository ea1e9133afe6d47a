"""Build the scenario library: ``python -m local_emulator.scenarios.build [DIR]``.

Each scenario is a small, scripted story on the Stripe simulator (``stories/``, one module per
Stripe object family), written to ``<name>.jsonl`` next to this file (the list, with what each
covers, is in ``local_emulator/scenarios``'s docstring). The output is deterministic: rebuilding
changes no byte.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

from local_emulator.generator.sim import JsonDict, StripeSim
from local_emulator.harness.scenario import write_scenario
from local_emulator.scenarios.stories import SCENARIOS

HERE = Path(__file__).resolve().parent


def build(name: str) -> list[JsonDict]:
    tag = "x" + hashlib.sha256(name.encode()).hexdigest()[:4]
    sim = StripeSim(tag=tag)
    SCENARIOS[name](sim)
    return sim.lines


def build_all(directory: Path = HERE) -> list[Path]:
    """Write every scenario to ``directory``; returns the files written."""
    written = []
    for name in SCENARIOS:
        path = directory / f"{name}.jsonl"
        write_scenario(path, build(name))
        written.append(path)
    return written


def main(argv: list[str]) -> int:
    directory = Path(argv[0]) if argv else HERE
    written = build_all(directory)
    print(f"wrote {len(written)} scenarios to {directory}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
