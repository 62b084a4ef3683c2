"""A local file a step's key was computed from, changed while the step runs.

Two runs of one pipeline in one project at once (a terminal and `serve`, CI), or any other
program, may write a file a running step reads after its key was computed. The step may then
have read either version: its value is not stored under the key of the file as it was, where
every later run with that file would be served it. The step fails, naming the file; the next
run computes its key afresh. Each test runs `pipeflow run` as its own process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import pipeflow
from tests.conftest import ProjectFactory

# The reader says it started (its key is computed by then), and waits for the test's signal
# before it reads: the other writer writes in between, as it may in any run.
STEPS = """
import glob, os, time
from pathlib import Path

def write(out, v):
    Path(out).write_text(str(v))

HERE = Path(__file__).parent

def _wait():
    (HERE / "started").touch()
    for _ in range(600):
        if (HERE / "gate").exists():
            return
        time.sleep(0.05)
    raise TimeoutError("no gate")

def read(src):
    _wait()
    return Path(src).read_text()

def read_declared():
    _wait()
    return (HERE / "data" / "x.txt").read_text()

def read_all(src):
    _wait()
    files = sorted(glob.glob(os.path.join(src, "**", "*.txt"), recursive=True))
    return "".join(Path(f).read_text() for f in files)

def read_glob(pattern):
    _wait()
    return "".join(Path(f).read_text() for f in sorted(glob.glob(pattern)))
"""

CONCURRENT = """
name: conc
params: {v: 1}
results: {root: out}
executor: {type: %s}
steps:
  w: {run: steps.write, inputs: {out: data/x.txt, v: "${params.v}"}, writes: [data/x.txt]}
  r: {run: steps.read, inputs: {src: data/x.txt}}
"""


def _start(config: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "pipeflow", "run", config.name, *args],
        cwd=config.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def _until(condition: object, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while not condition():  # type: ignore[operator]
        assert process.poll() is None, process.communicate()[0]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _text(path: Path) -> str:
    try:
        return path.read_text()
    except FileNotFoundError:  # its writer starts afresh: it removes the file first
        return ""


def _finish(process: subprocess.Popen[str]) -> tuple[int, str]:
    try:
        output, _ = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, 9)
            process.wait()
    return process.returncode, output


@pytest.mark.parametrize("executor", ["sequential", "threads", "processes"])
def test_two_runs_at_once_do_not_store_a_value_under_the_other_runs_key(
    make_project: ProjectFactory, executor: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = make_project(CONCURRENT % executor, steps=STEPS)
    folder = config.parent
    monkeypatch.chdir(folder)
    (folder / "data").mkdir()
    first = _start(config, "--param", "v=1")
    _until(lambda: (folder / "started").exists(), first)  # its reader keyed on x.txt = 1
    second = _start(config, "--param", "v=2")
    x = folder / "data" / "x.txt"
    _until(lambda: _text(x) == "2", second)  # the second run's writer wrote meanwhile
    (folder / "gate").touch()
    code, output = _finish(first)
    assert code != 0, output
    assert "r: FAILED" in output, output
    assert "data/x.txt changed while the step ran" in output, output
    assert "its result is not stored; run again" in output, output
    code, output = _finish(second)  # keyed on what it read: stored
    assert code == 0, output
    for v in (1, 2, 1):  # one run at a time: each is served its own file's value
        run = pipeflow.load(config).run(params={"v": v})
        assert run.ok, run.outcomes
        assert run.output("r") == str(v)


TARGETED = """
name: targeted
params: {v: 1}
results: {root: out}
executor: {type: %s}
steps:
  w: {run: steps.text, inputs: {v: "${params.v}"}, result: {target: w.txt}}
  r: {run: steps.read, inputs: {src: out/w.txt}}
"""

TEXT = """

def text(v):
    return str(v)
"""


@pytest.mark.parametrize("executor", ["sequential", "threads", "processes"])
def test_another_run_storing_a_target_a_step_reads_is_named(
    make_project: ProjectFactory, executor: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two runs at once with other params store `w`'s target at one place. The first run's
    reader waits for `w` already: it is not told to add `after:`, nor that the file holds
    the store, but that the file lies in the store, where another run stored meanwhile."""
    config = make_project(TARGETED % executor, steps=STEPS + TEXT)
    folder = config.parent
    monkeypatch.chdir(folder)
    first = _start(config, "--param", "v=1")
    _until(lambda: (folder / "started").exists(), first)  # its reader keyed on w.txt = 1
    second = _start(config, "--param", "v=2")
    _until(lambda: _text(folder / "out" / "w.txt") == "2", second)
    (folder / "gate").touch()
    code, output = _finish(first)
    assert code == 1, output
    assert "r: FAILED" in output, output
    assert "out/w.txt changed while the step ran" in output, output
    assert "it lies in the results store out, where steps store their" in output, output
    assert "another run of the pipeline" in output, output
    assert "after:" not in output, output
    assert "holds the results store" not in output, output
    code, output = _finish(second)
    assert code == 0, output


