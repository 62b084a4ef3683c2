"""The dask executor on a real `distributed` cluster with worker processes.

Most tests share one LocalCluster (started once for the module, reached by its address, as a
remote cluster would be); one test lets the executor start and close a cluster of its own.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import pipeflow
from pipeflow.cli import cli
from pipeflow.execute.task import Task
from pipeflow.history import open_history
from pipeflow.model.events import Event, RunFinished, StepFinished, StepOutput, StepRetrying
from pipeflow.model.run import StepState
from tests.conftest import ProjectFactory
from tests.execute.conftest import local_cluster

distributed = pytest.importorskip("distributed")

pytestmark = pytest.mark.slow

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
    # Written whole under another name, then renamed: a test's killer never reads it empty.
    Path(marker + ".part").write_text(str(os.getpid()))
    os.replace(marker + ".part", marker)
    time.sleep(seconds)
    Path(marker + ".finished").write_text("yes")


def timed(seconds: float, marker: str) -> list:
    started = time.time()
    time.sleep(seconds)
    Path(marker).write_text(str(os.getpid()))
    return [started, time.time()]


def spin(marker: str) -> int:
    Path(marker).write_text(str(os.getpid()))
    return sum(range(2 * 10**9))  # one C call that holds the GIL for several seconds


def talk(name: str, count: int) -> str:
    for index in range(count):
        print(f"{name} line {index}")
        logging.getLogger(name).info("%s logged %d", name, index)
        time.sleep(0.05)
    print(f"{name} without a newline", end="")
    return name


def boom() -> None:
    raise KeyError("deep inside the worker")


def flaky(marker: str) -> int:
    path = Path(marker)
    count = int(path.read_text()) if path.exists() else 0
    path.write_text(str(count + 1))
    if count < 1:
        raise ValueError("first attempt fails")
    return count
"""


@dataclass
class Cluster:
    address: str
    client: Any
    local: Any


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    local = local_cluster()
    client = distributed.Client(local)
    try:
        yield Cluster(local.scheduler_address, client, local)
    finally:
        client.close()
        local.close()


# The states of a nanny that will not bring its worker back.
ENDING = ("stopping", "stopped", "closing", "closing_gracefully", "closed", "failed")


@pytest.fixture
def address(cluster: Cluster) -> str:
    """The shared cluster's address, once both its workers are up (a test may restart one).

    Under load, distributed sometimes closes the nanny of a worker an earlier test had
    restarted instead of starting a new worker (or drops it): a nanny that is gone or ending
    never comes back, so once one is seen (or after 15 s without two workers: a restarted
    worker is back within seconds), the next test gets a fresh pair. (Waiting 30 s for it
    was half a minute of the suite's CI time, twice.)
    """
    local = cluster.local
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if len(cluster.client.scheduler_info()["workers"]) >= 2:
            return cluster.address
        nannies = list(local.workers.values())
        if len(nannies) < 2 or any(nanny.status.name in ENDING for nanny in nannies):
            break
        time.sleep(0.25)
    for name, worker in list(local.workers.items()):
        if worker.status.name in ("closing", "closed", "failed"):
            local.worker_spec.pop(name, None)
            local.workers.pop(name, None)
    local.scale(2)
    cluster.client.wait_for_workers(2, timeout=60)
    return cluster.address


def worker_pids(cluster: Cluster) -> set[int]:
    return set(cluster.client.run(os.getpid).values())


