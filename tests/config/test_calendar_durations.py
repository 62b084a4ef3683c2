"""Weeks, months and years where a duration goes. A week has seven days: `2w` is told `14d`. A
month or a year has no fixed length: it is told to write days, and for a schedule's
`interval` how to fire on a date each month or year with `cron:`. `3M` (a month to some, a
minute to others) used to be told `3m`, which would have turned three months into three
minutes. Every duration a config or the command line takes, in YAML and TOML."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeflow.errors import ConfigError
from pipeflow.model.durations import parse_duration
from tests.conftest import ProjectFactory
from tests.system import pipeflow_in

STEPS = "def a():\n    return 1\n"

YAML = """
name: calendar
schedules:
  - {interval: "VALUE"}
steps:
  a: {run: csteps.a, timeout: "VALUE", retry_delay: "VALUE", retries: 1}
"""

TOML = """
name = "calendar"

[[schedules]]
interval = "VALUE"

[steps.a]
run = "csteps.a"
timeout = "VALUE"
retry_delay = "VALUE"
retries = 1
"""

MONTH = "a month has no fixed length: write days (`30d`)"
YEAR = "a year has no fixed length: write days (`365d`)"


def _hints(make_project: ProjectFactory, language: str, value: str) -> dict[str, str]:
    import pipeflow

    if language == "yaml":
        config = make_project(YAML.replace("VALUE", value), csteps=STEPS)
    else:
        config = make_project(TOML.replace("VALUE", value), name="pipeline.toml", csteps=STEPS)
    with pytest.raises(ConfigError) as refused:
        pipeflow.load(config)
    problems = refused.value.problems
    assert all(p.message == f"{value!r} is not a duration" for p in problems), problems
    return {p.path: p.hint or "" for p in problems}


@pytest.mark.parametrize("language", ["yaml", "toml"])
@pytest.mark.parametrize(
    ("value", "days"),
    [("1w", "7d"), ("2 weeks", "14d"), ("1.5wk", "10.5d"), ("1 week 2 days", "9d")],
)
def test_weeks_are_told_in_days(
    make_project: ProjectFactory, language: str, value: str, days: str
) -> None:
    hints = _hints(make_project, language, value)
    assert set(hints) == {"schedules[0].interval", "steps.a.timeout", "steps.a.retry_delay"}
    assert set(hints.values()) == {f"did you mean `{days}`?"}
    assert parse_duration(days) > 0  # what it is told is a duration


@pytest.mark.parametrize("language", ["yaml", "toml"])
@pytest.mark.parametrize(
    ("value", "advice", "cron"),
    [
        ("3M", MONTH, "0 6 1 * *"),
        ("1mo", MONTH, "0 6 1 * *"),
        ("2 months", MONTH, "0 6 1 * *"),
        ("1y", YEAR, "0 6 1 1 *"),
        ("1 year", YEAR, "0 6 1 1 *"),
    ],
)
def test_months_and_years_are_told_to_write_days_or_use_cron(
    make_project: ProjectFactory, language: str, value: str, advice: str, cron: str
) -> None:
    hints = _hints(make_project, language, value)
    assert hints["steps.a.timeout"] == advice
    assert hints["steps.a.retry_delay"] == advice
    spelled = f'cron: "{cron}"' if language == "yaml" else f'cron = "{cron}"'
    assert hints["schedules[0].interval"].startswith(advice + ", or, to run on a date each ")
    assert hints["schedules[0].interval"].endswith(f"`{spelled}` instead")
    assert "`3m`" not in " ".join(hints.values())


@pytest.mark.parametrize(
    "command", [("gc", "pipeline.yaml"), ("runs", "prune")], ids=["gc", "runs-prune"]
)
@pytest.mark.parametrize(
    ("value", "said"),
    [("2weeks", "did you mean `14d`?"), ("3M", MONTH), ("1y", YEAR)],
)
def test_an_age_on_the_command_line_is_told_the_same(
    make_project: ProjectFactory, command: tuple[str, ...], value: str, said: str
) -> None:
    config = make_project(YAML.replace("VALUE", "1h"), csteps=STEPS)
    refused = pipeflow_in(config.parent, *command, "--older-than", value)
    assert refused.returncode == 2, refused.stderr
    assert f"`{value}` is not a duration; {said}" in refused.stderr
    assert "cron" not in refused.stderr  # an age is no schedule


def test_a_duration_given_in_python_is_told_the_same(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="did you mean `14d`"):
        parse_duration("2 weeks")
    with pytest.raises(ValueError, match="a month has no fixed length"):
        parse_duration("3M")
