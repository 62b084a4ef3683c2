"""The processes executor: real worker processes, output carried back, timeouts, dead workers."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

import pipeflow
from pipeflow.history import open_history
from pipeflow.model.events import Event, StepOutput, StepRetrying
from pipeflow.model.run import StepState
from tests.conftest import ProjectFactory

STEPS = """
import logging
import os
import time
from pathlib import Path


def pid() -> int:
    print("working in", os.getpid())
    logging.getLogger("steps").info("logged from a worker")
    return os.getpid()


def both(a: int, b: int) -> list:
    return [a, b]


def slow(seconds: float, marker: str) -> None:
    # Written whole under another name, then renamed: the test's killer never reads it empty.
    Path(marker + ".part").write_text(str(os.getpid()))
    os.replace(marker + ".part", marker)
    time.sleep(seconds)
    Path(marker + ".finished").write_text("yes")


def boom() -> None:
    raise KeyError("deep inside the worker")


def flaky(marker: str) -> int:
    path = Path(marker)
    count = int(path.read_text()) if path.exists() else 0
    path.write_text(str(count + 1))
    if count < 1:
        raise ValueError("first attempt fails")
    return count


def gen():
    return 1


def takes(value) -> int:
    return 1


def environment(names: list) -> dict:
    return {name: os.environ.get(name) for name in names}
"""


def test_steps_run_in_worker_processes_and_their_output_comes_back(
    make_project: ProjectFactory, tmp_path: Path
) -> None:
    config = make_project(
        """
        name: procs
        executor: {type: processes, workers: 2}
        results: {root: out}
        steps:
          a: {run: psteps.pid}
          b: {run: psteps.pid, cache: false}
          both: {run: psteps.both, inputs: {a: "${steps.a}", b: "${steps.b}"}}
        """,
        psteps=STEPS,
    )
    events: list[Event] = []
    run = pipeflow.load(config).run(subscribers=[events.append])
    assert run.ok, run.outcomes
    a, b = run.output("both")
    assert os.getpid() not in (a, b)
    lines = [(e.step, e.stream, e.text) for e in events if isinstance(e, StepOutput)]
    assert ("a", "stdout", f"working in {a}") in lines
    assert ("a", "log", "logged from a worker") in lines
    with open_history(tmp_path) as history:
        [record] = history.runs(pipeline="procs")
        logged = [line.text for line in history.logs(record.id, step="a")]
    assert f"working in {a}" in logged


def test_workers_see_the_environment_of_the_process_as_each_run_starts(
    make_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Workers are forks of a server started with the first pool of this process: each run's
    workers still see the environment as it is when the run starts (a variable set, changed or
    removed since, such as the credentials of a store), as a worker forked from here would."""
    config = make_project(
        """
        name: procs
        executor: {type: processes, workers: 2}
        results: {persist: false}
        steps:
          env: {run: psteps.environment, inputs: {names: [PF_SET, PF_CHANGED, PF_REMOVED]}}
        """,
        psteps=STEPS,
    )
    monkeypatch.setenv("PF_CHANGED", "before")
    monkeypatch.setenv("PF_REMOVED", "before")
    first = pipeflow.load(config).run(history=False)  # starts the server, if not yet started
    assert first.output("env") == {"PF_SET": None, "PF_CHANGED": "before", "PF_REMOVED": "before"}
    monkeypatch.setenv("PF_SET", "set")
    monkeypatch.setenv("PF_CHANGED", "after")
    monkeypatch.delenv("PF_REMOVED")
    second = pipeflow.load(config).run(history=False)
    assert second.output("env") == {"PF_SET": "set", "PF_CHANGED": "after", "PF_REMOVED": None}


def test_a_worker_traceback_and_retries_are_shown(
    make_project: ProjectFactory, tmp_path: Path
) -> None:
    config = make_project(
        f"""
        name: procs
        executor: {{type: processes, workers: 1}}
        results: {{persist: false}}
        steps:
          boom: {{run: psteps.boom}}
          flaky:
            run: psteps.flaky
            inputs: {{marker: "{tmp_path / "count"}"}}
            retries: 1
            retry_delay: 0s
        """,
        psteps=STEPS,
    )
    events: list[Event] = []
    run = pipeflow.load(config).run(subscribers=[events.append], keep_going=True)
    outcome = run.outcomes["boom"]
    assert outcome.state is StepState.FAILED
    assert outcome.error == "KeyError: 'deep inside the worker'"
    assert "psteps.py" in (outcome.traceback or "")
    assert run.state("flaky") is StepState.DONE
    assert run.outcomes["flaky"].attempts == 2
    assert any(isinstance(e, StepRetrying) and e.step == "flaky" for e in events)


