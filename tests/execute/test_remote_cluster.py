"""A Dask cluster whose workers share nothing with the client (SPEC section 14).

A real `dask scheduler` and two `dask worker` processes, each worker in its own mount
namespace where the folder holding the test projects is hidden under a tmpfs (`unshare -m`,
which needs root: CI runs as root), started from another working directory; results on moto's
S3 server. A worker there fails `import steps...` unless the code travels with the run.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import pipeflow
from pipeflow.cli import cli
from tests import system
from tests.conftest import REPO
from tests.servers import LOOPBACK, ObjectStore, free_port

distributed = pytest.importorskip("distributed")

START_TIMEOUT = 90.0  # seconds for the scheduler and workers to come up on a busy machine


@dataclass
class Remote:
    address: str
    client: Any
    hidden: Path  # where the test projects live: the workers cannot see it
    store: ObjectStore

    def project(self, label: str) -> Path:
        folder = self.hidden / f"{label}-{uuid.uuid4().hex[:8]}"
        folder.mkdir()
        return folder

    def results(self) -> str:
        """A `results:` block on the S3 server, fresh for each project."""
        endpoint = self.store.storage_options["client_kwargs"]["endpoint_url"]
        url = self.store.unique_url("remote")
        options = f'{{client_kwargs: {{endpoint_url: "{endpoint}"}}}}'
        return f'results: {{root: "{url}", storage_options: {options}}}'


def _require_root() -> None:
    if os.geteuid() != 0:
        system.missing("root, for `unshare -m` (workers that cannot see the project)", "sudo")


def _dask() -> str:
    return str(Path(sys.executable).with_name("dask"))


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@dataclass
class Processes:
    started: list[subprocess.Popen[bytes]]
    logs: Path

    def scheduler(self, port: int) -> str:
        self._start(
            [_dask(), "scheduler", "--host", LOOPBACK, "--port", str(port), "--no-dashboard"],
            "scheduler",
        )
        return f"tcp://{LOOPBACK}:{port}"

    def worker(self, address: str, hidden: Path, *, env: dict[str, str] | None = None) -> None:
        """A worker in its own mount namespace, with a tmpfs over `hidden`."""
        mount, bash, unshare = (system.program(p) for p in ("mount", "bash", "unshare"))
        script = (
            f'{mount} -t tmpfs none "{hidden}" && exec "{_dask()}" worker {address} '
            "--nworkers 1 --nthreads 2 --no-dashboard"
        )
        self._start([unshare, "-m", bash, "-c", script], "worker", env=env)

    def _start(self, command: list[str], name: str, env: dict[str, str] | None = None) -> None:
        with (self.logs / f"{name}-{len(self.started)}.log").open("wb") as log:
            self.started.append(
                subprocess.Popen(
                    command,
                    cwd=self.logs,  # not the project's folder
                    env=env or dict(os.environ),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )

    def tails(self) -> str:
        return "\n".join(
            f"--- {log.name}\n{log.read_text(errors='replace')[-2000:]}"
            for log in sorted(self.logs.glob("*.log"))
        )


@pytest.fixture(scope="module")
def processes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Processes]:
    _require_root()
    started = Processes([], tmp_path_factory.mktemp("cluster-logs"))
    try:
        yield started
    finally:
        for process in reversed(started.started):
            _stop(process)


def _client(address: str, workers: int, processes: Processes) -> Any:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            client = distributed.Client(address, timeout=5)
            break
        except (OSError, TimeoutError):
            if time.monotonic() > deadline:
                pytest.fail(f"the scheduler did not start:\n{processes.tails()}")
            time.sleep(0.5)
    try:
        client.wait_for_workers(workers, timeout=START_TIMEOUT)
    except TimeoutError:
        client.close()
        pytest.fail(f"the workers did not start:\n{processes.tails()}")
    return client


@pytest.fixture(scope="module")
def remote(
    processes: Processes, s3_server: ObjectStore, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Remote]:
    hidden = tmp_path_factory.mktemp("laptop")
    address = processes.scheduler(free_port())
    for _ in range(2):
        processes.worker(address, hidden)
    client = _client(address, 2, processes)
    try:
        yield Remote(address, client, hidden, s3_server)
    finally:
        client.close()


def _iris(remote: Remote) -> Path:
    folder = remote.project("iris")
    shutil.copy(REPO / "pipeline.yaml", folder / "pipeline.yaml")
    for name in ("steps", "params"):
        shutil.copytree(REPO / name, folder / name, ignore=shutil.ignore_patterns("__pycache__"))
    (folder / "data" / "raw").mkdir(parents=True)
    shutil.copy(REPO / "data" / "raw" / "iris.csv", folder / "data" / "raw" / "iris.csv")
    config = folder / "pipeline.yaml"
    text = config.read_text()
    for old in ("  root: data/processed\n", "  storage_options: {}\n", "  persist: true\n"):
        text = text.replace(old, "")
    text = text.replace("results:\n", remote.results() + "\n")
    config.write_text(text)
    return config


def test_the_workers_cannot_see_the_projects(remote: Remote) -> None:
    """The control: what the other tests run could not import from the project folder."""
    folder = remote.project("seen")
    (folder / "marker.txt").write_text("here")
    seen = remote.client.run(os.path.exists, str(folder / "marker.txt"))
    assert len(seen) == 2
    assert set(seen.values()) == {False}


def test_the_iris_example_runs_unchanged_on_the_remote_cluster(remote: Remote) -> None:
    config = _iris(remote)
    result = CliRunner().invoke(
        cli, ["run", str(config), "--executor", "dask", "--address", remote.address]
    )
    assert result.exit_code == 0, result.output + result.stderr
    assert "dashboard" not in result.output.lower()  # its scheduler has none
    run = pipeflow.load(config).run(executor="sequential", history=False)
    assert run.ok
    assert 80 < run.output("report_accuracy") <= 100
    # Everything came from the store: the remote run left it complete and current.
    assert {outcome.state.value for outcome in run.outcomes.values()} == {"cached"}


def test_the_model_evaluation_example_runs_on_the_remote_cluster(remote: Remote) -> None:
    folder = remote.project("evaluation")
    for name in ("pipeline.yaml", "evaluation.py"):
        shutil.copy(REPO / "examples" / "model_evaluation" / name, folder / name)
    config = folder / "pipeline.yaml"
    text = config.read_text()
    assert "results:\n  root: data/processed\n" in text
    config.write_text(text.replace("results:\n  root: data/processed\n", remote.results() + "\n"))
    result = CliRunner().invoke(
        cli, ["run", str(config), "--address", remote.address, "--param", "count=300"]
    )
    assert result.exit_code == 0, result.output + result.stderr
    run = pipeflow.load(config, params={"count": 300}).run(executor="sequential", history=False)
    assert run.ok
    assert {outcome.state.value for outcome in run.outcomes.values()} == {"cached"}


# What a run of examples/get_started leaves behind, never copied from the repository.
MADE = ("results", "eval", "model.pkl", "prepared", "features", ".pipeflow", "__pycache__")
GET_STARTED_WRITES = [
    "data/prepared/test.tsv",
    "data/prepared/train.tsv",
    "data/features/test.pkl",
    "data/features/train.pkl",
    "model.pkl",
    "eval/metrics.json",
]


def _get_started(remote: Remote) -> tuple[Path, list[str]]:
    """A clean copy of examples/get_started in the hidden folder, its store on S3; the
    command line that runs it on the remote cluster."""
    folder = remote.project("get-started")
    shutil.copytree(
        REPO / "examples" / "get_started",
        folder,
        ignore=shutil.ignore_patterns(*MADE),
        dirs_exist_ok=True,
    )
    config = folder / "pipeline.yaml"
    text = config.read_text()
    assert "results:\n  root: ${params.store}\n" in text
    config.write_text(text.replace("results:\n  root: ${params.store}\n", remote.results() + "\n"))
    command = ["run", str(config), "--param-file", str(folder / "params.yaml")]
    return folder, [*command, "--executor", "dask", "--address", remote.address]


def _files(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in GET_STARTED_WRITES}


def _states(folder: Path) -> dict[str, str]:
    """How each step stands for a run on this machine (run, cached, restore): planned only."""
    pipeline = pipeflow.load(folder / "pipeline.yaml", param_files=[folder / "params.yaml"])
    return {d.step: d.action.value for d in pipeline.status()}


def test_the_get_started_example_exchanges_files_on_the_remote_cluster(remote: Remote) -> None:
    """Steps that hand each other files (`writes:`, folder path inputs) on workers that see
    none of them: what each writes comes back to this machine, the next one gets it from
    the store; a re-run runs nothing; a deleted output is restored here; a param change
    re-runs what it reaches, on the files as they are now."""
    folder, command = _get_started(remote)
    runner = CliRunner()

    first = runner.invoke(cli, command)
    assert first.exit_code == 0, first.output + first.stderr
    for name in GET_STARTED_WRITES:
        assert (folder / name).is_file(), f"{name} did not come back from the workers"
    metrics = json.loads((folder / "eval" / "metrics.json").read_text())
    assert 0.8 < metrics["roc_auc"] <= 1
    written = _files(folder)
    # What came back is what the store holds: this machine finds everything current.
    assert set(_states(folder).values()) == {"cached"}

    again = runner.invoke(cli, command)
    assert again.exit_code == 0, again.output + again.stderr
    assert "4 cached" in again.output
    assert _files(folder) == written

    # A deleted output is put back on this machine, from the store, without a step running.
    (folder / "model.pkl").unlink()
    assert _states(folder)["train"] == "restore"
    restored = runner.invoke(cli, command)
    assert restored.exit_code == 0, restored.output + restored.stderr
    assert (folder / "model.pkl").read_bytes() == written["model.pkl"]
    assert set(_states(folder).values()) == {"cached"}

    # A featurize param: featurize rewrites data/features/ on a worker; train and evaluate
    # run on the new files, sent from here.
    params = folder / "params.yaml"
    params.write_text(params.read_text().replace("max_features: 100", "max_features: 20"))
    changed = runner.invoke(cli, command)
    assert changed.exit_code == 0, changed.output + changed.stderr
    now = _files(folder)
    assert now["data/prepared/train.tsv"] == written["data/prepared/train.tsv"]
    assert now["data/features/train.pkl"] != written["data/features/train.pkl"]
    assert now["model.pkl"] != written["model.pkl"]
    assert set(_states(folder).values()) == {"cached"}
    # The same files as this machine makes by itself from a clean copy with that param.
    local = remote.hidden.parent / f"local-{uuid.uuid4().hex[:8]}"
    shutil.copytree(REPO / "examples" / "get_started", local, ignore=shutil.ignore_patterns(*MADE))
    shutil.copy(params, local / "params.yaml")
    clean = pipeflow.load(
        local / "pipeline.yaml", param_files=[local / "params.yaml"], param_options=["store=out"]
    ).run(history=False)
    assert clean.ok, clean.outcomes
    # The model's pickle may differ in its bytes between two processes (memoised objects),
    # not in what it predicts: the metrics computed from it are the same.
    mine = _files(local)
    assert {n: b for n, b in mine.items() if n != "model.pkl"} == {
        n: b for n, b in now.items() if n != "model.pkl"
    }


READER = """
from pathlib import Path


