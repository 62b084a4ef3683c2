"""Every duration a config gives (`timeout`, `retry_delay` in `defaults:` and in a step, a
schedule's `interval`) is checked by `validate`: finite, not negative, at most 365d, an interval
at least 1s — each reported once, where it is written (exit 2, nothing run). Before, `.inf` or
`1e30` validated and then every step failed with an OverflowError, a huge `retry_delay` crashed
pipeflow itself, and a tiny or huge interval crashed `pipeflow schedule`.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

import pipeflow
from pipeflow.errors import ConfigError
from pipeflow.model.pipeline import RetryPolicy
from tests.system import pipeflow_in

LONGEST = 365 * 86400.0  # the documented bound (docs/config.md, Durations)

STEPS = """
from pathlib import Path

def one():
    Path(__file__).with_name("ran").write_text("ran")
    return 1
"""

# Each bad spelling as YAML and as TOML writes it, and what the problem says.
SPELLINGS = [
    ("inf", ".inf", "inf", "must be at most 365d"),
    ("nan", ".nan", "nan", "must be a duration"),
    ("1e30", "1e30", "1e30", "must be at most 365d"),
    ("huge-with-unit", "99999999999999999999d", '"99999999999999999999d"', "at most 365d"),
    ("just-over", "365d1ms", '"365d1ms"', "must be at most 365d"),
    ("negative", "-5", "-5", "must be at least 0"),
    ("negative-inf", "-.inf", "-inf", "must be at least 0"),
    ("negative-text", "-5s", '"-5s"', "is not a duration"),
    # Not text nor a number: the schema's problem, once (the build's parse said nothing more,
    # where it ended in an AttributeError traceback before).
    ("list", "[1]", "[1]", "got a list"),
    ("empty-list", "[]", "[]", "got a list"),
    ("mapping", "{x: [1]}", "{x = [1]}", "got a mapping"),
]
FIELDS = [
    "defaults.timeout",
    "defaults.retry_delay",
    "steps.a.timeout",
    "steps.a.retry_delay",
    "schedules[0].interval",
]


def _config(tmp_path: Path, kind: str, field: str, value: str) -> Path:
    """Three steps; `field` set to `value`, everything else valid."""
    (tmp_path / "durs.py").write_text(STEPS)
    section, _, key = field.partition(".")
    if kind == "yaml":
        defaults = f"defaults: {{{key}: {value}}}\n" if section == "defaults" else ""
        own = f", {field.split('.')[-1]}: {value}" if section == "steps" else ""
        interval = value if section.startswith("schedules") else "1h"
        text = (
            f"name: d\n{defaults}steps:\n"
            f"  a: {{run: durs.one, cache: false{own}}}\n"
            "  b: {run: durs.one, cache: false}\n"
            "  c: {run: durs.one, cache: false}\n"
            f"schedules:\n  - interval: {interval}\n"
        )
    else:
        defaults = f"[defaults]\n{key} = {value}\n" if section == "defaults" else ""
        own = f"{field.split('.')[-1]} = {value}\n" if section == "steps" else ""
        interval = value if section.startswith("schedules") else '"1h"'
        text = (
            f'name = "d"\n{defaults}'
            f'[steps.a]\nrun = "durs.one"\ncache = false\n{own}'
            '[steps.b]\nrun = "durs.one"\ncache = false\n'
            '[steps.c]\nrun = "durs.one"\ncache = false\n'
            f"[[schedules]]\ninterval = {interval}\n"
        )
    path = tmp_path / f"d.{kind}"
    path.write_text(text)
    return path


def _cli(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`pipeflow COMMAND CONFIG OPTIONS...` in the config's folder."""
    return pipeflow_in(config.parent, args[0], config.name, *args[1:])


@pytest.mark.parametrize("kind", ["yaml", "toml"])
@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize(
    ("yaml", "toml", "message"), [s[1:] for s in SPELLINGS], ids=[s[0] for s in SPELLINGS]
)
def test_each_bad_duration_is_one_problem_where_it_is_written(
    tmp_path: Path, kind: str, field: str, yaml: str, toml: str, message: str
) -> None:
    config = _config(tmp_path, kind, field, yaml if kind == "yaml" else toml)
    with pytest.raises(ConfigError) as raised:
        pipeflow.load(config)
    problems = raised.value.problems
    assert [p.path for p in problems] == [field], raised.value.format()
    assert message in problems[0].message
    assert problems[0].line is not None


@pytest.mark.parametrize("kind", ["yaml", "toml"])
@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("command", ["validate", "run"])
@pytest.mark.parametrize("value", ["inf", "list"])
def test_the_commands_refuse_a_bad_duration_before_anything_runs(
    tmp_path: Path, kind: str, field: str, command: str, value: str
) -> None:
    yaml, toml = {"inf": (".inf", "inf"), "list": ("[]", "[]")}[value]
    config = _config(tmp_path, kind, field, yaml if kind == "yaml" else toml)
    result = _cli(config, command)
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert f"error at `{field}`" in output
    assert "1 problem found; nothing was run." in output
    assert "Traceback" not in output
    assert "OverflowError" not in output
    assert "AttributeError" not in output
    assert not (tmp_path / "ran").exists()
    assert "interrupted" not in _cli(config, "runs").stdout


