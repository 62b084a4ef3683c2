"""On Dask, what a step's attempt wrote into its declared writes before its worker's process
ended goes before the step runs again, as after an attempt that raised
(test_failed_attempts_cleared.py) and as on `processes` (test_ended_attempts_cleared.py): the
ended attempt could not clear it itself, and its half-written files would be stored as the
next attempt's output. Every way such an attempt ends: its call outlived its timeout (blocked
in C, or holding the GIL so that its worker stops answering) and the client restarted its
worker for the next attempt; its worker died, and the scheduler started the task again; its
worker was restarted to stop another step, and the task started again elsewhere. On the
executor's own cluster and on a cluster at an address whose workers share this disk."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import fsspec
import pytest

import pipeflow
from pipeflow.model.run import StepState
from pipeflow.storage import Manifest
from tests.execute.conftest import dask_address
from tests.execute.test_remote_cluster import START_TIMEOUT, Remote, processes, remote

__all__ = ["dask_address", "processes", "remote"]

pytest.importorskip("distributed")

pytestmark = pytest.mark.slow

STEPS = """
import itertools
import os
import signal
import time
from pathlib import Path

COUNT = Path(__file__).with_name("attempts.txt")


def train(out, how):
    attempt = int(COUNT.read_text()) + 1 if COUNT.exists() else 1
    COUNT.write_text(str(attempt))
    Path(out, "deep").mkdir(parents=True, exist_ok=True)
    Path(out, f"model_{attempt}.pkl").write_text("partial")
    Path(out, "deep", "part.txt").write_text("partial")
    if attempt == 1:
        if how == "blocked":  # one call no asynchronous exception interrupts
            time.sleep(60)
        elif how == "gil":  # one C call that holds the GIL: its worker stops answering
            sum(itertools.repeat(1, 10**10))
        else:
            os.kill(os.getpid(), signal.SIGKILL)
    Path(out, "deep", "part.txt").unlink()
    Path(out, "deep").rmdir()
    Path(out, f"model_{attempt}.pkl").write_text("complete")


def collect(models):
    return sorted(p.name for p in Path(models).iterdir())
"""

YAML = """
name: ended
params: {{how: blocked}}
results: {{root: out}}
executor: {executor}
steps:
  train:
    run: endsteps.train
    inputs: {{out: models, how: "${{params.how}}"}}
    writes: [models/]
    retries: 1
    retry_delay: 0s
    timeout: 1s
  collect: {{run: endsteps.collect, inputs: {{models: models/}}}}
"""

TOML = """
name = "ended"
params = {{how = "blocked"}}
results = {{root = "out"}}
executor = {executor}

[steps.train]
run = "endsteps.train"
inputs = {{out = "models", how = "${{params.how}}"}}
writes = ["models/"]
retries = 1
retry_delay = "0s"
timeout = "1s"

[steps.collect]
run = "endsteps.collect"
inputs = {{models = "models/"}}
"""

OWN = {"yaml": "{type: dask, workers: 1}", "toml": '{type = "dask", workers = 1}'}


@pytest.fixture(params=["own", "address"])
def cluster(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def make(folder: Path, request: pytest.FixtureRequest, cluster: str, syntax: str) -> Path:
    if cluster == "own":
        executor = OWN[syntax]
    else:
        address = request.getfixturevalue("dask_address")
        executor = (
            f'{{type: dask, address: "{address}", shared_filesystem: true}}'
            if syntax == "yaml"
            else f'{{type = "dask", address = "{address}", shared_filesystem = true}}'
        )
    (folder / "endsteps.py").write_text(textwrap.dedent(STEPS))
    config = folder / f"pipeline.{syntax}"
    config.write_text((YAML if syntax == "yaml" else TOML).format(executor=executor))
    (folder / "models").mkdir()
    (folder / "models" / "README").write_text("mine")  # never written by the step
    return config


def stored(folder: Path, pipeline: str, step: str, write: str) -> list[str]:
    """The files the stored version of `step` lists under its declared `write`."""
    manifests = folder / "out" / ".pipeflow" / "manifests" / pipeline / step
    (path,) = set(manifests.glob("*.json")) - {manifests / "latest.json"}
    return sorted(Manifest.from_json(path.read_bytes()).files[write].entries)


@pytest.mark.parametrize("syntax", ["yaml", "toml"])
@pytest.mark.parametrize("how", ["blocked", "gil", "dies"])
def test_a_step_run_again_after_its_worker_ended_starts_from_what_was_there(
    tmp_path: Path, request: pytest.FixtureRequest, cluster: str, how: str, syntax: str
) -> None:
    config = make(tmp_path, request, cluster, syntax)
    run = pipeflow.load(config, params={"how": how}).run(history=False)
    assert run.ok, run.outcomes["train"]
    # A stuck attempt counts; a death is not the step's attempt (SPEC 14).
    assert run.outcomes["train"].attempts == (1 if how == "dies" else 2)
    assert (tmp_path / "attempts.txt").read_text() == "2"
    assert run.output("collect") == ["README", "model_2.pkl"]
    assert stored(tmp_path, "ended", "train", "models/") == ["README", "model_2.pkl"]
    assert (tmp_path / "models" / "README").read_text() == "mine"


SPARED = """
import time
from pathlib import Path