def combine(src: str, out: str) -> str:
    sibling = Path(src).parent / "deep" / "b.csv"  # not an input: `reads:` names its folder
    Path(out).write_text(Path(src).read_text() + sibling.read_text())
    return "combined"
"""


@pytest.mark.parametrize("no_cache", [False, True], ids=["stored", "no-cache"])
def test_what_reads_names_travels_and_what_a_step_writes_comes_back(
    remote: Remote, no_cache: bool
) -> None:
    folder = remote.project("reads")
    (folder / "reader.py").write_text(READER)
    (folder / "data" / "raw" / "deep").mkdir(parents=True)
    (folder / "data" / "raw" / "a.csv").write_text("a")
    (folder / "data" / "raw" / "deep" / "b.csv").write_text("b")
    config = folder / "pipeline.yaml"
    config.write_text(
        f"name: reads\n{remote.results()}\n"
        f'executor: {{type: dask, address: "{remote.address}"}}\n'
        "steps:\n"
        "  combine:\n"
        "    run: reader.combine\n"
        "    inputs: {src: data/raw/a.csv, out: out/both.txt}\n"
        "    reads: [data/raw]\n"
        "    writes: [out/both.txt]\n"
    )
    run = pipeflow.load(config).run(history=False, no_cache=no_cache)
    assert run.ok, run.outcomes
    assert (folder / "out" / "both.txt").read_text() == "ab"


PARTS = """
from pathlib import Path


