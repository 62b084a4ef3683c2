"""An export none of whose schedules can be written is refused (exit 2, on stderr, nothing
written), by either export: `--export crontab` exited 0 with a crontab of comments alone,
which `| crontab -` installed as a schedule that never runs, while `--export github-actions`
refused the same config."""

from __future__ import annotations

import pytest

from tests import system
from tests.conftest import ProjectFactory

STEPS = "def hello() -> str:\n    return 'hello'\n"
YAML = """\
name: greet
steps:
  hello: {run: exportsteps.hello}
schedules:
  - interval: 90m
  - interval: 45s
"""
TOML = """\
name = "greet"
[steps.hello]
run = "exportsteps.hello"
[[schedules]]
interval = "90m"
[[schedules]]
interval = "45s"
"""


@pytest.mark.parametrize("spelling", ["yaml", "toml"])
@pytest.mark.parametrize("kind", ["crontab", "github-actions"])
def test_an_export_with_no_schedule_it_can_write_is_refused(
    make_project: ProjectFactory, spelling: str, kind: str
) -> None:
    path = make_project(
        YAML if spelling == "yaml" else TOML, name=f"pipeline.{spelling}", exportsteps=STEPS
    )
    result = system.pipeflow_in(path.parent, "schedule", path.name, "--export", kind)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == ""
    assert "none of the schedules can be written as" in result.stderr
    assert "every 1h30m cannot be exported" in result.stderr
    assert "every 45s cannot be exported" in result.stderr
    kept = path.parent / "kept.txt"
    kept.write_text("as it was")
    result = system.pipeflow_in(
        path.parent, "schedule", path.name, "--export", kind, "-o", "kept.txt"
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert kept.read_text() == "as it was"


@pytest.mark.parametrize("kind", ["crontab", "github-actions"])
def test_an_export_with_one_schedule_it_can_write_writes_it(
    make_project: ProjectFactory, kind: str
) -> None:
    path = make_project(YAML + "  - interval: 15m\n", exportsteps=STEPS)
    result = system.pipeflow_in(path.parent, "schedule", path.name, "--export", kind)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "*/15 * * * *" in result.stdout
    assert "every 1h30m cannot be exported" in result.stdout
