"""The run's displays: live progress on a terminal, and JSON lines for machines."""

from __future__ import annotations

import io
import json
import re

import pipeflow
from pipeflow.report.jsonlines import JsonLinesReporter
from pipeflow.report.live import LiveReporter
from tests.conftest import ProjectFactory

STEPS = """
def make(count: int) -> list:
    print("making", count)
    return list(range(count))

def boom(values: list) -> int:
    raise ValueError("no good")
"""

CONFIG = """
name: shown
results: {persist: false}
steps:
  make: {run: mysteps.make, inputs: {count: 3}}
  boom: {run: mysteps.boom, inputs: {values: "${steps.make}"}}
"""


def test_live_progress_on_a_terminal(make_project: ProjectFactory) -> None:
    config = make_project(CONFIG, mysteps=STEPS)
    screen = io.StringIO()
    run = pipeflow.load(config).run(subscribers=[LiveReporter(screen, force_terminal=True)])
    assert not run.ok
    raw = screen.getvalue()
    assert "\x1b[" in raw  # colours and cursor moves: it drew for a terminal
    text = re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", raw)
    assert "make | making 3" in text
    assert "boom failed" in text
    assert "ValueError: no good" in text
    # The summary table at the end names each step and its state.
    assert "✔ done" in text
    assert "✘ failed" in text


def test_json_lines_for_machines(make_project: ProjectFactory) -> None:
    config = make_project(CONFIG, mysteps=STEPS)
    out = io.StringIO()
    pipeflow.load(config).run(subscribers=[JsonLinesReporter(out)])
    events = [json.loads(line) for line in out.getvalue().splitlines()]
    kinds = [event["event"] for event in events]
    assert kinds[0] == "RunStarted"
    assert kinds[-1] == "RunFinished"
    finished = [e["outcome"] for e in events if e["event"] == "StepFinished"]
    assert {f["step"]: f["state"] for f in finished} == {"make": "done", "boom": "failed"}
    output = [e for e in events if e["event"] == "StepOutput"]
    assert output[0]["text"] == "making 3"


def test_the_plan_line_counts_one_step_as_one_step(make_project: ProjectFactory) -> None:
    from click.testing import CliRunner

    from pipeflow.cli import cli

    one = make_project(
        "name: one\nresults: {persist: false}\nsteps:\n  make: {run: mysteps.make, "
        "inputs: {count: 1}}\n",
        mysteps=STEPS,
    )
    shown = CliRunner().invoke(cli, ["run", str(one)])
    assert ": 1 step (1 to run)\n" in shown.output, shown.output
    two = make_project(CONFIG, name="two.yaml", mysteps=STEPS)
    shown = CliRunner().invoke(cli, ["run", str(two)])
    assert ": 2 steps (2 to run)\n" in shown.output, shown.output


HUGE_STEPS = """
def huge():
    raise ValueError("x" * 200_000)
"""


def test_a_huge_failure_message_is_cut_on_its_failed_line_and_kept_whole_elsewhere(
    make_project: ProjectFactory,
) -> None:
    from pipeflow.report.console import ConsoleReporter

    config = make_project(
        "name: huge\nresults: {persist: false}\nsteps:\n  s: {run: hsteps.huge}\n",
        hsteps=HUGE_STEPS,
    )
    screen = io.StringIO()
    run = pipeflow.load(config).run(subscribers=[ConsoleReporter(screen)], history=False)
    (line,) = [line for line in screen.getvalue().splitlines() if line.startswith("s: FAILED")]
    assert line.endswith("[... 198,012 more characters: `pipeflow runs show`]"), line[-80:]
    assert len(line) < 2_100
    assert len(run.outcomes["s"].error or "") == len("ValueError: ") + 200_000  # kept whole