def parts(count: int, out: str) -> int:
    Path(out).mkdir(parents=True, exist_ok=True)
    for index in range(count):
        (Path(out) / f"part-{index}.txt").write_text(f"part {index} of {count}")
    return count
"""


def test_a_file_put_by_hand_in_a_written_folder_survives_the_copy_back(remote: Remote) -> None:
    """The step runs in the worker's own workspace, which never had the note put by hand in
    the folder it writes: copying its folder back here left the note out, as if the folder
    were only what the step wrote. The store has no copy of it, so it stays (as it does on
    a shared filesystem, and in a restore)."""
    folder = remote.project("kept")
    (folder / "partsteps.py").write_text(PARTS)
    config = folder / "pipeline.yaml"
    config.write_text(
        f"name: kept\nparams: {{count: 3}}\n{remote.results()}\n"
        f'executor: {{type: dask, address: "{remote.address}"}}\n'
        "steps:\n"
        "  parts:\n"
        "    run: partsteps.parts\n"
        '    inputs: {count: "${params.count}", out: out/parts}\n'
        "    writes: [out/parts/]\n"
    )
    parts = folder / "out" / "parts"
    assert pipeflow.load(config).run(history=False).ok
    (parts / "notes.md").write_text("mine")
    again = pipeflow.load(config, params={"count": 2}).run(history=False)
    assert again.ok, again.outcomes
    assert sorted(path.name for path in parts.iterdir()) == [
        "notes.md",
        "part-0.txt",
        "part-1.txt",
    ]
    assert (parts / "notes.md").read_text() == "mine"


STEPS_V1 = """
from pkg.helpers import scale