def gone(pid: int, within: float = 15) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_values_and_output_come_back_from_the_workers(
    make_project: ProjectFactory, tmp_path: Path, address: str, cluster: Cluster
) -> None:
    config = make_project(
        f"""
        name: dasky
        executor: {{type: dask, address: "{address}", shared_filesystem: true}}
        results: {{root: out}}
        steps:
          a: {{run: dsteps.pid}}
          b: {{run: dsteps.pid, cache: false}}
          both: {{run: dsteps.both, inputs: {{a: "${{steps.a}}", b: "${{steps.b}}"}}}}
        """,
        dsteps=STEPS,
    )
    events: list[Event] = []
    run = pipeflow.load(config).run(subscribers=[events.append])
    assert run.ok, run.outcomes
    a, b = run.output("both")
    assert {a, b} <= worker_pids(cluster)
    assert os.getpid() not in (a, b)
    lines = [(e.step, e.stream, e.text) for e in events if isinstance(e, StepOutput)]
    assert ("a", "stdout", f"working in {a}") in lines
    assert ("a", "log", "logged from a worker") in lines
    assert ("b", "stdout", f"working in {b}") in lines
    with open_history(tmp_path) as history:
        [record] = history.runs(pipeline="dasky")
        logged = [line.text for line in history.logs(record.id, step="a")]
    assert f"working in {a}" in logged
    # The workers stored the results: a second run takes `a` and `both` from the cache.
    again = pipeflow.load(config).run()
    assert again.state("a") is StepState.CACHED
    assert again.output("both")[0] == a


def test_a_worker_traceback_and_retries_are_shown(
    make_project: ProjectFactory, tmp_path: Path, address: str
) -> None:
    config = make_project(
        f"""
        name: dasky
        executor: {{type: dask, address: "{address}", shared_filesystem: true}}
        results: {{persist: false}}
        steps:
          boom: {{run: dsteps.boom}}
          flaky:
            run: dsteps.flaky
            inputs: {{marker: "{tmp_path / "count"}"}}
            retries: 1
            retry_delay: 0s
        """,
        dsteps=STEPS,
    )
    events: list[Event] = []
    run = pipeflow.load(config).run(subscribers=[events.append], keep_going=True)
    outcome = run.outcomes["boom"]
    assert outcome.state is StepState.FAILED
    assert outcome.error == "KeyError: 'deep inside the worker'"
    assert "dsteps.py" in (outcome.traceback or "")
    assert 'raise KeyError("deep inside the worker")' in (outcome.traceback or "")
    assert run.state("flaky") is StepState.DONE
    assert run.outcomes["flaky"].attempts == 2
    assert any(isinstance(e, StepRetrying) and e.step == "flaky" for e in events)


def test_independent_steps_run_at_once(
    make_project: ProjectFactory, tmp_path: Path, address: str
) -> None:
    config = make_project(
        f"""
        name: dasky
        executor: {{type: dask, address: "{address}", shared_filesystem: true}}
        results: {{persist: false}}
        steps:
          one: {{run: dsteps.timed, inputs: {{seconds: 1, marker: "{tmp_path / "one"}"}}}}
          two: {{run: dsteps.timed, inputs: {{seconds: 1, marker: "{tmp_path / "two"}"}}}}
        """,
        dsteps=STEPS,
    )
    events: list[Event] = []
    run = pipeflow.load(config).run(subscribers=[events.append])
    assert run.ok, run.outcomes
    (start_one, end_one), (start_two, end_two) = run.output("one"), run.output("two")
    assert max(start_one, start_two) < min(end_one, end_two)  # they overlapped
    assert (tmp_path / "one").read_text() != (tmp_path / "two").read_text()  # two workers
    assert [e.ok for e in events if isinstance(e, RunFinished)] == [True]  # one run, and no timing


def test_a_sub_pipeline_from_another_folder_imports_on_the_workers(
    tmp_path: Path, address: str
) -> None:
    from tests.execute.test_processes import sibling_projects

    executor = f'{{type: dask, address: "{address}", shared_filesystem: true}}'
    config = sibling_projects(tmp_path, executor)
    run = pipeflow.load(config).run(history=False)
    assert run.ok, run.outcomes
    total, pid = run.output("sub/total")
    assert total == 10
    assert pid != os.getpid()


BIG_STEPS = """
def big(size: int) -> bytes:
    return b"x" * (size - 3) + b"end"


def measure(data: bytes) -> list:
    return [len(data), data[-3:].decode()]
"""

BIG = 200 * 2**20


