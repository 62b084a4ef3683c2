"""A step that fails on a Dask worker sharing no filesystem with the client (SPEC 14) is told
in the client's paths, as on any other executor: its traceback names the project's files
(not the worker's unpacked copy of the code package), and its error and each retry's name
the files it was given as the client has them (not their copies in the task's workspace).

The cluster and the S3 server are `test_remote_cluster.py`'s (its own instance here).
"""

from __future__ import annotations

from pathlib import Path

import pytest

import pipeflow
from pipeflow.model.events import Event, StepRetrying
from tests.execute.test_remote_cluster import Remote, processes, remote
from tests.system import pipeflow_in

__all__ = ["processes", "remote"]

distributed = pytest.importorskip("distributed")

pytestmark = pytest.mark.slow

# Where a worker keeps what travelled: `<local directory>/pipeflow/code|work/...`.
WORKER_PLACES = ("/pipeflow/code/", "/pipeflow/work/")

STEPS = """
from steps.helpers import check


def read(path):
    with open(path) as handle:
        return handle.read()


def checked(number):
    return check(number)
"""

HELPERS = """
def check(number):
    raise ValueError(f"bad number {number}")
"""

OUTSIDE = """
def check(number):
    raise ValueError(f"bad number {number} outside")
"""


def _project(remote: Remote, helpers_import: str = "steps.helpers") -> Path:
    folder = remote.project("failing")
    (folder / "steps").mkdir()
    (folder / "steps" / "__init__.py").write_text("")
    (folder / "steps" / "run.py").write_text(STEPS.replace("steps.helpers", helpers_import))
    (folder / "steps" / "helpers.py").write_text(HELPERS)
    (folder / "data" / "folder").mkdir(parents=True)
    (folder / "data" / "folder" / "a.txt").write_text("a")
    config = folder / "pipeline.yaml"
    config.write_text(
        f"name: failing\n{remote.results()}\n"
        f'executor: {{type: dask, address: "{remote.address}"}}\n'
        "steps:\n"
        "  folder:\n"
        "    run: steps.run.read\n"
        "    inputs: {path: data/folder}\n"  # a folder where a file is wanted
        "    retries: 1\n"
        "    retry_delay: 0s\n"
        "  checked: {run: steps.run.checked, inputs: {number: 7}}\n"
    )
    return config


def _no_worker_place(text: str) -> None:
    assert not any(place in text for place in WORKER_PLACES), text


def test_errors_tracebacks_and_retries_name_the_clients_files(remote: Remote) -> None:
    config = _project(remote)
    folder = config.parent
    events: list[Event] = []
    run = pipeflow.load(config).run(history=False, keep_going=True, subscribers=[events.append])
    assert not run.ok

    read = run.outcomes["folder"]
    assert read.attempts == 2, read
    assert f"Is a directory: '{folder / 'data' / 'folder'}'" in (read.error or ""), read
    assert f'File "{folder / "steps" / "run.py"}", line 6, in read' in (read.traceback or "")
    retries = [event for event in events if isinstance(event, StepRetrying)]
    assert len(retries) == 1, events
    assert f"Is a directory: '{folder / 'data' / 'folder'}'" in retries[0].error, retries

    checked = run.outcomes["checked"]
    assert checked.error == "ValueError: bad number 7", checked
    shown = checked.traceback or ""
    assert f'File "{folder / "steps" / "run.py"}", line 11, in checked' in shown, shown
    assert f'File "{folder / "steps" / "helpers.py"}", line 3, in check' in shown, shown
    for text in (read.error, read.traceback, retries[0].error, shown):
        _no_worker_place(text or "")


def test_the_command_line_and_the_history_say_the_same(remote: Remote) -> None:
    config = _project(remote)
    folder = config.parent
    ran = pipeflow_in(folder, "run", config.name, "--keep-going")
    assert ran.returncode == 1, ran.stdout + ran.stderr
    assert f"Is a directory: '{folder / 'data' / 'folder'}'" in ran.stdout, ran.stdout
    assert f'File "{folder / "steps" / "helpers.py"}", line 3' in ran.stdout, ran.stdout
    _no_worker_place(ran.stdout + ran.stderr)
    shown = pipeflow_in(folder, "runs", "show", "latest", "--traceback")
    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert f'File "{folder / "steps" / "helpers.py"}", line 3' in shown.stdout, shown.stdout
    _no_worker_place(shown.stdout)


def test_code_from_outside_the_project_is_named_where_it_is(remote: Remote) -> None:
    """A module imported from a `src/` folder on PYTHONPATH travels inside the project's
    package under its name below `src/`: its frames name the file in `src/`."""
    config = _project(remote, helpers_import="outhelpers")
    folder = config.parent
    (folder / "src").mkdir()
    (folder / "src" / "outhelpers.py").write_text(OUTSIDE)
    env = {"PYTHONPATH": str(folder / "src")}
    ran = pipeflow_in(folder, "run", config.name, "--only", "checked", env=env)
    assert ran.returncode == 1, ran.stdout + ran.stderr
    assert "bad number 7 outside" in ran.stdout, ran.stdout
    assert f'File "{folder / "src" / "outhelpers.py"}", line 3' in ran.stdout, ran.stdout
    assert f'File "{folder / "steps" / "run.py"}", line 11' in ran.stdout, ran.stdout
    _no_worker_place(ran.stdout + ran.stderr)


UNDECLARED = """
from pathlib import Path


def write(path):
    Path(path).write_text("x")
    return path


def beside_code():
    return (Path(__file__).parent / "table.txt").read_text()
"""

APART = "which shares no filesystem with this machine"


def test_a_file_missing_on_the_worker_says_how_files_travel(remote: Remote) -> None:
    """A step that writes where `writes:` does not say, or reads what no path input or
    `reads:` names, finds no such file on a worker apart: its error says why, and what to
    declare; the same failure on this machine says nothing of workers."""
    folder = remote.project("undeclared")
    (folder / "undeclared.py").write_text(UNDECLARED)
    (folder / "table.txt").write_text("1")  # beside a top-level module: it does not travel
    (folder / "out").mkdir()
    config = folder / "pipeline.yaml"
    config.write_text(
        f"name: undeclared\n{remote.results()}\n"
        f'executor: {{type: dask, address: "{remote.address}"}}\n'
        "steps:\n"
        "  write: {run: undeclared.write, inputs: {path: out/new.txt}}\n"
        "  beside: {run: undeclared.beside_code}\n"
    )
    run = pipeflow.load(config).run(history=False, keep_going=True)
    for step in ("write", "beside"):
        error = run.outcomes[step].error or ""
        assert error.startswith("FileNotFoundError: "), error
        assert "the step ran on the Dask worker tcp://" in error, error
        assert APART in error, error
        assert "path inputs or `reads:`" in error, error
        assert "`writes:`" in error, error
    ran = pipeflow_in(folder, "run", config.name, "--keep-going")
    assert ran.returncode == 1, ran.stdout + ran.stderr
    assert APART in ran.stdout, ran.stdout
    here = pipeflow_in(folder, "run", config.name, "--keep-going", "--executor", "threads")
    assert "beside: done" in here.stdout, here.stdout
    assert APART not in here.stdout + here.stderr, here.stdout