def value(path: str) -> int:
    with open(path) as handle:
        return scale(int(handle.read()))
"""

HELPERS = """
FACTOR = {factor}


def scale(number: int) -> int:
    return number * FACTOR
"""


def _edited_project(remote: Remote, factor: int) -> Path:
    folder = remote.project("edited")
    (folder / "pkg").mkdir()
    (folder / "pkg" / "__init__.py").write_text("")
    (folder / "pkg" / "steps.py").write_text(STEPS_V1)
    (folder / "pkg" / "helpers.py").write_text(HELPERS.format(factor=factor))
    (folder / "data").mkdir()
    (folder / "data" / "number.txt").write_text("7")
    config = folder / "pipeline.yaml"
    config.write_text(
        textwrap.dedent(
            f"""\
            name: edited
            {remote.results()}
            executor: {{type: dask, address: "{remote.address}"}}
            steps:
              value: {{run: pkg.steps.value, inputs: {{path: data/number.txt}}}}
            """
        )
    )
    return config


def _sent(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == "pipeflow.execute.shipping" and "code package" in record.getMessage()
    ]


def test_an_edited_step_runs_its_new_code_and_unchanged_code_is_not_sent_again(
    remote: Remote, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="pipeflow.execute.shipping")
    config = _edited_project(remote, factor=2)

    first = pipeflow.load(config).run(history=False)
    assert first.ok, first.outcomes
    assert first.output("value") == 14  # a helper module and a data file, both travelled
    assert [message.endswith("bytes)") for message in _sent(caplog)] == [True]

    caplog.clear()
    again = pipeflow.load(config).run(no_cache=True, history=False)
    assert again.ok, again.outcomes
    assert again.output("value") == 14
    assert [message.endswith("not sent") for message in _sent(caplog)] == [True]

    # The same long-lived workers, a helper edited: its new code runs there.
    (config.parent / "pkg" / "helpers.py").write_text(HELPERS.format(factor=3))
    caplog.clear()
    edited = pipeflow.load(config).run(history=False)
    assert edited.ok, edited.outcomes
    assert edited.output("value") == 21
    assert [message.endswith("bytes)") for message in _sent(caplog)] == [True]


def test_two_projects_with_one_module_name_do_not_clash(remote: Remote) -> None:
    """Two versions of `pkg` (two projects) alternate on the same workers."""
    one, other = _edited_project(remote, factor=2), _edited_project(remote, factor=5)
    for _ in range(2):
        assert pipeflow.load(one).run(no_cache=True, history=False).output("value") == 14
        assert pipeflow.load(other).run(no_cache=True, history=False).output("value") == 35


def test_a_sub_pipeline_from_another_folder_travels_too(remote: Remote) -> None:
    root = remote.project("sub")
    (root / "lib").mkdir()
    (root / "main").mkdir()
    (root / "lib" / "libsteps.py").write_text("def double(n: int) -> int:\n    return 2 * n\n")
    (root / "lib" / "child.yaml").write_text(
        f"name: child\n{remote.results()}\n"
        "steps:\n  double: {run: libsteps.double, inputs: {n: 21}}\n"
        "outputs:\n  double: ${steps.double}\n"
    )
    (root / "main" / "mainsteps.py").write_text("def plus(n: int) -> int:\n    return n + 1\n")
    config = root / "main" / "pipeline.yaml"
    config.write_text(
        f"name: parent\n{remote.results()}\n"
        f'executor: {{type: dask, address: "{remote.address}"}}\n'
        "steps:\n"
        "  sub: {pipeline: ../lib/child.yaml}\n"
        '  plus: {run: mainsteps.plus, inputs: {n: "${steps.sub.double}"}}\n'
    )
    run = pipeflow.load(config).run(history=False)
    assert run.ok, run.outcomes
    assert run.output("plus") == 43


def test_a_shared_filesystem_declared_wrongly_names_the_missing_folder(remote: Remote) -> None:
    """What happens without the code travelling: the worker cannot import the project."""
    config = _edited_project(remote, factor=2)
    config.write_text(
        config.read_text().replace(
            f'address: "{remote.address}"}}',
            f'address: "{remote.address}", shared_filesystem: true}}',
        )
    )
    run = pipeflow.load(config).run(history=False)
    assert not run.ok
    error = run.outcomes["value"].error or ""
    assert f"the project folder {config.parent}" in error
    assert "does not exist on the Dask worker" in error


# -- refused before anything runs -----------------------------------------------------------


LOCAL_ROOT = """\
name: local
results: {root: out}
executor: {type: dask, address: "tcp://127.0.0.1:8786"%s}
steps:
  touch: {run: touching.touch, inputs: {marker: "%s"}}
