"""`pipeflow validate` refuses a schedule whose `end` is not after its `start` (exit 2), in
every spelling: dates, times, offsets or none, cron or interval, YAML or TOML."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeflow.cli import cli
from tests.conftest import ProjectFactory

STEPS = "def hello():\n    return 'hello'\n"

# (trigger, start, end): `end` is the same moment as `start`, or before it
WINDOWS = [
    pytest.param("cron: '0 6 * * *'", "2026-01-01", "2026-01-01", id="same-date"),
    pytest.param("interval: 1h", "2026-01-01", "2026-01-01", id="same-date-interval"),
    pytest.param(
        "cron: '0 6 * * *'", "2026-01-01T06:00:00+01:00", "2026-01-01T06:00:00+01:00",
        id="same-time",
    ),
    pytest.param(
        "interval: 1h", "2026-01-01T06:00:00+01:00", "2026-01-01T05:00:00+00:00",
        id="same-moment-other-offset",
    ),
    pytest.param("cron: '0 6 * * *'", "2026-02-01", "2026-01-01", id="end-before-start"),
    pytest.param(
        "interval: 30m", "2026-01-01T06:00:00Z", "2026-01-01T05:59:59Z", id="a-second-before"
    ),
    pytest.param(
        "cron: '0 6 * * *'\n    timezone: Europe/Berlin",
        "2026-01-01T06:00:00",
        "2026-01-01T05:00:00+00:00",
        id="no-offset-in-the-zone",
    ),
    pytest.param(
        "interval: 1h\n    timezone: Europe/Berlin",
        "2026-01-02",
        "2026-01-01T12:00:00+00:00",
        id="date-and-time-mixed",
    ),
]  # fmt: skip


def config(trigger: str, start: str, end: str) -> str:
    return (
        "name: greet\n"
        "steps:\n"
        "  hello: {run: mysteps.hello}\n"
        "schedules:\n"
        f"  - {trigger}\n"
        f"    start: '{start}'\n"
        f"    end: '{end}'\n"
    )


def validate(path: Path) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["validate", str(path)])
    return result.exit_code, result.output


@pytest.mark.parametrize(("trigger", "start", "end"), WINDOWS)
def test_an_end_not_after_start_is_invalid(
    make_project: ProjectFactory, trigger: str, start: str, end: str
) -> None:
    path = make_project(config(trigger, start, end), mysteps=STEPS)
    code, output = validate(path)
    assert code == 2, output
    assert "schedules" in output
    assert "`end`" in output
    assert "nothing was run" in output


def test_the_same_window_in_toml_is_invalid(make_project: ProjectFactory) -> None:
    text = (
        'name = "greet"\n\n[steps.hello]\nrun = "mysteps.hello"\n\n'
        '[[schedules]]\ncron = "0 6 * * *"\nstart = 2026-01-01T06:00:00+01:00\n'
        "end = 2026-01-01T06:00:00+01:00\n"
    )
    path = make_project(text, name="pipeline.toml", mysteps=STEPS)
    code, output = validate(path)
    assert code == 2, output
    assert "`end`" in output


@pytest.mark.parametrize(
    ("start", "end"),
    [("2026-01-01", "2026-01-02"), ("2026-01-01T06:00:00Z", "2026-01-01T06:00:01Z")],
)
def test_an_end_after_start_is_valid(make_project: ProjectFactory, start: str, end: str) -> None:
    """The control: the same configs pass once `end` is later."""
    path = make_project(config("cron: '0 6 * * *'", start, end), mysteps=STEPS)
    code, output = validate(path)
    assert code == 0, output
