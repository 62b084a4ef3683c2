"""A step is "started" when a worker begins it, not when it is handed to the executor. Before,
with more ready steps than workers, every one of them was announced at once ("s0: started",
"s1: started", "s2: started") and the ones waiting for a worker showed as running in the
console, the live view, the JSON lines and the history."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

import pipeflow
from pipeflow.cli import cli
from pipeflow.model.events import Event, StepFinished, StepStarted

STEPS = """
import time


def slow(i):
    time.sleep(0.15)
    return i
"""


def project(tmp_path: Path, executor: str, workers: int) -> Path:
    (tmp_path / "slowsteps.py").write_text(textwrap.dedent(STEPS))
    steps = "\n".join(f"  s{i}: {{run: slowsteps.slow, inputs: {{i: {i}}}}}" for i in range(4))
    config = tmp_path / "pipeline.yaml"
    config.write_text(
        f"name: queue\nexecutor: {{type: {executor}, workers: {workers}}}\n"
        f"results: {{root: out}}\nsteps:\n{steps}\n"
    )
    return config


def most_at_once(events: list[Event] | list[str]) -> int:
    """The most steps announced started and not yet finished at one time."""
    running: set[str] = set()
    most = 0
    for event in events:
        if isinstance(event, StepStarted) or (isinstance(event, str) and "started" in event):
            running.add(event.step if isinstance(event, StepStarted) else event.split(":")[0])
        elif isinstance(event, StepFinished) or (isinstance(event, str) and " done " in event):
            running.discard(
                event.outcome.step if isinstance(event, StepFinished) else event.split(":")[0]
            )
        most = max(most, len(running))
    return most


@pytest.mark.parametrize("executor", ["threads", "processes"])
@pytest.mark.parametrize("workers", [1, 2])
def test_events_announce_no_more_steps_than_workers(
    tmp_path: Path, executor: str, workers: int
) -> None:
    events: list[Event] = []
    run = pipeflow.load(project(tmp_path, executor, workers)).run(subscribers=[events.append])
    assert run.ok
    assert sum(isinstance(event, StepStarted) for event in events) == 4
    assert most_at_once(events) == workers


@pytest.mark.parametrize("executor", ["threads", "processes"])
def test_the_console_says_started_as_a_worker_begins_the_step(
    tmp_path: Path, executor: str
) -> None:
    config = project(tmp_path, executor, 1)

    printed = CliRunner().invoke(cli, ["run", str(config)])

    assert printed.exit_code == 0, printed.output
    lines = [line for line in printed.output.splitlines() if line.startswith("s")]
    assert len(lines) == 8, printed.output
    assert most_at_once(lines) == 1, printed.output


@pytest.mark.parametrize("executor", ["threads", "processes"])
def test_the_json_lines_say_started_as_a_worker_begins_the_step(
    tmp_path: Path, executor: str
) -> None:
    config = project(tmp_path, executor, 1)

    printed = CliRunner().invoke(cli, ["run", str(config), "--log-format", "json"])

    assert printed.exit_code == 0, printed.output
    said = [json.loads(line) for line in printed.output.splitlines() if line.startswith("{")]
    lines = [
        f"{event['step']}: started"
        if event["event"] == "StepStarted"
        else f"{event['outcome']['step']}: done in"
        for event in said
        if event["event"] in ("StepStarted", "StepFinished")
    ]
    assert len(lines) == 8, printed.output
    assert most_at_once(lines) == 1