"""

TOUCHING = "def touch(marker: str) -> None:\n    open(marker, 'w').close()\n"


@pytest.mark.parametrize(
    ("config_root", "options"),
    [
        ("results: {root: out}", []),
        ("results: {root: %s/out}", []),
        ("results: {root: ~/pipeflow-never-written/out}", []),
        ("results: {root: file://%s/out}", []),
        ("results: {root: local://%s/out}", []),
        ("results: {root: s3://never/used}", ["--results", "out"]),
        ("results: {root: s3://never/used}", ["--results", "file://%s/out"]),
        ("results: {root: s3://never/used}", ["--results", "local://%s/out"]),
    ],
    ids=[
        "relative-folder",
        "absolute-folder",
        "home-folder",
        "file-url",
        "local-url",
        "results-option",
        "results-option-file-url",
        "results-option-local-url",
    ],
)
def test_a_local_results_root_with_a_remote_address_is_refused(
    tmp_path: Path, config_root: str, options: list[str]
) -> None:
    marker = tmp_path / "ran"
    (tmp_path / "touching.py").write_text(TOUCHING)
    config = tmp_path / "pipeline.yaml"
    text = LOCAL_ROOT % ("", marker)
    config.write_text(
        text.replace("results: {root: out}", config_root.replace("%s", str(tmp_path)))
    )
    runner = CliRunner()
    if not options:  # a root in the config is refused by `validate` already
        validated = runner.invoke(cli, ["validate", str(config)])
        assert validated.exit_code == 2, validated.output
        assert "cannot reach" in validated.stderr
        assert "executor.shared_filesystem: true" in validated.stderr
    options = [option.replace("%s", str(tmp_path)) for option in options]
    ran = runner.invoke(cli, ["run", str(config), *options])
    assert ran.exit_code == 2, ran.output
    assert "is a folder on this machine, which the Dask workers at `tcp://127.0.0.1:8786`" in (
        ran.stderr
    )
    where = "--results" if options else "results.root"  # where the root is named
    assert f"error at `{where}`: the results root" in ran.stderr, ran.stderr
    assert not marker.exists()


def test_the_address_option_with_a_local_root_is_refused_before_connecting(
    tmp_path: Path,
) -> None:
    marker = tmp_path / "ran"
    (tmp_path / "touching.py").write_text(TOUCHING)
    config = tmp_path / "pipeline.yaml"
    config.write_text(
        "name: local\nresults: {root: out}\nsteps:\n"
        f'  touch: {{run: touching.touch, inputs: {{marker: "{marker}"}}}}\n'
    )
    unused = f"tcp://127.0.0.1:{free_port()}"  # nothing answers: refused before connecting
    ran = CliRunner().invoke(cli, ["run", str(config), "--executor", "dask", "--address", unused])
    assert ran.exit_code == 2, ran.output
    assert f"which the Dask workers at `{unused}` cannot reach" in ran.stderr
    assert not marker.exists()


def test_a_shared_filesystem_allows_a_local_root(tmp_path: Path) -> None:
    (tmp_path / "touching.py").write_text(TOUCHING)
    config = tmp_path / "pipeline.yaml"
    config.write_text(LOCAL_ROOT % (", shared_filesystem: true", tmp_path / "ran"))
    validated = CliRunner().invoke(cli, ["validate", str(config)])
    assert validated.exit_code == 0, validated.output + validated.stderr


# -- versions --------------------------------------------------------------------------------


def _distribution(site: Path, name: str, version: str) -> None:
    """A real (tiny) installed distribution: its package and its metadata."""
    (site / name).mkdir(parents=True)
    (site / name / "__init__.py").write_text(f"VERSION = {version!r}\n")
    info = site / f"{name}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (info / "top_level.txt").write_text(f"{name}\n")


def test_version_mismatches_are_named_before_anything_runs(
    processes: Processes,
    s3_server: ObjectStore,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A worker that runs another pipeflow (a real copy whose version says 0.0.9) and another
    version of a package a step imports (installed on its PYTHONPATH)."""
    hidden = tmp_path_factory.mktemp("laptop-versions")
    worker_site = tmp_path_factory.mktemp("worker-site")
    shutil.copytree(
        REPO / "pipeflow", worker_site / "pipeflow", ignore=shutil.ignore_patterns("__pycache__")
    )
    version_file = worker_site / "pipeflow" / "_version.py"
    version_file.write_text(
        version_file.read_text().replace(
            f'__version__ = "{pipeflow.__version__}"', '__version__ = "0.0.9"'
        )
    )
    _distribution(worker_site, "pfprobe", "2.0")
    client_site = tmp_path_factory.mktemp("client-site")
    _distribution(client_site, "pfprobe", "1.0")
    monkeypatch.syspath_prepend(str(client_site))

    address = processes.scheduler(free_port())
    processes.worker(address, hidden, env={**os.environ, "PYTHONPATH": str(worker_site)})
    _client(address, 1, processes).close()

    project = hidden / "versions"
    project.mkdir()
    marker = project / "ran"
    (project / "probing.py").write_text(
        "import pfprobe\n\n\ndef probe(marker: str) -> str:\n"
        "    open(marker, 'w').close()\n    return pfprobe.VERSION\n"
    )
    endpoint = s3_server.storage_options["client_kwargs"]["endpoint_url"]
    config = project / "pipeline.yaml"
    config.write_text(
        "name: versions\n"
        f'results: {{root: "{s3_server.unique_url("versions")}", '
        f'storage_options: {{client_kwargs: {{endpoint_url: "{endpoint}"}}}}}}\n'
        f'executor: {{type: dask, address: "{address}"}}\n'
        f'steps:\n  probe: {{run: probing.probe, inputs: {{marker: "{marker}"}}}}\n'
    )
    ran = CliRunner().invoke(cli, ["run", str(config)])
    assert ran.exit_code == 2, ran.output + ran.stderr
    assert f"pipeflow differs between this machine and the Dask workers at `{address}`" in (
        ran.stderr
    )
    assert f"{pipeflow.__version__} here, 0.0.9 on tcp://" in ran.stderr
    assert "pfprobe differs between this machine" in ran.stderr
    assert "1.0 here, 2.0 on tcp://" in ran.stderr
    assert "Python differs" not in ran.stderr
    assert not marker.exists()


