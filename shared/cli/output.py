"""Terminal output of every command, through ``rich``: tables, progress bars, money, messages.

Tables and results go to stdout; progress and notes to stderr, so that stdout can be piped.
Consoles are made per call and so follow ``sys.stdout``/``sys.stderr`` as they are then.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from shared.domain.money import UnknownCurrencyError
from shared.domain.settlement_invoice import decimal_money_text

if TYPE_CHECKING:  # rich is imported when something is drawn, not to list the commands
    from rich.console import Console
    from rich.table import Table

ProgressCallback = Callable[[int, int], None]  # (done, total)


def out() -> Console:
    from rich.console import Console

    return Console(highlight=False, soft_wrap=False)


def err() -> Console:
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


def note(message: str) -> None:
    """A line for the person at the terminal (stderr), as written, after what stdout holds."""
    sys.stdout.flush()
    print(message, file=sys.stderr, flush=True)


def money(amount: Decimal | int | None, currency: str | None) -> str:
    """``Decimal('1234.5'), 'usd'`` -> ``USD 1,234.50``: the currency's own decimals, grouped."""
    if amount is None:
        return ""
    try:
        return decimal_money_text(Decimal(amount), str(currency or ""))
    except UnknownCurrencyError:
        return f"{Decimal(amount):,} {currency or ''}".strip()


def table(title: str | None, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> Table:
    """A table; columns whose name starts with ``>`` are right-aligned (numbers, money)."""
    from rich.table import Table

    grid = Table(title=title, title_justify="left", header_style="bold")
    for column in columns:
        right = column.startswith(">")
        grid.add_column(column.removeprefix(">"), justify="right" if right else "left")
    for row in rows:
        grid.add_row(*("" if cell is None else str(cell) for cell in row))
    return grid


def show(renderable: Any) -> None:
    out().print(renderable)


@contextmanager
def progress(label: str) -> Iterator[ProgressCallback]:
    """A progress bar on stderr; call the yielded function with ``(done, total)``."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err(),
        transient=False,
    )
    task = bar.add_task(label, total=None)

    def update(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)

    with bar:
        yield update