class PeakMemory:
    """The client's highest RSS above where it started, sampled until `stop()`."""

    def __init__(self) -> None:
        import psutil

        self._process = psutil.Process()
        self._start = self._process.memory_info().rss
        self.peak = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._done.wait(0.01):
            self.peak = max(self.peak, self._process.memory_info().rss - self._start)

    def stop(self) -> int:
        if not self._done.is_set():
            self._done.set()
            self._thread.join()
        return self.peak


@pytest.mark.parametrize("persist", [True, False])
def test_a_large_value_stays_on_the_cluster(
    make_project: ProjectFactory, address: str, persist: bool
) -> None:
    results = "{root: out}" if persist else "{persist: false}"
    config = make_project(
        f"""
        name: dasky
        executor: {{type: dask, address: "{address}", shared_filesystem: true}}
        results: {results}
        steps:
          big: {{run: bigsteps.big, inputs: {{size: {BIG}}}}}
          measure: {{run: bigsteps.measure, inputs: {{data: "${{steps.big}}"}}}}
        """,
        bigsteps=BIG_STEPS,
    )
    pipe = pipeflow.load(config)
    memory = PeakMemory()

    def watch(event: Event) -> None:
        if isinstance(event, StepFinished) and event.outcome.step == "measure":
            memory.stop()  # an unpersisted value is fetched when the run ends, for `output()`

    run = pipe.run(subscribers=[watch], history=False)
    grown = memory.stop()
    assert run.ok, run.outcomes
    assert run.output("measure") == [BIG, "end"]  # the value reached the downstream step
    assert grown < BIG / 4, f"the client grew by {grown / 2**20:.0f} MiB"
    value = run.output("big")  # on demand: from the store, or fetched when the run ended
    assert len(value) == BIG
    assert value[-3:] == b"end"


PART_STEPS = """
def make() -> dict:
    return {"blob": b"y" * 200_000, "flag": True, "names": ["a", "bb", "ccc"]}


def size(value) -> int:
    return len(value)


def label(text: str) -> str:
    return text
"""


def test_parts_when_and_foreach_of_a_value_kept_on_the_cluster(
    make_project: ProjectFactory, address: str
) -> None:
    config = make_project(
        f"""
        name: dasky
        executor: {{type: dask, address: "{address}", shared_filesystem: true}}
        results: {{persist: false}}
        steps:
          make: {{run: partsteps.make}}
          blob: {{run: partsteps.size, inputs: {{value: "${{steps.make.blob}}"}}}}
          flagged: {{run: partsteps.size, inputs: {{value: [1]}}, when: "${{steps.make.flag}}"}}
          each:
            run: partsteps.size
            foreach: "${{steps.make.names}}"
            as: value
          text: {{run: partsteps.label, inputs: {{text: "flag is ${{steps.make.flag}}"}}}}
        """,
        partsteps=PART_STEPS,
    )
    run = pipeflow.load(config).run(history=False)
    assert run.ok, run.outcomes
    assert run.output("blob") == 200_000
    assert run.state("flagged") is StepState.DONE
    assert run.output("each") == [1, 2, 3]
    assert run.output("text") == "flag is True"
    assert run.output("make")["flag"] is True


def test_an_address_without_a_scheduler_is_a_clear_error(make_project: ProjectFactory) -> None:
    address = f"tcp://127.0.0.1:{closed_port()}"
    config = make_project(
        f"""
        name: dasky
        executor: {{type: dask, address: "{address}", shared_filesystem: true}}
        results: {{persist: false}}
        steps:
          a: {{run: dsteps.pid}}
        """,
        dsteps=STEPS,
    )
    started = time.monotonic()
    with pytest.raises(pipeflow.PipeflowError) as raised:
        pipeflow.load(config).run()
    assert time.monotonic() - started < 10
    message = str(raised.value)
    assert f"no Dask scheduler answers at `{address}`" in message
    assert "connection refused" in message
    assert "`dask scheduler`" in message
    assert "executor.address" in message
    # The same from the command line, with the address given there.
    other = f"tcp://127.0.0.1:{closed_port()}"
    result = CliRunner().invoke(
        cli, ["run", str(config), "--executor", "dask", "--address", other, "--log-format", "plain"]
    )
    assert result.exit_code == 1, result.output
    assert f"no Dask scheduler answers at `{other}`" in result.stderr


