"""The benchmark suite: collects ``bench_*.py`` too and writes BENCHMARKS.md after a full run."""

from __future__ import annotations

import io
import sys
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from tests.bench.report import REPORT, ROOT, SECTIONS, load_average

# Files whose tests print their figures rather than recording them: their printed lines are
# kept and shown under this section.
PRINTED_SECTIONS = {"bench_statements.py": "5. Statements"}


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Module | None:
    # Files named on the command line are collected by pytest itself whatever their name.
    if parent.session.isinitpath(file_path):
        return None
    if file_path.suffix == ".py" and file_path.name.startswith("bench_"):
        module: pytest.Module = pytest.Module.from_parent(parent, path=file_path)
        return module
    return None


class _Tee(io.TextIOBase):
    def __init__(self, target: Any) -> None:
        self.target = target
        self.buffer_text = io.StringIO()

    def write(self, text: str) -> int:
        self.buffer_text.write(text)
        return int(self.target.write(text))

    def flush(self) -> None:
        self.target.flush()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    section = PRINTED_SECTIONS.get(item.path.name)
    if section is None:
        yield
        return
    tee = _Tee(sys.stdout)
    saved, sys.stdout = sys.stdout, tee
    try:
        yield
    finally:
        sys.stdout = saved
        lines = [line for line in tee.buffer_text.getvalue().splitlines() if line.strip()]
        REPORT.printed.setdefault(section, []).extend(f"{item.name}: {line}" for line in lines)


def pytest_sessionstart(session: pytest.Session) -> None:
    REPORT.load_at_start = load_average()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not REPORT.figures and not REPORT.printed:
        return
    if exitstatus != 0:
        print("\nbenchmarks: the run failed; BENCHMARKS.md is left as it was")
        return
    target = ROOT / "BENCHMARKS.md"
    full = REPORT.measured() == list(SECTIONS)
    previous = None if full or not target.exists() else target.read_text(encoding="utf-8")
    target.write_text(REPORT.render(previous), encoding="utf-8")
    what = "every section" if full else ", ".join(REPORT.measured())
    print(f"\nbenchmarks: wrote BENCHMARKS.md ({what})")