@pytest.mark.parametrize("kind", ["yaml", "toml"])
def test_the_longest_durations_are_valid_and_run(tmp_path: Path, kind: str) -> None:
    config = _config(tmp_path, kind, "defaults.timeout", "365d" if kind == "yaml" else '"365d"')
    text = config.read_text()
    if kind == "yaml":
        text = text.replace("{timeout: 365d}", "{timeout: 365d, retry_delay: 365d, retries: 1}")
        text = text.replace("interval: 1h", "interval: 365d")
    else:
        text = text.replace('timeout = "365d"\n', 'timeout = "365d"\nretry_delay = "365d"\n')
        text = text.replace('interval = "1h"', 'interval = "365d"')
    config.write_text(text)
    result = _cli(config, "run")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "ran").exists()


# -- `defaults:`: each value reported once, at `defaults.KEY`, never at each step -------------

DEFAULTS_CASES = [
    ("timeout: 0s", "defaults.timeout", "a timeout must be longer than zero"),
    ("timeout: 0", "defaults.timeout", "a timeout must be longer than zero"),
    ("{timeout: 1s, retries: 1, retry_delay: 5s}", "defaults.timeout", "shorter than the delay"),
    ("retry_delay: 400d", "defaults.retry_delay", "at most 365d"),
    ("retries: -1", "defaults.retries", "at least 0"),
    ("retry_backoff: 0.5", "defaults.retry_backoff", "at least 1"),
    ("cache: 3", "defaults.cache", "true or false"),
]


@pytest.mark.parametrize(("value", "where", "message"), DEFAULTS_CASES)
def test_a_bad_default_is_reported_once_at_defaults(
    tmp_path: Path, value: str, where: str, message: str
) -> None:
    (tmp_path / "durs.py").write_text(STEPS)
    config = tmp_path / "p.yaml"
    config.write_text(
        f"name: d\ndefaults:\n  {value}\nsteps:\n"
        "  a: {run: durs.one}\n  b: {run: durs.one}\n  c: {run: durs.one}\n"
    )
    result = _cli(config, "validate")
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert "p.yaml:3:" in output, output
    assert f"error at `{where}`" in output
    assert message in output
    assert "1 problem found" in output
    assert "steps." not in output


def test_a_pair_made_by_a_step_is_reported_at_the_key_it_has(tmp_path: Path) -> None:
    (tmp_path / "durs.py").write_text(STEPS)
    config = tmp_path / "p.yaml"
    config.write_text(
        "name: d\ndefaults: {timeout: 1s, retry_delay: 5s}\nsteps:\n"
        "  a: {run: durs.one}\n"
        "  b: {run: durs.one, retries: 2}\n"
        "  c: {run: durs.one, retries: 1, retry_delay: 3s}\n"
        "  d: {run: durs.one, retries: 1, timeout: 2s}\n"
    )
    with pytest.raises(ConfigError) as raised:
        pipeflow.load(config)
    assert [p.path for p in raised.value.problems] == [
        "steps.b.retries",
        "steps.c.retry_delay",
        "steps.d.timeout",
    ]


# -- schedules ---------------------------------------------------------------------------------

BAD_SCHEDULES = [
    ("interval: 1e-9", "schedules[0].interval", "at least 1s"),
    ("interval: 500ms", "schedules[0].interval", "at least 1s"),
    ("interval: 0s", "schedules[0].interval", "at least 1s"),
    ("interval: 99999999999d", "schedules[0].interval", "at most 365d"),
    ("interval: .inf", "schedules[0].interval", "at most 365d"),
    ("{interval: 1h, start: '9999-12-31T23:00:00Z'}", "schedules[0].start", "before the year"),
    ("{interval: 1h, start: '9998-01-01'}", "schedules[0].start", "before the year 9998"),
    ("{cron: '0 * * * *', end: '9999-12-31'}", "schedules[0].end", "before the year 9998"),
    (
        "{cron: '0 * * * *', start: '9997-12-31T23:00:00-12:00'}",
        "schedules[0].start",
        "before the year 9998",
    ),
    (
        "{interval: 1h, start: '9999-12-31T23:00:00-12:00'}",  # past what a datetime holds
        "schedules[0].start",
        "before the year 9998",
    ),
    ("{interval: 1h, start: '0001-01-01'}", "schedules[0].start", "in the year 2 or later"),
    (
        "{interval: 1h, start: '0001-01-01T00:00:00', timezone: Asia/Tokyo}",  # UTC: year 0
        "schedules[0].start",
        "in the year 2 or later",
    ),
    (
        "{cron: '0 0 * * *', end: '0001-01-01T05:00:00+05:00', timezone: America/New_York}",
        "schedules[0].end",
        "in the year 2 or later",
    ),
]