@pytest.mark.parametrize("scheme", ["tls", "ws"])
def test_an_address_the_client_cannot_use_is_a_clear_error(
    make_project: ProjectFactory, address: str, scheme: str
) -> None:
    """A scheduler answers there, but this machine cannot speak the address's protocol (TLS
    without Dask's TLS settings, websockets without their package): said, not a traceback."""
    other = address.replace("tcp://", f"{scheme}://")
    config = make_project(
        f"""
        name: dasky
        executor: {{type: dask, address: "{other}", shared_filesystem: true}}
        results: {{persist: false}}
        steps:
          a: {{run: dsteps.pid}}
        """,
        dsteps=STEPS,
    )
    with pytest.raises(pipeflow.PipeflowError) as raised:
        pipeflow.load(config).run(history=False)
    message = str(raised.value)
    assert f"could not connect to a Dask scheduler at `{other}`" in message, message
    assert "executor.address" in message, message
    assert ("distributed.comm.tls" in message) is (scheme == "tls"), message
    result = CliRunner().invoke(cli, ["run", str(config), "--log-format", "plain"])
    assert result.exit_code == 1, result.output
    assert f"could not connect to a Dask scheduler at `{other}`" in result.stderr
    assert "Traceback" not in result.stderr + result.output


def test_an_address_needs_the_dask_executor(make_project: ProjectFactory) -> None:
    config = make_project(
        """
        name: dasky
        results: {persist: false}
        steps:
          a: {run: dsteps.pid}
        """,
        dsteps=STEPS,
    )
    result = CliRunner().invoke(cli, ["run", str(config), "--address", "tcp://127.0.0.1:8786"])
    assert result.exit_code == 2, result.output
    assert "an address is for the `dask` executor, not `sequential`" in result.stderr


def test_a_killed_worker_is_not_a_step_failure_the_step_runs_again_elsewhere(
    make_project: ProjectFactory, tmp_path: Path, address: str, caplog: pytest.LogCaptureFixture
) -> None:
    marker = tmp_path / "victim"
    config = make_project(
        f"""
        name: dasky
        executor: {{type: dask, address: "{address}", shared_filesystem: true}}
        results: {{persist: false}}
        steps:
          slow: {{run: dsteps.slow, inputs: {{seconds: 3, marker: "{marker}"}}, retries: 1}}
        """,
        dsteps=STEPS,
    )
    killed: list[int] = []

    def kill_the_worker() -> None:
        deadline = time.monotonic() + 60
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        killed.append(int(marker.read_text()))
        os.kill(killed[0], signal.SIGKILL)

    killer = threading.Thread(target=kill_the_worker)
    killer.start()
    events: list[Event] = []
    run = pipeflow.load(config).run(subscribers=[events.append], history=False)
    killer.join()
    assert run.state("slow") is StepState.DONE, run.outcomes
    # It ran again, whole, in another worker process: not a retry of the step.
    assert int(marker.read_text()) != killed[0]
    assert (tmp_path / "victim.finished").exists()
    assert run.outcomes["slow"].attempts == 1
    assert not [event for event in events if isinstance(event, StepRetrying)]
    assert any(
        "the Dask worker running `slow`" in record.getMessage()
        and "starts again on another worker" in record.getMessage()
        for record in caplog.records
    )


