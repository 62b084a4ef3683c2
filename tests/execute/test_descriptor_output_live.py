"""What a step on `processes` writes below `sys.stdout` (a child process, `os.write(1, ...)`, a
C library's printf) is said while the step runs, as its Python output is: a long training run
in a C++ library, or `subprocess.run(["dvc", "repro"])`, shows its progress on the console and
in `pipeflow logs --follow` as it comes. Before, those lines came only when the step ended.
Each line is said once: at the step's end, after a worker died, and after Ctrl-C."""

from __future__ import annotations

import sys
from pathlib import Path

import pipeflow
from pipeflow.history import open_history
from pipeflow.model.events import Event, StepOutput
from tests.conftest import ProjectFactory
from tests.interrupting import interrupted

CONFIG = """
name: live
executor: {type: processes, workers: 1}
results: {persist: false}
steps:
  work: {run: livesteps.STEP}
"""

STEPS = """
import os
import subprocess
import sys
import time
from pathlib import Path

GO = Path(__file__).with_name("go")


def _wait_for_go():
    deadline = time.monotonic() + 30
    while not GO.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return GO.exists()


def long():
    print("python before")
    subprocess.run([sys.executable, "-c", "print('child before')"], check=True)
    os.write(2, b"raw error before\\n")
    os.write(1, b"waiting for go\\n")
    went = _wait_for_go()
    os.write(1, b"raw after\\n")
    os.write(1, b"no line end")
    return went


def dies():
    os.write(1, b"raw before death\\n")
    os.write(1, b"waiting for go\\n")
    _wait_for_go()
    os._exit(3)


def stopped():
    os.write(1, b"raw before ctrl-c\\n")
    os.write(1, b"waiting for go\\n")
    _wait_for_go()
    Path(__file__).with_name("talked").write_text("")
    time.sleep(60)
"""


def _go_on_waiting(config: Path, events: list[Event]) -> pipeflow.RunResult:
    """Run the config; when the step says it waits (only while it runs), let it go on."""

    def seen(event: Event) -> None:
        events.append(event)
        if isinstance(event, StepOutput) and event.text == "waiting for go":
            (config.parent / "go").write_text("")

    return pipeflow.load(config).run(subscribers=[seen])


def _said(events: list[Event]) -> list[tuple[str, str]]:
    return [(event.stream, event.text) for event in events if isinstance(event, StepOutput)]


def _logged(folder: Path) -> list[tuple[str, str]]:
    """The step's lines in the history (`pipeflow logs`)."""
    with open_history(folder) as history:
        [record] = history.runs(pipeline="live")
        return [(line.stream, line.text) for line in history.logs(record.id, step="work")]


def test_lines_below_python_are_said_while_the_step_runs(
    make_project: ProjectFactory, tmp_path: Path
) -> None:
    config = make_project(CONFIG.replace("STEP", "long"), livesteps=STEPS)
    events: list[Event] = []
    run = _go_on_waiting(config, events)
    assert run.ok, run.outcomes
    assert run.output("work") is True  # it saw `go`, made when its line was said
    said = _said(events)
    expected = [
        ("stdout", "python before"),
        ("stdout", "child before"),
        ("stderr", "raw error before"),
        ("stdout", "waiting for go"),
        ("stdout", "raw after"),
        ("stdout", "no line end"),
    ]
    assert sorted(said) == sorted(expected), said  # each once
    assert said.index(("stdout", "waiting for go")) < said.index(("stdout", "raw after"))
    logged = _logged(tmp_path)
    assert sorted(logged) == sorted(expected), logged


def test_lines_said_before_a_worker_died_are_said_once(
    make_project: ProjectFactory, tmp_path: Path
) -> None:
    config = make_project(CONFIG.replace("STEP", "dies"), livesteps=STEPS)
    events: list[Event] = []
    run = _go_on_waiting(config, events)
    assert not run.ok
    assert "WorkerDied" in str(run.outcomes["work"].error), run.outcomes
    said = _said(events)
    assert said == [("stdout", "raw before death"), ("stdout", "waiting for go")], said
    logged = _logged(tmp_path)
    assert logged == said


def test_lines_said_before_ctrl_c_are_said_once(make_project: ProjectFactory) -> None:
    config = make_project(CONFIG.replace("STEP", "stopped"), livesteps=STEPS)
    (config.parent / "go").write_text("")  # no subscriber here: it goes on at once
    code, output = interrupted(
        [sys.executable, "-m", "pipeflow", "run", str(config)],
        cwd=config.parent,
        marker="work: started",
        file=config.parent / "talked",
    )
    assert code == 130, output
    assert output.count("raw before ctrl-c") == 1, output
    assert output.count("waiting for go") == 1, output