VICTIM = """
import os
import time
from pathlib import Path


def slow(marker: str, seconds: float) -> str:
    Path(marker + ".part").write_text(str(os.getpid()))  # renamed whole: never read empty
    os.replace(marker + ".part", marker)
    time.sleep(seconds)
    return "finished"
"""


def test_a_worker_killed_mid_step_does_not_fail_the_run(remote: Remote, tmp_path: Path) -> None:
    import threading

    marker = tmp_path / "victim"  # outside the hidden folder: the test reads it
    folder = remote.project("victim")
    (folder / "victim.py").write_text(VICTIM)
    config = folder / "pipeline.yaml"
    config.write_text(
        f"name: victim\n{remote.results()}\n"
        f'executor: {{type: dask, address: "{remote.address}"}}\n'
        "steps:\n"
        f'  slow: {{run: victim.slow, inputs: {{marker: "{marker}", seconds: 3}}}}\n'
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
    run = pipeflow.load(config).run(history=False)
    killer.join()
    assert run.ok, run.outcomes
    assert run.output("slow") == "finished"
    assert int(marker.read_text()) != killed[0]  # it ran again, in another worker process
    assert run.outcomes["slow"].attempts == 1
    # The killed worker's nanny starts a new one: the cluster has two workers again.
    remote.client.wait_for_workers(2, timeout=START_TIMEOUT)