def test_a_timeout_fails_the_step_at_once_and_the_worker_is_restarted(
    make_project: ProjectFactory, tmp_path: Path, address: str
) -> None:
    marker = tmp_path / "slow"
    config = make_project(
        f"""
        name: dasky
        executor: {{type: dask, address: "{address}", shared_filesystem: true}}
        results: {{persist: false}}
        steps:
          slow: {{run: dsteps.slow, inputs: {{seconds: 3, marker: "{marker}"}}, timeout: 500ms}}
        """,
        dsteps=STEPS,
    )
    started = time.monotonic()
    run = pipeflow.load(config).run()
    assert time.monotonic() - started < 3
    assert run.state("slow") is StepState.FAILED
    error = run.outcomes["slow"].error or ""
    assert "did not finish within its timeout of 0.50s" in error
    assert "worker" in error
    assert "restarted" in error
    assert gone(int(marker.read_text()))  # the worker process that ran it was replaced
    time.sleep(max(0.0, started + 3.5 - time.monotonic()))
    assert not Path(str(marker) + ".finished").exists()  # stopped, not abandoned


def test_a_worker_stuck_in_a_call_that_holds_the_gil_is_given_up_on(
    make_project: ProjectFactory, tmp_path: Path, address: str
) -> None:
    marker = tmp_path / "spin"
    config = make_project(
        f"""
        name: dasky
        executor: {{type: dask, address: "{address}", shared_filesystem: true}}
        results: {{persist: false}}
        steps:
          spin: {{run: dsteps.spin, inputs: {{marker: "{marker}"}}, timeout: 300ms}}
        """,
        dsteps=STEPS,
    )
    failed_at: list[float] = []

    def watch(event: Event) -> None:
        if isinstance(event, StepFinished):
            failed_at.append(time.monotonic())

    started = time.monotonic()
    run = pipeflow.load(config).run(subscribers=[watch])
    assert run.state("spin") is StepState.FAILED
    assert failed_at[0] - started < 7  # about 3 s after its timeout, not when the call ends
    assert time.monotonic() - started < 20  # and the worker was restarted
    error = run.outcomes["spin"].error or ""
    assert "stopped answering" in error
    assert gone(int(marker.read_text()))


def test_ctrl_c_cancels_the_tasks_and_stops_their_work(
    tmp_path: Path, address: str, cluster: Cluster
) -> None:
    from pipeflow.execute.executors import create_executor

    (tmp_path / "dsteps.py").write_text(STEPS, encoding="utf-8")
    marker = tmp_path / "slow"
    executor = create_executor("dask", address=address)
    task = Task(
        run_id="ctrl-c",
        step="slow",
        function="dsteps.slow",
        inputs={"seconds": 30, "marker": str(marker)},
        project_dir=str(tmp_path),
    )
    future = executor.submit(task, lambda *_: None)
    deadline = time.monotonic() + 30
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    started = time.monotonic()
    executor.shutdown(cancel=True)
    assert time.monotonic() - started < 15
    assert future.result(timeout=0).error == "interrupted"
    assert gone(int(marker.read_text()))


def test_the_iris_example_gives_the_same_report_on_dask(iris_project: Path, address: str) -> None:
    # The cluster's workers run on this machine: they see the project folder.
    config = iris_project / "pipeline.yaml"
    text = config.read_text()
    config.write_text(
        text.replace("executor: {type: sequential}", "executor: {shared_filesystem: true}")
    )
    results = {}
    for executor in ("sequential", "dask"):
        run = pipeflow.load(iris_project / "pipeline.yaml").run(
            executor=executor,
            address=address if executor == "dask" else None,
            no_cache=True,
            history=False,
        )
        assert run.ok, (executor, run.outcomes)
        results[executor] = run.output("report_accuracy")
    assert results["dask"] == results["sequential"]


