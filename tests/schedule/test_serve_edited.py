"""A config whose schedules are edited while `pipeflow serve` serves it: each fire runs with the
params of the schedule that fired, never with those of another one that took its place in the
list; a schedule no longer in the config fires no run (it is recorded as a failed fire)."""

from __future__ import annotations

import textwrap
import time
from pathlib import Path

import pytest

from pipeflow.history import open_history
from tests.schedule.test_serve_cli import read_until, start, stop

STEPS = """
def report(tag: str) -> str:
    print("report tag:", tag)
    return tag
"""

EVERY_SECOND = {"interval": "1s", "tag": "every-second"}
YEARLY = {"cron": "0 0 1 1 *", "tag": "yearly-only"}

YAML_HEAD = """
name: edited
params: {tag: default}
results: {persist: false}
steps:
  report: {run: tagsteps.report, inputs: {tag: "${params.tag}"}, cache: false}
schedules:
"""

TOML_HEAD = """
name = "edited"

[params]
tag = "default"

[results]
persist = false

[steps.report]
run = "tagsteps.report"
inputs = {tag = "${params.tag}"}
cache = false
"""


def config_text(kind: str, schedules: list[dict[str, str]]) -> str:
    if kind == "yaml":
        lines = [textwrap.dedent(YAML_HEAD).lstrip()]
        for item in schedules:
            when = (
                f"interval: {item['interval']}" if "interval" in item else f'cron: "{item["cron"]}"'
            )
            lines.append(f"  - {when}\n    params: {{tag: {item['tag']}}}\n")
        return "".join(lines)
    lines = [textwrap.dedent(TOML_HEAD).lstrip()]
    for item in schedules:
        when = (
            f'interval = "{item["interval"]}"' if "interval" in item else f'cron = "{item["cron"]}"'
        )
        lines.append(f'\n[[schedules]]\n{when}\nparams = {{tag = "{item["tag"]}"}}\n')
    return "".join(lines)


@pytest.mark.parametrize("kind", ["yaml", "toml"])
@pytest.mark.parametrize("edit", ["reordered", "removed"])
def test_a_fire_runs_with_its_own_schedules_params_after_the_schedules_change(
    tmp_path: Path, kind: str, edit: str
) -> None:
    (tmp_path / "tagsteps.py").write_text(textwrap.dedent(STEPS))
    config = tmp_path / f"pipeline.{kind}"
    config.write_text(config_text(kind, [EVERY_SECOND, YEARLY]))
    process = start(config)
    seen = read_until(process, "serving edited schedule 2")
    # serve goes on firing schedule 1 (every 1s); the config's list changes under it.
    after = [YEARLY, EVERY_SECOND] if edit == "reordered" else [YEARLY]
    config.write_text(config_text(kind, after))
    edited = time.time()
    deadline = edited + 60
    while time.time() < deadline and not _ended_after(tmp_path, edited + 0.5):
        time.sleep(0.2)
    output = seen + stop(process)
    assert process.returncode == 0, output
    with open_history(tmp_path) as history:
        runs = history.runs(pipeline="edited")
    later = [run for run in runs if run.started.timestamp() > edited + 0.5]
    assert later, output
    # The every-second schedule fired all along: never with the yearly schedule's params.
    tags = {run.params.get("tag") for run in runs if run.state == "succeeded"}
    assert "yearly-only" not in tags, output
    assert "report tag: yearly-only" not in output
    if edit == "reordered":  # it is still in the config (now 2nd): its runs go on as before
        assert {run.state for run in later} <= {"succeeded", "skipped"}, output
        assert tags == {"every-second"}, output
    else:  # it is gone from the config: its fires do not run, and say why
        assert {run.state for run in later} <= {"failed", "skipped"}, output
        assert "edited schedule 1 (every 1s): the run could not start" in output, output
        assert "is no longer in the config" in output, output


def _ended_after(folder: Path, moment: float) -> bool:
    """Whether the history in `folder` holds a run that started after `moment` and ended."""
    if not (folder / ".pipeflow" / "runs.db").exists():
        return False
    with open_history(folder) as history:
        runs = history.runs(pipeline="edited")
    return any(run.started.timestamp() > moment and run.state != "running" for run in runs)
