"""A run a schedule fired records which schedule (its number and what it is: `2 (every 4s)`),
as `pipeflow runs show` (text and `--json`), `pipeflow runs --json` and the UI's pages show
it: with several schedules (an hourly refresh, a nightly full one with other params) the
history tells their runs apart. So do the fires that started no run (skipped, refused), and a
run of `pipeflow.load(config, schedule=N)`. A run no schedule fired records none (null)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import pipeflow
from pipeflow.history import open_history
from tests.conftest import ProjectFactory
from tests.system import pipeflow_in

STEPS = """
def report(kind: str) -> str:
    return kind
"""
YAML = """
name: kinds
params: {kind: quick}
results: {persist: false}
steps:
  report: {run: kindsteps.report, inputs: {kind: "${params.kind}"}, cache: false}
schedules:
  - interval: 2s
    start: "2026-01-01T00:00:00Z"
  - interval: 4s
    start: "2026-01-01T00:00:00Z"
    params: {kind: full}
"""
TOML = """
name = "kinds"
params = {kind = "quick"}
results = {persist = false}
[steps.report]
run = "kindsteps.report"
inputs = {kind = "${params.kind}"}
cache = false
[[schedules]]
interval = "2s"
start = "2026-01-01T00:00:00Z"
[[schedules]]
interval = "4s"
start = "2026-01-01T00:00:00Z"
params = {kind = "full"}
"""
FIRST = "1 (every 2s, from 2026-01-01T00:00:00+00:00)"
SECOND = "2 (every 4s, from 2026-01-01T00:00:00+00:00)"


def _project(make_project: ProjectFactory, spelling: str) -> Path:
    text = textwrap.dedent(YAML if spelling == "yaml" else TOML)
    return make_project(text, name=f"pipeline.{spelling}", kindsteps=STEPS)


@pytest.mark.parametrize("spelling", ["yaml", "toml"])
def test_serve_records_the_schedule_of_each_run(
    make_project: ProjectFactory, spelling: str
) -> None:
    config = _project(make_project, spelling)
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeflow", "serve", str(config)],
        cwd=config.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    time.sleep(8.5)  # both schedules fire, together at least once
    os.killpg(process.pid, signal.SIGTERM)
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 0, output
    with open_history(config.parent) as history:
        runs = history.runs(pipeline="kinds")
    ran = [run for run in runs if run.state == "succeeded"]
    assert {run.schedule for run in ran} == {FIRST, SECOND}, output
    for run in ran:  # each with its own schedule's params
        assert run.params["kind"] == ("full" if run.schedule == SECOND else "quick")
    for run in runs:  # a fire skipped too
        assert run.trigger == "schedule", run
        assert run.schedule in (FIRST, SECOND), run

    second = next(run for run in ran if run.schedule == SECOND)
    shown = pipeflow_in(config.parent, "runs", "show", second.id)
    assert shown.returncode == 0, shown.stderr
    assert f"schedule {SECOND}" in shown.stdout, shown.stdout
    document = json.loads(pipeflow_in(config.parent, "runs", "show", second.id, "--json").stdout)
    assert document["trigger"] == "schedule"
    assert document["schedule"] == SECOND
    listed = json.loads(pipeflow_in(config.parent, "runs", "--json").stdout)
    assert {entry["schedule"] for entry in listed} == {FIRST, SECOND}


@pytest.mark.parametrize("spelling", ["yaml", "toml"])
def test_a_run_loaded_with_a_schedule_records_it_and_others_none(
    make_project: ProjectFactory, spelling: str
) -> None:
    config = _project(make_project, spelling)
    scheduled = pipeflow.load(config, schedule=2).run()
    manual = pipeflow.load(config).run()
    with open_history(config.parent) as history:
        assert history.run(scheduled.id).schedule == SECOND
        assert history.run(manual.id).schedule is None
    document = json.loads(pipeflow_in(config.parent, "runs", "show", manual.id, "--json").stdout)
    assert document["schedule"] is None
    shown = pipeflow_in(config.parent, "runs", "show", manual.id).stdout
    assert "schedule" not in shown, shown
