"""A progress bar a step draws with carriage returns (tqdm, rich, pip, a training loop), on
every executor and from Python or below it (`os.write`, a child process): the run shows its
state while it is redrawn, and keeps each line as a terminal shows it once it ends, on the
console and in the history. Before, nothing of the bar came until its line break, and then
every redraw came as a line of its own: ten a second for as long as the bar ran, and an
empty line for the `\\r` before the first one."""

from __future__ import annotations

from pathlib import Path

import pytest

import pipeflow
from pipeflow.history import open_history
from pipeflow.model.events import Event, StepOutput
from tests.conftest import ProjectFactory
from tests.executors import EXECUTORS, executor_spec
from tests.system import pipeflow_in

CONFIG = """
name: bars
executor: EXECUTOR
results: {persist: false}
steps:
  bar: {run: barsteps.STEP}
"""

STEPS = """
import os
import sys
import time
from pathlib import Path

GO = Path(__file__).with_name("go")


def _python(text):
    sys.stderr.write(text)
    sys.stderr.flush()


def _below(text):
    os.write(2, text.encode())


def _draw(write, n):
    for i in range(n):
        write(f"\\rtraining {i + 1}/{n} " + "#" * (i * 20 // n))
        time.sleep(0.001)
    write("\\n")
    write("trained\\n")
    return n


def drawn():
    return _draw(_python, 300)


def drawn_below():
    return _draw(_below, 300)


def _waiting(write):
    write("\\rwaiting for go")
    write("\\rwaiting for go")  # the state before is drawn now: a redraw began
    deadline = time.monotonic() + 60
    while not GO.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    write("\\rwent" + " " * 10 + "\\n")  # over the whole state, as a bar clears it
    return GO.exists()


def waiting():
    return _waiting(_python)


def waiting_below():
    return _waiting(_below)


def encodings():
    print("encodings", sys.stdout.encoding, sys.stderr.encoding)
"""

CASES = [(executor, "drawn") for executor in EXECUTORS] + [("processes", "drawn_below")]
LIVE = [(executor, "waiting") for executor in EXECUTORS] + [("processes", "waiting_below")]


def _project(
    make_project: ProjectFactory, request: pytest.FixtureRequest, executor: str, step: str
) -> Path:
    config = CONFIG.replace("EXECUTOR", executor_spec(executor, request)).replace("STEP", step)
    return make_project(config, barsteps=STEPS)


def _logged(folder: Path) -> list[str]:
    """The step's lines in the history (`pipeflow logs`)."""
    with open_history(folder) as history:
        [record] = history.runs(pipeline="bars")
        return [line.text for line in history.logs(record.id, step="bar")]


@pytest.mark.parametrize(("executor", "step"), CASES)
def test_a_redrawn_line_is_kept_as_a_terminal_shows_it(
    executor: str,
    step: str,
    make_project: ProjectFactory,
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> None:
    config = _project(make_project, request, executor, step)
    ran = pipeflow_in(tmp_path, "run", str(config))
    assert ran.returncode == 0, ran.stdout + ran.stderr
    shown = [line for line in (ran.stdout + ran.stderr).splitlines() if line.startswith("bar |")]
    assert "bar | training 300/300 " + "#" * 19 in shown, shown
    assert shown[-1] == "bar | trained", shown
    # The first state as it came, perhaps one more, the line as it ended: not 300 redraws.
    assert 2 <= len(shown) <= 5, shown
    assert "bar | " not in shown, shown  # no empty line for the first `\r`
    logged = _logged(tmp_path)
    assert logged == [line.removeprefix("bar | ") for line in shown], logged


@pytest.mark.parametrize(("executor", "step"), LIVE)
def test_a_redrawn_line_is_shown_while_it_is_redrawn(
    executor: str,
    step: str,
    make_project: ProjectFactory,
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> None:
    """The step waits until the run has shown its state, which it never ends with a line
    break while it waits."""
    config = _project(make_project, request, executor, step)
    said: list[str] = []

    def seen(event: Event) -> None:
        if isinstance(event, StepOutput):
            said.append(event.text)
            if event.text == "waiting for go":
                (config.parent / "go").write_text("")

    run = pipeflow.load(config).run(subscribers=[seen])
    assert run.ok, run.outcomes
    assert run.output("bar") is True, said  # it saw `go`, made when its state was shown
    assert said == ["waiting for go", "went"], said
    assert _logged(tmp_path) == said


@pytest.mark.parametrize("executor", EXECUTORS)
def test_a_step_writes_to_streams_that_take_any_character(
    executor: str, make_project: ProjectFactory, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """A progress bar picks its characters by its stream's encoding: tqdm drew `#` on
    `processes` (whose streams said none) and Unicode blocks on the other executors."""
    config = _project(make_project, request, executor, "encodings")
    ran = pipeflow_in(tmp_path, "run", str(config))
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "bar | encodings utf-8 utf-8" in ran.stdout.splitlines(), ran.stdout
