"""Lines redrawn with a carriage return are kept as a terminal shows them, and shown while
they are redrawn at most once every few seconds (`model/redraws.py`)."""

from __future__ import annotations

import pytest

from pipeflow.model.redraws import Lines, rendered


@pytest.mark.parametrize(
    ("line", "shown"),
    [
        ("plain", "plain"),
        ("", ""),
        ("one\rtwo", "two"),
        ("hello\rab", "abllo"),  # a shorter part writes over the start only
        ("\r 10%\r 20%\r100%", "100%"),
        ("100%  \r", "100%"),  # a `\r\n` line end
        ("  50%|#####     |\r 100%|##########|  ", " 100%|##########|"),
    ],
)
def test_a_line_is_what_a_terminal_shows_of_it(line: str, shown: str) -> None:
    assert rendered(line) == shown


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_lines_end_at_line_breaks_across_writes() -> None:
    lines = Lines()
    assert lines.feed("a") == []
    assert lines.feed("b\nc\r\nd") == ["ab", "c"]
    assert lines.feed("\r\n\n") == ["d", ""]
    assert lines.end() == []


def test_a_redrawn_line_is_shown_at_once_then_at_most_every_few_seconds() -> None:
    clock = Clock()
    lines = Lines(every=5.0, clock=clock)
    assert lines.feed("\r  0%") == []  # nothing drawn yet to show
    assert lines.feed("\r 10%") == ["  0%"]  # the first state, at once
    clock.now += 1
    assert lines.feed("\r 20%\r 30%") == []  # too soon
    clock.now += 4
    assert lines.feed("\r 40%") == [" 30%"]
    clock.now += 5
    assert lines.feed("\r100%\n") == ["100%"]  # the line's end: what it shows, always
    assert lines.feed("done\n") == ["done"]
    assert lines.end() == []


def test_a_state_shown_is_not_said_again_when_its_line_ends() -> None:
    clock = Clock()
    lines = Lines(every=5.0, clock=clock)
    assert lines.feed("\rstep 1\rstep 2\r") == ["step 2"]
    assert lines.feed("\n") == []
    assert lines.feed("\rstep 3\r") == []  # too soon after the last one shown
    assert lines.end() == ["step 3"]


def test_a_line_the_stream_leaves_unended_is_said_at_its_end() -> None:
    lines = Lines()
    assert lines.feed("no line break") == []
    assert lines.pending
    assert lines.end() == ["no line break"]
    assert not lines.pending


def test_what_is_kept_of_a_redrawn_line_stays_small() -> None:
    """A bar redrawn for hours keeps its last state, not every one."""
    lines = Lines(every=1e9, clock=Clock())
    for percent in range(100_000):
        lines.feed(f"\r{percent % 100:3d}%")
    assert len(lines._partial) < 20
    assert lines.end() == [" 99%"]
