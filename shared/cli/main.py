"""``stripe-qbo-sync COMMAND ...``: the entry point (``[project.scripts]`` in pyproject.toml).

Exit codes: 0 done; 1 the work failed or found a problem; 2 bad input (nothing was done).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from shared.cli import output
from shared.cli.args import CliParser, HelpFormatter
from shared.cli.command import EXIT_FAILED, EXIT_USAGE, Command, CommandError, UsageError
from shared.cli.registry import discover
from shared.errors import BadRequestError, SyncError

PROG = "stripe-qbo-sync"
DESCRIPTION = """\
Stripe to QuickBooks Online sync: production operations and the local emulator.

Production commands use the environment's settings (SYNC_*): locally the embedded DuckDB
warehouse and in-process queue, with the production settings BigQuery and Cloud Tasks.
Local commands run the embedded stack (fake Stripe, fake QBO, the functions, the queue).
"""
EPILOG = "exit codes: 0 done, 1 the work failed or found a problem, 2 bad input"


def _command_list(commands: list[Command]) -> str:
    width = max((len(c.name) for c in commands), default=0) + 2
    lines = []
    for scope, title in (("production", "production commands"), ("local", "local commands")):
        chosen = [c for c in commands if c.scope == scope]
        if chosen:
            lines.append(f"{title}:")
            lines += [f"  {c.name:<{width}}{c.summary}" for c in chosen]
    return "\n".join(lines)


def build_parser(
    prog: str = PROG, configure: str | None = None
) -> tuple[CliParser, dict[str, Command]]:
    """The parser with every command; only ``configure``'s options are added (all when None),
    so that a command's heavier imports are paid only when it runs."""
    commands = discover()
    parser = CliParser(
        prog=prog,
        description=f"{DESCRIPTION}\n{_command_list(commands)}",
        epilog=EPILOG,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in commands:
        child = sub.add_parser(
            command.name,
            description=command.description or command.summary,
            formatter_class=HelpFormatter,
            prog=f"{prog} {command.name}",
            epilog=EPILOG,
        )
        if configure in (None, command.name):
            command.configure(child)
            if command.tenant_scoped:
                child.add_argument(
                    "--tenant",
                    metavar="TENANT",
                    help="the tenant to act for (`tenants list`; default: the deployment's own)",
                )
    return parser, {c.name: c for c in commands}


def main(argv: list[str] | None = None, *, prog: str = PROG) -> int:
    """Parse, run one command, and turn its end into an exit code and at most one error line."""
    argv = sys.argv[1:] if argv is None else list(argv)
    chosen = next((a for a in argv if not a.startswith("-")), "")
    parser, commands = build_parser(prog, configure=chosen)
    try:
        args = parser.parse_args(argv)
    except SystemExit as done:  # --help (0) or a bad option (2, already printed)
        return done.code if isinstance(done.code, int) else EXIT_USAGE
    command = commands[args.command]
    where = f"{prog} {command.name}"
    try:
        if command.tenant_scoped:
            with _as_tenant(getattr(args, "tenant", None)):
                return command.run(args)
        return command.run(args)
    except KeyboardInterrupt:
        output.note(f"{where}: interrupted")
        return 130
    except (UsageError, CommandError, SyncError) as error:
        code, line = _ending(error)
        output.note(f"{where}: {line}")
        return code


@contextmanager
def _as_tenant(tenant_id: str | None) -> Iterator[None]:
    """Run as that tenant; an id the tenants table lacks is bad input (exit 2), not a failure."""
    from shared import bootstrap
    from shared.tenancy.model import UnknownTenantError

    scope = ExitStack()
    try:
        scope.enter_context(bootstrap.for_tenant(tenant_id))
    except UnknownTenantError as error:
        raise UsageError(f"--tenant {tenant_id}: {error.message} (see `tenants list`)") from error
    with scope:
        yield


def _ending(error: Exception) -> tuple[int, str]:
    """A command's error as its exit code and one line."""
    if isinstance(error, UsageError):
        return EXIT_USAGE, f"error: {error}"
    if isinstance(error, BadRequestError):
        return EXIT_USAGE, f"error: {error.message}"
    if isinstance(error, SyncError):
        return EXIT_FAILED, f"failed: {error.code}: {error.message}"
    return EXIT_FAILED, f"failed: {error}"


def console_script() -> None:
    """The ``stripe-qbo-sync`` executable."""
    raise SystemExit(main())


__all__ = ["build_parser", "console_script", "main"]


if __name__ == "__main__":
    console_script()
