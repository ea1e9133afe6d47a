"""What a subcommand is, and the two ways it ends early: bad input (exit 2) or failed work (1)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Scope = Literal["production", "local"]

EXIT_OK = 0
EXIT_FAILED = 1  # the work failed, or found something wrong (violations, mismatches)
EXIT_USAGE = 2  # the input is bad: nothing was done


class UsageError(Exception):
    """Bad input (a value out of range, a missing file, an unknown id): one line, exit 2."""


class CommandError(Exception):
    """The input was fine but the work failed (a service unreachable, a failed run): exit 1."""


@dataclass(frozen=True)
class Command:
    """One subcommand: ``configure`` adds its options, ``run`` does the work and returns the exit
    code. Both must import heavy libraries inside the function, never at module level: every
    command module is imported to list the commands."""

    name: str
    summary: str  # one line, in the command list
    configure: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]
    description: str = ""  # the command's --help text (default: the summary)
    scope: Scope = "production"
    # Takes ``--tenant ID``: the command runs as that tenant (its realm, account and rows).
    tenant_scoped: bool = False
