from __future__ import annotations

import pytest

from pipeflow.model.durations import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30s", 30),
        ("500ms", 0.5),
        ("15m", 900),
        ("1h", 3600),
        ("1d", 86400),
        ("1h30m", 5400),
        (5, 5),
        (0.25, 0.25),
        ("2.5s", 2.5),
    ],
)
def test_durations(text: str | float, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "5", "5 parsecs", "m5", "1h-5m", "-3s"])
def test_bad_durations_say_how_to_write_one(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


def test_negative_number_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        parse_duration(-1)


def test_format_duration() -> None:
    assert format_duration(0.5) == "0.50s"
    assert format_duration(65) == "1m05s"
    assert format_duration(7260) == "2h01m"
