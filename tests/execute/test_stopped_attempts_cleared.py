"""What a step wrote into its declared writes before Ctrl-C stopped it, or before its worker
process died, goes with it (SPEC 5: a Ctrl-C or a crash never yields a half result that the
cache takes as whole).

The step half-writes `models/half_a.txt`; the run is stopped there. The next run, with other
params, stores and returns only what it wrote itself: the half-written file is not listed
in its manifest, nor seen by its reader. On every executor that runs steps on this
machine; a worker's death on `processes`, the one executor whose steps may die alone.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import pipeflow
from pipeflow.model.run import StepState
from pipeflow.storage import Manifest
from tests.conftest import ProjectFactory
from tests.interrupting import interrupted

CONFIG = """
name: half
params: {kind: a, stop: none}
results: {root: out}
executor: {type: EXECUTOR}
steps:
  train:
    run: halfsteps.train
    inputs: {out: models, kind: "${params.kind}", stop: "${params.stop}"}
    writes: [models/]
  collect: {run: halfsteps.collect, inputs: {models: models/}}
"""

STEPS = """
import os
import signal
import time
from pathlib import Path


def train(out, kind, stop):
    Path(out, "deep").mkdir(parents=True, exist_ok=True)
    Path(out, "deep", f"half_{kind}.txt").write_text("half")
    if stop == "wait":
        print("half written", flush=True)
        for _ in range(600):  # short sleeps: a stop lands in Python code between them
            time.sleep(0.1)
    if stop == "die":
        os.kill(os.getpid(), signal.SIGKILL)
    Path(out, "deep", f"half_{kind}.txt").unlink()
    Path(out, "deep").rmdir()
    Path(out, f"model_{kind}.txt").write_text(kind)


def collect(models):
    return sorted(p.name for p in Path(models).rglob("*"))
"""


def _stored(folder: Path) -> list[str]:
    manifests = folder / "out" / ".pipeflow" / "manifests" / "half" / "train"
    (path,) = set(manifests.glob("*.json")) - {manifests / "latest.json"}
    return sorted(Manifest.from_json(path.read_bytes()).files["models/"].entries)


def _next_run_has_only_its_own(config: Path, executor: str) -> None:
    assert not (config.parent / "models").exists()
    run = pipeflow.load(config, params={"kind": "b"}).run(executor=executor)
    assert run.ok
    assert run.output("collect") == ["model_b.txt"]
    assert _stored(config.parent) == ["model_b.txt"]


@pytest.mark.parametrize("executor", ["sequential", "threads", "processes"])
def test_a_step_stopped_by_ctrl_c_leaves_nothing(
    make_project: ProjectFactory, executor: str
) -> None:
    config = make_project(CONFIG.replace("EXECUTOR", executor), halfsteps=STEPS)
    code, output = interrupted(
        [sys.executable, "-m", "pipeflow", "run", str(config), "--param", "stop=wait"],
        cwd=config.parent,
        marker="train: started",
        file=config.parent / "models" / "deep" / "half_a.txt",
        settle=0.3,
    )
    assert code == 130, output
    _next_run_has_only_its_own(config, executor)


def test_a_step_whose_worker_dies_leaves_nothing(make_project: ProjectFactory) -> None:
    config = make_project(CONFIG.replace("EXECUTOR", "processes"), halfsteps=STEPS)
    died = pipeflow.load(config, params={"stop": "die"}).run()
    assert died.state("train") is StepState.FAILED
    _next_run_has_only_its_own(config, "processes")
