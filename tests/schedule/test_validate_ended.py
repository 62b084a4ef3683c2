"""`pipeflow validate` warns of a schedule that will never fire again (its `end` has passed,
or no fire time is left before it): the config is valid (exit 0), but `pipeflow serve` would
skip that schedule, which a config kept in a repository may not mean any more. A schedule
with fire times ahead, or with no `end`, is not mentioned."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeflow.cli import cli

STEPS = "def hello():\n    return 'hello'\n"
SOON = (datetime.now(timezone.utc) + timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
LATER = (datetime.now(timezone.utc) + timedelta(days=30)).strftime("%Y-%m-%d")

YAML = f"""\
name: greet
steps:
  hello: {{run: gsteps.hello}}
schedules:
  - interval: 1h
    start: 2020-01-01T00:00:00Z
    end: 2021-01-01T00:00:00Z
  - cron: "0 6 1 1 *"
    end: "{SOON}"
  - cron: "0 6 * * *"
    end: "{LATER}"
  - interval: 1d
"""
TOML = f"""\
name = "greet"
[steps.hello]
run = "gsteps.hello"
[[schedules]]
interval = "1h"
start = 2020-01-01T00:00:00Z
end = 2021-01-01T00:00:00Z
[[schedules]]
cron = "0 6 1 1 *"
end = "{SOON}"
[[schedules]]
cron = "0 6 * * *"
end = "{LATER}"
[[schedules]]
interval = "1d"
"""
PAST = (
    "warning: schedule 1 (every 1h, from 2020-01-01T00:00:00+00:00, until "
    "2021-01-01T00:00:00+00:00) never fires again: no fire time is left before its `end`; "
    "`pipeflow serve` skips it"
)
CLOSED = "warning: schedule 2 (cron `0 6 1 1 *` in UTC, until "


@pytest.fixture(params=["pipeline.yaml", "pipeline.toml"])
def config(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    (tmp_path / "gsteps.py").write_text(STEPS)
    path = tmp_path / request.param
    path.write_text(YAML if path.suffix == ".yaml" else TOML)
    return path


def test_a_schedule_that_never_fires_again_is_a_warning(config: Path) -> None:
    result = CliRunner().invoke(cli, ["validate", str(config)])
    assert result.exit_code == 0, result.output
    assert "is valid (1 step)" in result.stdout
    lines = result.stderr.splitlines()
    assert PAST in lines, result.stderr
    closed = [line for line in lines if line.startswith(CLOSED)]
    assert len(closed) == 1, result.stderr
    assert closed[0].endswith(
        "never fires again: no fire time is left before its `end`; `pipeflow serve` skips it"
    )
    assert len(lines) == 2, result.stderr  # schedules 3 and 4 fire again


def test_the_json_report_lists_the_warnings(config: Path) -> None:
    result = CliRunner().invoke(cli, ["validate", str(config), "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["valid"] is True
    assert [w.startswith(("schedule 1 (", "schedule 2 (")) for w in report["warnings"]] == [
        True,
        True,
    ]
    assert result.stderr == ""


def test_a_config_whose_schedules_all_fire_again_has_no_warning(tmp_path: Path) -> None:
    (tmp_path / "gsteps.py").write_text(STEPS)
    path = tmp_path / "pipeline.yaml"
    path.write_text(
        "name: greet\nsteps:\n  hello: {run: gsteps.hello}\n"
        f"schedules:\n  - cron: '0 6 * * *'\n    end: '{LATER}'\n"
    )
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    report = json.loads(CliRunner().invoke(cli, ["validate", str(path), "--format", "json"]).stdout)
    assert report["warnings"] == []