def test_a_local_cluster_is_started_for_the_run_and_closed(
    make_project: ProjectFactory,
) -> None:
    import psutil

    config = make_project(
        """
        name: dasky
        executor: {type: dask, workers: 1, threads_per_worker: 2}
        results: {persist: false}
        steps:
          left: {run: dsteps.talk, inputs: {name: left, count: 8}}
          right: {run: dsteps.talk, inputs: {name: right, count: 8}}
          a: {run: dsteps.pid}
        """,
        dsteps=STEPS,
    )

    def children() -> set[int]:
        """This process's children, but multiprocessing's resource tracker: the first
        cluster of the process starts it, and it stays until the process ends."""
        found = set()
        for child in psutil.Process().children(recursive=True):
            with contextlib.suppress(psutil.Error):
                if "resource_tracker" not in " ".join(child.cmdline()):
                    found.add(child.pid)
        return found

    before = children()
    events: list[Event] = []
    run = pipeflow.load(config).run(subscribers=[events.append])
    assert run.ok, run.outcomes
    assert run.output("a") != os.getpid()
    # Two steps printing at once on one worker's two threads: each line under its own step.
    for name in ("left", "right"):
        lines = [(e.stream, e.text) for e in events if isinstance(e, StepOutput) and e.step == name]
        expected = [("stdout", f"{name} line {i}") for i in range(8)]
        assert [line for line in lines if line[0] == "stdout"] == [
            *expected,
            ("stdout", f"{name} without a newline"),
        ]
        assert [text for stream, text in lines if stream == "log"] == [
            f"{name} logged {i}" for i in range(8)
        ]
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        left = children() - before
        if not left:
            break
        time.sleep(0.2)
    assert not left, "the run's own cluster is closed when the run ends"


def test_a_timed_out_attempt_is_stopped_before_the_retry_starts(
    make_project: ProjectFactory, tmp_path: Path, address: str
) -> None:
    from tests.execute.test_timeouts import STEPS as GUARDED
    from tests.execute.test_timeouts import attempts_in

    # A call blocked in C is retried once its worker is gone: test_dask_stuck_retries.py.
    folder = tmp_path / "marks"
    folder.mkdir()
    config = make_project(
        f"""
        name: dasky
        executor: {{type: dask, address: "{address}", shared_filesystem: true}}
        results: {{persist: false}}
        steps:
          slow:
            run: tsteps.guarded
            inputs: {{folder: "{folder}", seconds: 6}}
            retries: 2
            retry_delay: 0s
            timeout: 1s
        """,
        tsteps=GUARDED,
    )
    run = pipeflow.load(config).run()
    outcome = run.outcomes["slow"]
    assert outcome.state is StepState.FAILED
    assert outcome.attempts == 3, outcome
    assert "did not finish within its timeout" in (outcome.error or "")
    time.sleep(1)
    assert len(attempts_in(folder)) == 3
    assert not (folder / "overlap").exists()


def test_steps_ready_at_the_start_all_start_though_one_fails_at_once(
    make_project: ProjectFactory, tmp_path: Path, address: str
) -> None:
    from tests.execute.test_failure_policy import STEPS as FAILING

    config = make_project(
        f"""
        name: ready
        executor: {{type: dask, address: "{address}", shared_filesystem: true}}
        results: {{persist: false}}
        steps:
          boom: {{run: fsteps.fail}}
          other: {{run: fsteps.mark, inputs: {{path: "{tmp_path / "other"}"}}}}
          after: {{run: fsteps.mark, inputs: {{path: "{tmp_path / "after"}"}}, after: [boom]}}
        """,
        fsteps=FAILING,
    )
    run = pipeflow.load(config).run(history=False)
    assert run.state("boom") is StepState.FAILED
    assert run.state("other") is StepState.DONE, run.outcomes["other"]
    assert run.state("after") is StepState.NOT_RUN
    assert (tmp_path / "other").exists()


ATTACK = """
import os
from os import system

run_cmd = os.system
"""


