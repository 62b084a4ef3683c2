"""A schedule whose `end` has passed is left out of either export, as `serve` skips it.

Before, `--export crontab` wrote it as a live line (with a note that cron cannot enforce
`end`): a schedule that ended in 2020 ran every hour from when the crontab was installed, for
good; the GitHub Actions workflow did the same.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from pipeflow.cli import cli
from tests.conftest import ProjectFactory

STEPS = "def hello() -> str:\n    return 'hello'\n"
CONFIG = """\
name: greet
steps:
  hello: {run: endsteps.hello}
schedules:
  - {interval: 1h, end: "2020-01-01"}
  - {cron: "0 6 * * *", end: "2020-06-01T00:00:00Z"}
  - {cron: "30 7 * * *"}
"""
ENDED = """\
name: greet
steps:
  hello: {run: endsteps.hello}
schedules:
  - {interval: 1h, end: "2020-01-01"}
"""


def export(path: str, kind: str, *after: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["schedule", path, "--export", kind, *after])
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("kind", ["crontab", "github-actions"])
def test_an_ended_schedule_is_not_exported(make_project: ProjectFactory, kind: str) -> None:
    path = str(make_project(CONFIG, endsteps=STEPS))
    code, output, _ = export(path, kind)
    assert code == 0, output
    live = [line for line in output.splitlines() if not line.lstrip().startswith("#")]
    written = "\n".join(live)
    assert "30 7 * * *" in written, output
    assert "0 * * * *" not in written, output
    assert "0 6 * * *" not in written, output
    assert output.count("never fires again") == 2, output


@pytest.mark.parametrize("kind", ["crontab", "github-actions"])
def test_it_is_exported_when_counted_from_before_its_end(
    make_project: ProjectFactory, kind: str
) -> None:
    path = str(make_project(CONFIG, endsteps=STEPS))
    code, output, _ = export(path, kind, "--after", "2019-06-01T00:00:00Z")
    assert code == 0, output
    assert "never fires again" not in output, output
    assert "0 * * * *" in output, output


@pytest.mark.parametrize("kind", ["crontab", "github-actions"])
def test_an_export_of_ended_schedules_only_is_refused(
    make_project: ProjectFactory, kind: str
) -> None:
    path = str(make_project(ENDED, endsteps=STEPS))
    code, output, error = export(path, kind)
    assert code == 2, output + error
    assert output == "", output
    assert "never fires again" in error, error
