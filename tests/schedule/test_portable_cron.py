"""The exports write cron expressions every cron reads.

croniter, and so `pipeflow serve`, reads a range that runs past its field's end as wrapping
(`22-2`: 22, 23, 0, 1, 2; `fri-mon`; `28-3`), and `?` as `*`. cronie, Vixie cron and GitHub
Actions refuse both (`bad hour`): before, `--export crontab` wrote them as they were, and the
crontab could not be installed. They are written as the values serve fires at, and the
expression fires at exactly the same times.
"""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from click.testing import CliRunner
from croniter import croniter

from pipeflow.cli import cli
from pipeflow.schedule.convert import portable
from pipeflow.schedule.cron import days_or
from tests.conftest import ProjectFactory

EXPRESSIONS = [
    ("0 22-2 * * *", "0 0-2,22,23 * * *"),
    ("0 22-2/2 * * *", "0 0,2,22 * * *"),
    ("55-5 * * * *", "0-5,55-59 * * * *"),
    ("0 0 * * fri-mon", "0 0 * * 0,1,5,6"),
    ("0 0 * * 5-1", "0 0 * * 0,1,5,6"),
    ("0 0 28-3 * *", "0 0 1-3,28-31 * *"),
    ("0 0 1 nov-feb *", "0 0 1 1,2,11,12 *"),
    ("0 0 28-3 * 1", "0 0 1-3,28-31 * 1"),
    ("0 0 ? * 1-5", "0 0 * * 1-5"),
    ("0 9,22-1 * * *", "0 0,1,9,22,23 * * *"),
    # Kept as written: nothing to rewrite.
    ("0 6 * * 1-5", "0 6 * * 1-5"),
    ("*/15 * * jan-mar mon-fri", "*/15 * * jan-mar mon-fri"),
    ("0 0 */2 * 1", "0 0 */2 * 1"),
]

REVERSED = re.compile(r"(\w+)-(\w+)")


@pytest.mark.parametrize(("expression", "written"), EXPRESSIONS)
def test_a_wrapping_range_is_written_as_its_values(expression: str, written: str) -> None:
    assert portable(expression) == written


@pytest.mark.parametrize(("expression", "written"), EXPRESSIONS)
def test_the_written_expression_fires_when_serve_does(expression: str, written: str) -> None:
    assert days_or(portable(expression)) == days_or(expression)
    start, stop = datetime(2026, 1, 1), datetime(2026, 4, 1)
    fires = []
    for text in (expression, portable(expression)):
        walker = croniter(text, start, day_or=days_or(text))
        found = []
        while (moment := walker.get_next(datetime)) < stop:
            found.append(moment)
        fires.append(found)
    assert fires[0] == fires[1]
    assert fires[0], expression


CONFIG = """
name: wraps
steps:
  a: {run: wsteps.a}
schedules:
  - {cron: "0 22-2 * * fri-mon", timezone: UTC}
  - {cron: "0 0 ? * *", timezone: Europe/Berlin}
  - {cron: "30 23-1 * * *", timezone: Europe/Berlin}
"""


@pytest.mark.parametrize("export", ["crontab", "github-actions"])
def test_the_exports_write_no_wrapping_range_and_no_question_mark(
    make_project: ProjectFactory, export: str
) -> None:
    path = make_project(CONFIG, wsteps="def a():\n    return 1\n")
    result = CliRunner().invoke(cli, ["schedule", str(path), "--export", export])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    if export == "crontab":
        crons = [line.split(" cd ")[0] for line in lines if " cd " in line]
        assert crons == ["0 0-2,22,23 * * 0,1,5,6", "0 0 * * *", "30 0,1,23 * * *"], crons
    else:
        crons = [line.split('"')[1] for line in lines if line.strip().startswith("- cron:")]
        assert crons, result.output
    for cron in crons:
        assert "?" not in cron, cron
        for low, high in REVERSED.findall(cron):
            assert int(low) < int(high), cron
