"""The vendor reference material beside the repository (``../shared/reference``), found
relative to this checkout, never at a machine path. CI's clean clone may not have it: tests
that need it skip and say why."""

from __future__ import annotations

from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[1]
REFERENCE = REPOSITORY.parent / "shared" / "reference"


def reference_path(*parts: str) -> Path:
    return REFERENCE.joinpath(*parts)


def require_reference(*parts: str) -> Path:
    """The path, or a skip naming what is missing and why it may be."""
    path = reference_path(*parts)
    if not path.exists():
        pytest.skip(
            f"../shared/reference/{'/'.join(parts)} is not beside this checkout ({path}); it is "
            "the team's vendor reference, not part of the repository"
        )
    return path