@pytest.mark.parametrize(("schedule", "where", "message"), BAD_SCHEDULES)
@pytest.mark.parametrize("command", ["validate", "schedule", "serve", "run"])
def test_a_schedule_out_of_range_is_refused_by_every_command(
    tmp_path: Path, schedule: str, where: str, message: str, command: str
) -> None:
    (tmp_path / "durs.py").write_text(STEPS)
    config = tmp_path / "p.yaml"
    config.write_text(f"name: d\nsteps:\n  a: {{run: durs.one}}\nschedules:\n  - {schedule}\n")
    result = _cli(config, command, *(["--next", "2"] if command == "schedule" else []))
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert "p.yaml:5:" in output, output
    assert f"error at `{where}`" in output
    assert message in output
    assert "Traceback" not in output
    assert not (tmp_path / "ran").exists()


@pytest.mark.parametrize("command", ["validate", "schedule"])
@pytest.mark.parametrize("start", ["'0001-01-01T00:00:00'", "0001-01-01T00:00:00"])
def test_a_toml_start_before_the_year_2_is_refused(
    tmp_path: Path, start: str, command: str
) -> None:
    """TOML writes a time quoted or as its own datetime; either, before the year 2 in UTC, is
    refused at its line (it was an OverflowError traceback in Asia/Tokyo)."""
    (tmp_path / "durs.py").write_text(STEPS)
    config = tmp_path / "p.toml"
    config.write_text(
        'name = "d"\n[steps.a]\nrun = "durs.one"\n'
        f'[[schedules]]\ninterval = "1h"\ntimezone = "Asia/Tokyo"\nstart = {start}\n'
    )
    result = _cli(config, command)
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert "p.toml:7:" in output, output
    assert "error at `schedules[0].start`" in output
    assert "in the year 2 or later" in output
    assert "Traceback" not in output


@pytest.mark.parametrize(
    "schedule",
    ["{interval: 365d, start: '9997-12-31T23:00:00Z'}", "{cron: '0 0 1 1 *', start: '9997-12-31'}"],
)
def test_fire_times_stop_at_the_last_date_instead_of_crashing(
    tmp_path: Path, schedule: str
) -> None:
    (tmp_path / "durs.py").write_text(STEPS)
    config = tmp_path / "p.yaml"
    config.write_text(f"name: d\nsteps:\n  a: {{run: durs.one}}\nschedules:\n  - {schedule}\n")
    result = _cli(config, "schedule", "--next", "5")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "9999-" in output
    assert "no more fire times" in output


def test_a_delay_grown_by_the_backoff_stops_at_the_longest() -> None:
    policy = RetryPolicy(retries=2000, delay=LONGEST, backoff=10.0)
    assert policy.delay_before(2) == LONGEST
    assert policy.delay_before(3, jitter=1.0) == LONGEST
    assert policy.delay_before(2000, jitter=0.5) == LONGEST  # 10**1998 overflows a float
    assert RetryPolicy(retries=3, delay=1.0, backoff=2.0).delay_before(4) == 4.0


# -- retry_backoff: a finite factor ------------------------------------------------------------

BACKOFFS = [("nan", ".nan", "nan"), ("inf", ".inf", "inf")]


@pytest.mark.parametrize("kind", ["yaml", "toml"])
@pytest.mark.parametrize("where", ["defaults", "step"])
@pytest.mark.parametrize("command", ["validate", "run"])
@pytest.mark.parametrize(("yaml", "toml"), [b[1:] for b in BACKOFFS], ids=[b[0] for b in BACKOFFS])
def test_a_backoff_that_is_no_finite_number_is_refused_before_anything_runs(
    tmp_path: Path, kind: str, where: str, command: str, yaml: str, toml: str
) -> None:
    """Before, `retry_backoff: .nan` validated, and the step's second retry waited forever
    (its delay was NaN); `.inf` waited the longest delay, 365 days."""
    (tmp_path / "durs.py").write_text(STEPS)
    config = tmp_path / f"p.{kind}"
    if kind == "yaml":
        own = f", retry_backoff: {yaml}" if where == "step" else ""
        defaults = (
            f"defaults: {{retries: 3, retry_backoff: {yaml}}}\n" if where == "defaults" else ""
        )
        config.write_text(f"name: d\n{defaults}steps:\n  a: {{run: durs.one, retries: 3{own}}}\n")
    else:
        own = f"retry_backoff = {toml}\n" if where == "step" else ""
        defaults = f"[defaults]\nretry_backoff = {toml}\n" if where == "defaults" else ""
        config.write_text(f'name = "d"\n{defaults}[steps.a]\nrun = "durs.one"\nretries = 3\n{own}')
    result = _cli(config, command)
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    field = "defaults.retry_backoff" if where == "defaults" else "steps.a.retry_backoff"
    assert f"error at `{field}`: `retry_backoff` must be a finite number, got {toml}" in output
    assert "1 problem found; nothing was run." in output
    assert not (tmp_path / "ran").exists()