def test_a_timeout_stops_the_work_in_the_worker(
    make_project: ProjectFactory, tmp_path: Path
) -> None:
    marker = tmp_path / "slow"
    config = make_project(
        f"""
        name: procs
        executor: {{type: processes, workers: 1}}
        results: {{persist: false}}
        steps:
          slow: {{run: psteps.slow, inputs: {{seconds: 5, marker: "{marker}"}}, timeout: 500ms}}
        """,
        psteps=STEPS,
    )
    started = time.monotonic()
    run = pipeflow.load(config).run()
    assert time.monotonic() - started < 4
    assert run.state("slow") is StepState.FAILED
    assert "timeout" in (run.outcomes["slow"].error or "")
    time.sleep(5.5)
    assert not Path(str(marker) + ".finished").exists()  # stopped, not abandoned


def test_a_killed_worker_fails_its_step_and_the_run_does_not_hang(
    make_project: ProjectFactory, tmp_path: Path
) -> None:
    marker = tmp_path / "victim"
    config = make_project(
        f"""
        name: procs
        executor: {{type: processes, workers: 1}}
        results: {{persist: false}}
        steps:
          slow: {{run: psteps.slow, inputs: {{seconds: 30, marker: "{marker}"}}}}
        """,
        psteps=STEPS,
    )

    def kill_the_worker() -> None:
        deadline = time.monotonic() + 60
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(int(marker.read_text()), signal.SIGKILL)

    killer = threading.Thread(target=kill_the_worker)
    killer.start()
    started = time.monotonic()
    run = pipeflow.load(config).run()
    killer.join()
    assert time.monotonic() - started < 25
    assert run.state("slow") is StepState.FAILED
    assert "worker process running `slow` died" in (run.outcomes["slow"].error or "")


def test_a_value_that_cannot_cross_processes_fails_its_step_clearly(
    make_project: ProjectFactory,
) -> None:
    config = make_project(
        """
        name: procs
        executor: {type: processes, workers: 1}
        results: {persist: false}
        steps:
          make: {run: gensteps.make}
          take: {run: gensteps.take, inputs: {value: "${steps.make}"}}
        """,
        gensteps="""
        import threading

        def make():
            return threading.Lock()

        def take(value):
            return 1
        """,
    )
    run = pipeflow.load(config).run()
    assert run.state("make") is StepState.FAILED  # its value cannot come back either
    error = run.outcomes["make"].error or ""
    assert "lock" in error.lower()


SIBLING_STEPS = """
import os


def numbers(n):
    return list(range(n))


def total(values):
    return [sum(values), os.getpid()]
"""


def sibling_projects(root: Path, executor: str) -> Path:
    """A parent pipeline in `main/` whose sub-pipeline lives in the sibling folder `lib/`,
    with a steps module (`siblingsteps`) that exists only there."""
    (root / "lib").mkdir()
    (root / "main").mkdir()
    (root / "lib" / "siblingsteps.py").write_text(SIBLING_STEPS, encoding="utf-8")
    (root / "lib" / "child.yaml").write_text(
        "name: child\n"
        "results: {persist: false}\n"
        "steps:\n"
        "  numbers: {run: siblingsteps.numbers, inputs: {n: 5}}\n"
        '  total: {run: siblingsteps.total, inputs: {values: "${steps.numbers}"}}\n'
        "outputs:\n"
        "  total: ${steps.total}\n",
        encoding="utf-8",
    )
    config = root / "main" / "pipeline.yaml"
    config.write_text(
        "name: parent\n"
        f"executor: {executor}\n"
        "results: {persist: false}\n"
        "steps:\n"
        "  sub: {pipeline: ../lib/child.yaml}\n",
        encoding="utf-8",
    )
    return config


def test_a_sub_pipeline_from_another_folder_imports_on_the_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = sibling_projects(tmp_path, "{type: processes, workers: 1}")
    pipe = pipeflow.load(config)
    # Workers start with the client's sys.path, where loading put `lib/`; a worker started
    # elsewhere (or before the load) has no such luck: it must learn the folder from the task.
    lib = str((tmp_path / "lib").resolve())
    monkeypatch.setattr(sys, "path", [entry for entry in sys.path if entry != lib])
    run = pipe.run(history=False)
    assert run.ok, run.outcomes
    total, pid = run.output("sub/total")
    assert total == 10
    assert pid != os.getpid()
