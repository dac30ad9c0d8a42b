"""Progress display for long steps: a no-op by default, rich bars on a console."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress as RichBars,
    SpinnerColumn,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)


class Progress:
    """Report progress of a step; ``advance(n)`` adds ``n`` units (bytes) done."""

    @contextmanager
    def step(self, description: str, total: int | None = None) -> Iterator[Callable[[int], None]]:
        yield lambda n: None


class RichProgress(Progress):
    """One live display for a run (use as a context manager): a bar per step, filling for steps
    of known size, pulsing with the elapsed time for the others. Silent when not on a terminal."""

    def __init__(self, console: Console):
        self.bars = RichBars(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TimeElapsedColumn(),
            console=console,
            disable=not console.is_terminal,
        )

    def __enter__(self) -> RichProgress:
        self.bars.start()
        return self

    def __exit__(self, *exc) -> None:
        self.bars.stop()

    @contextmanager
    def step(self, description: str, total: int | None = None) -> Iterator[Callable[[int], None]]:
        task = self.bars.add_task(description, total=total)
        yield lambda n: self.bars.advance(task, n)
        self.bars.update(task, completed=total or 1, total=total or 1)