def test_the_workers_refuse_a_path_that_walks_out_of_the_project(
    make_project: ProjectFactory, tmp_path: Path, address: str
) -> None:
    """Defence in depth: a config that reached the run unvalidated (`check_code=False`) gets
    its steps refused on the worker, which calls nothing."""
    marker = tmp_path / "MARKER"
    touch = f'{{command: "touch {marker}"}}'
    config = make_project(
        f"""
        name: dasky
        executor: {{type: dask, address: "{address}", shared_filesystem: true}}
        results: {{persist: false}}
        steps:
          a: {{run: "attack:os.system", inputs: {touch}}}
          b: {{run: attack.system, inputs: {touch}}}
          c: {{run: attack.run_cmd, inputs: {touch}}}
          d: {{run: "pipeflow.importing.projects:os.system", inputs: {touch}}}
        """,
        attack=ATTACK,
    )
    run = pipeflow.load(config, check_code=False).run(keep_going=True)
    for step in "abcd":
        assert run.state(step) is StepState.FAILED
        assert "ImportProblem" in (run.outcomes[step].error or ""), run.outcomes[step].error
    assert not marker.exists()


DOWN = """
from pathlib import Path
if (Path(__file__).parent / "DOWN").exists():
    raise RuntimeError("the service this module connects to is down")

def f() -> int:
    return 1
"""


def test_a_step_module_that_fails_to_import_on_a_worker_shows_the_users_line(
    make_project: ProjectFactory, tmp_path: Path, address: str
) -> None:
    config = make_project(
        f"""
        name: dasky
        executor: {{type: dask, address: "{address}", shared_filesystem: true}}
        results: {{persist: false}}
        steps:
          first: {{run: down.f}}
        """,
        down=DOWN,
    )
    pipeline = pipeflow.load(config)  # imports cleanly here
    (tmp_path / "DOWN").write_text("", encoding="utf-8")
    run = pipeline.run()
    outcome = run.outcomes["first"]
    assert outcome.state is StepState.FAILED
    assert (outcome.error or "").endswith("(at down.py:4)"), outcome.error
    assert f'File "{tmp_path / "down.py"}", line 4' in (outcome.traceback or "")


def test_a_cluster_pipeflow_starts_survives_the_removal_of_a_worker_it_never_saw() -> None:
    """distributed issue 5407: a worker removed before the cluster heard of it (restarted by
    a timeout, under load) made the cluster's watcher, then its `close()`, raise KeyError."""
    from pipeflow.execute.executors.dask.stopping import tolerate_unknown_removals

    local = tolerate_unknown_removals(
        distributed.LocalCluster(
            n_workers=1,
            processes=False,
            dashboard_address=None,
            # Without this the scheduler's HTTP server wants :8787, which a parallel test may hold.
            scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"},
            silence_logs=40,
        )
    )
    try:
        known = dict(local.scheduler_info["workers"])
        assert len(known) == 1
        local._update_worker_status("remove", "tcp://127.0.0.1:1")  # never added
        assert local.scheduler_info["workers"] == known
        (address,) = known

        async def remove_known() -> None:  # in the cluster's loop, as its watcher runs
            local._update_worker_status("remove", address)

        local.sync(remove_known)  # a known one goes through as before
        assert address not in local.scheduler_info["workers"]
    finally:
        local.close()
    assert local.status.name == "closed"


def test_small_results_stored_by_dask_workers_are_journaled_and_cached(
    tmp_path: Path, address: str
) -> None:
    """Workers sharing the client's disk append to their own journals (one per process), and
    a re-run finds every result in them: nothing runs again."""
    from tests.cache.test_journal import calls, chain, journaled, journals

    config = chain(tmp_path, 4, executor=f'dask, address: "{address}", shared_filesystem: true')
    run = pipeflow.load(config).run()
    assert run.ok
    found = journals(tmp_path)
    assert found
    assert all(path.name.startswith(f"{run.id}-") for path in found)
    assert str(os.getpid()) not in {path.name[len(run.id) + 1 :].split(".")[0] for path in found}
    assert sorted(step for path in found for step in journaled(path)) == ["s0", "s1", "s2", "s3"]
    assert calls(tmp_path) == ["s0", "s1", "s2", "s3"]
    again = pipeflow.load(config).run()
    assert calls(tmp_path) == []
    assert again.output("s3") == run.output("s3")