CHANNELS = {  # how the step's key takes the file another program edits while it runs
    "path input": ("steps.read", "{src: data/x.txt}", "", "data/x.txt"),
    "reads": ("steps.read_declared", "{}", "reads: [data/x.txt]", "data/x.txt"),
    "folder input": ("steps.read_all", "{src: data/}", "", "data/x.txt"),
    "folder input, a file added": ("steps.read_all", "{src: data/}", "", "data/y.txt"),
    "folder input, a subfolder's file": ("steps.read_all", "{src: data/}", "", "data/s/z.txt"),
    "glob input": ("steps.read_glob", "{pattern: data/*.txt}", "", "data/x.txt"),
    "reads glob": ("steps.read_glob", "{pattern: data/*.txt}", "reads: [data/*.txt]", "data/x.txt"),
    # Read below a folder the step writes: a read all the same (`clearing.py` keeps it).
    "path input below its writes": (
        "steps.read",
        "{src: data/x.txt}",
        "writes: [data/]",
        "data/x.txt",
    ),
    "reads below its writes": (
        "steps.read_declared",
        "{}",
        "reads: [data/x.txt], writes: [data/]",
        "data/x.txt",
    ),
}

EDITED = """
name: edited
results: {root: out}
executor: {type: %s}
steps:
  r: {run: %s, inputs: %s, %s}
"""


@pytest.mark.parametrize("channel", sorted(CHANNELS))
@pytest.mark.parametrize("executor", ["sequential", "threads", "processes"])
def test_a_file_edited_while_the_step_runs_fails_it(
    make_project: ProjectFactory, executor: str, channel: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    function, inputs, reads, edited = CHANNELS[channel]
    config = make_project(EDITED % (executor, function, inputs, reads), steps=STEPS)
    folder = config.parent
    monkeypatch.chdir(folder)
    (folder / "data" / "s").mkdir(parents=True)
    (folder / "data" / "x.txt").write_text("1")
    if channel.endswith("subfolder's file"):
        (folder / "data" / "s" / "z.txt").write_text("1")
    process = _start(config)
    _until(lambda: (folder / "started").exists(), process)
    (folder / edited).write_text("2")  # another program, while the step runs
    (folder / "gate").touch()
    code, output = _finish(process)
    assert code != 0, output
    changed = os.path.dirname(edited) if channel.endswith("added") else edited
    assert f"{changed} changed while the step ran" in output, output
    rerun = pipeflow.load(config).run()  # its key taken from the file as it is now
    assert rerun.ok, rerun.outcomes
    assert "2" in rerun.output("r")
    again = pipeflow.load(config).run()
    assert again.state("r").value == "cached"


AROUND = """
name: around
results: {root: data/processed}
executor: {type: %s}
steps:
  model: {run: steps.model, result: {root: "data/processed/${run.id}", target: "model.json"}}
  r: {run: steps.read_all, inputs: {src: %s}}
"""

MODEL = """

def model():
    (HERE / "model_started").touch()
    for _ in range(600):
        if (HERE / "started").exists():
            return {"weights": [1, 2, 3]}
        time.sleep(0.05)
    raise TimeoutError("the reader never started")
"""


@pytest.mark.parametrize("read", ["data/", "./data/"])
@pytest.mark.parametrize("executor", ["threads", "processes"])
def test_a_folder_around_the_results_store_says_a_step_of_the_run_stored_there(
    make_project: ProjectFactory, executor: str, read: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A step reading a folder that holds the results store cannot wait for a step whose
    `result.target` lands there when that place is known only during the run (a root made
    from `${run.id}`). When one stores its result while the reader runs, the reader fails as
    before, but no longer blames "another run or program": it names the store and says what
    to do."""
    config = make_project(AROUND % (executor, read), steps=STEPS + MODEL)
    folder = config.parent
    monkeypatch.chdir(folder)
    (folder / "data" / "raw").mkdir(parents=True)
    (folder / "data" / "raw" / "x.txt").write_text("1")
    process = _start(config)
    _until(lambda: (folder / "started").exists(), process)  # both run, the model first done
    _until(lambda: any((folder / "data" / "processed").glob("*/model.json")), process)
    (folder / "gate").touch()
    code, output = _finish(process)
    assert code == 1, output
    assert "r: FAILED" in output, output
    assert "another run or program" not in output, output
    assert "holds the results store data/processed" in output, output
    assert "give it `after:` the steps whose results it reads" in output, output
