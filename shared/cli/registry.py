"""Finds the commands: every module of ``shared.cli.commands`` (production) and, when the emulator
is installed, of ``local_emulator.cli`` (local) that defines ``COMMAND``.

Adding a command is adding one module; nothing else names it. Modules are imported to read
their ``COMMAND`` only: heavy imports belong inside ``configure``/``run``.
"""

from __future__ import annotations

import importlib
import pkgutil

from shared.cli.command import Command

PACKAGES = ("shared.cli.commands", "local_emulator.cli")
# The order of the command list in --help; commands not named here follow, by name.
ORDER = (
    "replay", "backfill", "undo", "report", "statement", "query",
    "demo", "run", "check", "generate", "campaign", "reconcile",
)  # fmt: skip


class RegistryError(RuntimeError):
    """Two commands with one name, or a command in the wrong package."""


def _package_modules(package_name: str) -> list[str]:
    try:
        package = importlib.import_module(package_name)
    except ModuleNotFoundError as missing:
        if missing.name and package_name.startswith(missing.name):
            return []  # a production install without the emulator
        raise
    return [
        f"{package_name}.{info.name}"
        for info in pkgutil.iter_modules(package.__path__)
        if not info.name.startswith("_")
    ]


def discover(packages: tuple[str, ...] = PACKAGES) -> list[Command]:
    """Every command, in ``ORDER``; local commands only from the emulator's package."""
    found: dict[str, Command] = {}
    for package_name in packages:
        local_package = package_name.startswith("local_emulator")
        for module_name in _package_modules(package_name):
            command = getattr(importlib.import_module(module_name), "COMMAND", None)
            if not isinstance(command, Command):
                continue
            if command.name in found:
                raise RegistryError(f"two commands named {command.name!r} ({module_name})")
            if (command.scope == "local") != local_package:
                raise RegistryError(f"{module_name}: a {command.scope} command in {package_name}")
            found[command.name] = command
    rank = {name: n for n, name in enumerate(ORDER)}
    return sorted(found.values(), key=lambda c: (rank.get(c.name, len(ORDER)), c.name))
