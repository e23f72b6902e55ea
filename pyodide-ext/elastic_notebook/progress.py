"""Progress of long checkpoint and restore work, printed to stderr.

Quiet for work that ends within `QUIET_SECONDS`; after that one line every
`INTERVAL_SECONDS`, so a notebook's output stays short. Also the wording of their
reports (`counted`).
"""

from __future__ import annotations

import sys
import time

#: Work shorter than this prints nothing.
QUIET_SECONDS = 1.0
#: At most one line per this many seconds.
INTERVAL_SECONDS = 2.0


class Progress:
    """Counts bytes of one operation (`verb`, e.g. "saving") against a known total."""

    def __init__(self, verb: str, total_bytes: int, *, enabled: bool = True) -> None:
        """Starts the clock."""
        self.verb = verb
        self.total = max(total_bytes, 1)
        self.done = 0
        self.enabled = enabled
        self.started = time.monotonic()
        self.last_line = self.started

    def advance(self, nbytes: int) -> None:
        """Counts `nbytes` more; prints a line if the work is long and one is due."""
        self.done += nbytes
        now = time.monotonic()
        if (
            self.enabled
            and now - self.started >= QUIET_SECONDS
            and now - self.last_line >= INTERVAL_SECONDS
        ):
            self.last_line = now
            percent = min(100, 100 * self.done // self.total)
            print(
                f"elastic-notebook: {self.verb} {percent}% "
                f"({_megabytes(self.done)} of {_megabytes(self.total)})",
                file=sys.stderr,
                flush=True,
            )


def _megabytes(nbytes: int) -> str:
    return f"{nbytes / 1e6:,.1f} MB"


def counted(count: int, noun: str) -> str:
    """`count` and `noun`, plural unless it is one: "1 variable", "0 cells"."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def duration(nanoseconds: int) -> str:
    """A duration for people: "850.0 us", "12.3 ms", "4.56 s"."""
    if nanoseconds < 1_000_000:
        return f"{nanoseconds / 1e3:.1f} us"
    if nanoseconds < 1_000_000_000:
        return f"{nanoseconds / 1e6:.1f} ms"
    return f"{nanoseconds / 1e9:.2f} s"
