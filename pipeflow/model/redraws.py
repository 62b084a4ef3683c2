"""Lines a step redraws with a carriage return (a progress bar: tqdm, rich, pip, curl, a
model's training loop), as every channel of a step's output keeps them.

A terminal writes each part after a `\\r` over the line from its start, and shows the line as
its last redraw left it. A step's output is kept the same way: a line is what a terminal would
show once it ends (a line break or the step's end), not each of its redraws, which a progress
bar makes ten times a second. While a line is being redrawn, its state is shown as it comes,
at most once every SHOW_EVERY seconds (the first at once), so a long bar is seen moving in the
console, `pipeflow logs --follow` and a CI log without filling them. `\\r\\n` ends a line.
"""

from __future__ import annotations

import time
from collections.abc import Callable

SHOW_EVERY = 5.0  # seconds between two states of redrawn lines shown while they are redrawn


def rendered(line: str) -> str:
    """What a terminal shows of `line` (one line, no line break) once it is written: each
    part after a carriage return written over the line from its start."""
    if "\r" not in line:
        return line
    shown = ""
    for part in line.split("\r"):
        shown = part + shown[len(part) :]
    return shown.rstrip()


def split(text: str) -> list[str]:
    """The lines of a whole text, each as a terminal shows it (none for an empty text)."""
    lines = text.split("\n")
    if not lines[-1]:
        lines.pop()
    return [rendered(line) for line in lines]


class Lines:
    """Cuts the text of one stream, as it is written, into the lines to keep and show."""

    def __init__(
        self, every: float = SHOW_EVERY, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._every = every
        self._clock = clock
        self._partial = ""  # the line being written: its rendering so far, then its last part
        self._live: str | None = None  # the state of this line last shown as it was redrawn
        self._live_at: float | None = None  # when a redrawn state was last shown

    def feed(self, text: str) -> list[str]:
        """The lines `text` ends, and the state of a line it redraws, when one is due."""
        *ended, rest = (self._partial + text).split("\n")
        said = []
        for line in ended:
            shown = rendered(line)
            if shown != self._live:  # not only the state already shown
                said.append(shown)
            self._live = None
        self._partial = rest
        if "\r" in rest:
            drawn, _, part = rest.rpartition("\r")
            state = rendered(drawn)
            self._partial = f"{state}\r{part}" if state else part
            now = self._clock()
            due = self._live_at is None or now - self._live_at >= self._every
            if state and state != self._live and due:
                said.append(state)
                self._live, self._live_at = state, now
        return said

    def end(self) -> list[str]:
        """The stream is over: the line it left unended, if it holds anything new."""
        rest, self._partial = self._partial, ""
        shown = rendered(rest)
        live, self._live = self._live, None
        return [shown] if rest and shown != live else []

    @property
    def pending(self) -> bool:
        """Whether a line is being written (`end` would say it)."""
        return bool(self._partial)
