"""Progress of long management commands.

On a terminal each phase gets a tqdm bar with counts and rate; when output is
piped or captured (CI logs, cron, tests) the bars stay silent, so logs hold only
the one-line summary the command prints at the end.
"""

from __future__ import annotations

import io
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TextIO, TypeVar

from tqdm import tqdm

T = TypeVar("T")


class Progress:
    """Bars per phase of one command run, and the run's elapsed time."""

    def __init__(
        self,
        *,
        # A command's self.stderr is a Django OutputWrapper (an io.TextIOBase).
        stream: TextIO | io.TextIOBase | None = None,
        enabled: bool | None = None,
    ) -> None:
        # Bars go to stderr by default: stdout stays clean for the summary and
        # anything a script may parse.
        self.stream = stream if stream is not None else sys.stderr
        if enabled is None:
            isatty = getattr(self.stream, "isatty", None)
            enabled = bool(isatty and isatty())
        self.enabled = enabled
        self.started = time.monotonic()
        self.durations: dict[str, float] = {}  # seconds per phase, for -v 2

    @contextmanager
    def phase(
        self, name: str, *, total: int | None = None, unit: str = "rows"
    ) -> Iterator[tqdm]:
        """A bar for one phase; call ``.update(n)`` on it as rows are done."""
        bar = tqdm(
            total=total,
            desc=name,
            unit=f" {unit}",
            file=self.stream,
            disable=not self.enabled,
            dynamic_ncols=True,
            mininterval=0.2,
            smoothing=0.1,
        )
        started = time.monotonic()
        try:
            yield bar
        finally:
            bar.close()
            self.durations[name] = self.durations.get(name, 0.0) + (
                time.monotonic() - started
            )

    def track(
        self,
        iterable: Iterable[T],
        name: str,
        *,
        total: int | None = None,
        unit: str = "rows",
    ) -> Iterator[T]:
        """Iterate with a bar (one update per item: for modest item counts)."""
        with self.phase(name, total=total, unit=unit) as bar:
            for item in iterable:
                yield item
                bar.update(1)

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def timings(self) -> str:
        """``"people 2.1 s, encounters 38.0 s"``: where the time went."""
        return ", ".join(
            f"{name} {secs:.1f} s" for name, secs in self.durations.items()
        )

    def summary(self, command: str, counts: Iterable[tuple[int, str]]) -> str:
        """``"seed_demo: 3 programs, 8 users in 1.2 s"``."""
        parts = ", ".join(f"{n} {label}" for n, label in counts)
        return f"{command}: {parts} in {self.elapsed:.1f} s"
