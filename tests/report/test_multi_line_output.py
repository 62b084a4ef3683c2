"""Every line a step printed or logged is shown after the step's name: on the console (plain
and live), in `pipeflow logs` and in the UI's logs as text. Before, a log record of several
lines (`log.exception(...)`, whose traceback follows its message) had its name on its first
line only, so in CI, with steps side by side, the traceback belonged to no step; and a
carriage return wrote the rest of a line over the step's name on a terminal."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import pipeflow
from pipeflow.cli import cli
from pipeflow.report.live import LiveReporter
from pipeflow.ui.app import Settings, create_app
from tests.conftest import ProjectFactory

STEPS = """
import logging

log = logging.getLogger("talker")


def talk():
    print("one\\rtwo")
    log.warning("first line\\nsecond line")
    try:
        raise ValueError("bad")
    except ValueError:
        log.exception("it failed")
    return 1
"""

CONFIG = """
name: talk
results: {root: out}
steps:
  talker: {run: talksteps.talk}
"""

EXPECTED = [
    "talker | two",  # as a terminal shows the line: `two` written over `one`
    "talker | WARNING: first line",
    "talker | second line",
    "talker | ERROR: it failed",
    "talker | Traceback (most recent call last):",
]


def output_lines(text: str) -> list[str]:
    """The lines of `text` that come from the step, in order, from its first one."""
    lines = [line.rstrip() for line in text.splitlines()]
    start = next(i for i, line in enumerate(lines) if line.endswith("| two"))
    return lines[start : start + len(EXPECTED) + 3]


def check(lines: list[str]) -> None:
    assert lines[: len(EXPECTED)] == EXPECTED, lines
    assert lines[-1] == "talker | ValueError: bad", lines  # the traceback's last line
    assert all(line.startswith("talker | ") for line in lines), lines


@pytest.fixture
def config(make_project: ProjectFactory) -> Path:
    return make_project(CONFIG, talksteps=STEPS)


def test_the_console_says_the_step_on_every_line(config: Path) -> None:
    ran = CliRunner().invoke(cli, ["run", str(config)])
    assert ran.exit_code == 0, ran.output
    check(output_lines(ran.output))


def test_the_live_view_says_the_step_on_every_line(config: Path) -> None:
    screen = io.StringIO()
    run = pipeflow.load(config).run(subscribers=[LiveReporter(screen, force_terminal=True)])
    assert run.ok
    text = re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", screen.getvalue())
    said = [line.rstrip() for line in text.splitlines() if line.startswith("talker |")]
    said = said[said.index("talker | two") :]  # after `one`, shown as `one\r` came
    assert said[: len(EXPECTED)] == EXPECTED, text  # the table is redrawn between them
    assert "talker | ValueError: bad" in said, text


def test_logs_and_the_ui_say_the_step_on_every_line(config: Path, tmp_path: Path) -> None:
    run = pipeflow.load(config).run()
    assert run.ok
    logs = CliRunner().invoke(cli, ["logs", "--home", str(tmp_path / ".pipeflow")])
    assert logs.exit_code == 0, logs.output
    check(output_lines(logs.output))

    from starlette.testclient import TestClient

    app = create_app(Settings(configs={}, home=tmp_path / ".pipeflow"))
    with TestClient(app, base_url="http://127.0.0.1:8080") as client:
        page = client.get(f"/runs/{run.id}/logs")
    assert page.status_code == 200
    check(output_lines(page.text))