STARTS = Path(__file__).with_name("starts.txt")


def victim(out):
    start = int(STARTS.read_text()) + 1 if STARTS.exists() else 1
    STARTS.write_text(str(start))
    Path(out).mkdir(exist_ok=True)
    Path(out, f"start_{start}.txt").write_text("partial" if start == 1 else "whole")
    if start == 1:
        time.sleep(30)  # its worker is restarted to stop the other step
    return start


def stuck():
    while not STARTS.exists():
        time.sleep(0.05)
    time.sleep(60)  # past its timeout, in a call no asynchronous exception interrupts
"""


@pytest.mark.parametrize("syntax", ["yaml", "toml"])
def test_a_step_started_again_after_its_worker_was_restarted_for_another_starts_from_what_was_there(
    tmp_path: Path, syntax: str
) -> None:
    """A worker restarted to stop a stuck step ends the other steps running there: they start
    again elsewhere, not as an attempt, and what they wrote in their first start is not
    their output."""
    (tmp_path / "sparedsteps.py").write_text(textwrap.dedent(SPARED))
    if syntax == "yaml":
        config = tmp_path / "pipeline.yaml"
        config.write_text(
            "name: spared\n"
            "results: {root: out}\n"
            "executor: {type: dask, workers: 1, threads_per_worker: 2}\n"
            "steps:\n"
            "  victim: {run: sparedsteps.victim, inputs: {out: models}, writes: [models/]}\n"
            "  stuck: {run: sparedsteps.stuck, timeout: 1s}\n"
        )
    else:
        config = tmp_path / "pipeline.toml"
        config.write_text(
            'name = "spared"\n'
            'results = {root = "out"}\n'
            'executor = {type = "dask", workers = 1, threads_per_worker = 2}\n'
            "[steps.victim]\n"
            'run = "sparedsteps.victim"\n'
            'inputs = {out = "models"}\n'
            'writes = ["models/"]\n'
            "[steps.stuck]\n"
            'run = "sparedsteps.stuck"\n'
            'timeout = "1s"\n'
        )
    run = pipeflow.load(config).run(keep_going=True, history=False)
    assert run.state("stuck") is StepState.FAILED
    assert run.output("victim") == 2, run.outcomes["victim"]
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == ["start_2.txt"]
    assert stored(tmp_path, "spared", "victim", "models/") == ["start_2.txt"]


URLS = """
import os
import signal
from pathlib import Path

import fsspec


def train(marks, url, options):
    count = Path(marks.removeprefix("marks in "), "starts.txt")
    start = int(count.read_text()) + 1 if count.exists() else 1
    count.write_text(str(start))
    filesystem, root = fsspec.core.url_to_fs(url, **options)
    filesystem.pipe(f"{root}/model_{start}.pkl", b"partial")
    if start == 1:
        os.kill(os.getpid(), signal.SIGKILL)  # its worker dies: Dask starts it again
    filesystem.pipe(f"{root}/model_{start}.pkl", b"complete")


def listing(url, options):
    filesystem, root = fsspec.core.url_to_fs(url, **options)
    return sorted(name.rsplit("/", 1)[-1] for name in filesystem.find(root))
"""


def test_on_workers_apart_what_a_dead_start_wrote_under_a_url_goes(
    remote: Remote, tmp_path: Path
) -> None:
    """Workers that share no filesystem with the client write a URL write where the client
    sees it: what the start its worker's death ended wrote there goes too."""
    folder = remote.project("urls")
    (folder / "urlsteps.py").write_text(textwrap.dedent(URLS))
    root_url = remote.store.unique_url("written")
    endpoint = remote.store.storage_options["client_kwargs"]["endpoint_url"]
    options_text = f'{{client_kwargs: {{endpoint_url: "{endpoint}"}}}}'
    results = f'results: {{root: "{root_url}", storage_options: {options_text}}}'
    out = f"{root_url}/models"
    options = json.dumps(dict(remote.store.storage_options))
    filesystem, root = fsspec.core.url_to_fs(out, **remote.store.storage_options)
    filesystem.pipe(f"{root}/README", b"mine")  # never written by the step
    marks = f"marks in {tmp_path}"  # outside the hidden folder: the workers write there
    config = folder / "pipeline.yaml"
    config.write_text(
        f"name: urls\n{results}\n"
        f'executor: {{type: dask, address: "{remote.address}"}}\n'
        "steps:\n"
        "  train:\n"
        "    run: urlsteps.train\n"
        f'    inputs: {{marks: "{marks}", url: "{out}", options: {options}}}\n'
        f'    writes: ["{out}/"]\n'
        "  listing:\n"
        "    run: urlsteps.listing\n"
        f'    inputs: {{url: "{out}", options: {options}}}\n'
        "    after: [train]\n"
    )
    run = pipeflow.load(config).run(history=False)
    remote.client.wait_for_workers(2, timeout=START_TIMEOUT)  # the killed one's nanny
    assert run.ok, run.outcomes
    assert (tmp_path / "starts.txt").read_text() == "2"
    assert run.output("listing") == ["README", "model_2.pkl"]
