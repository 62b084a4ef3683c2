"""On `processes`, what an attempt ended with its worker process wrote into its declared writes
goes too, as after an attempt that raised (test_failed_attempts_cleared.py): the worker, ended
from outside, cannot clear it itself. Every way such an attempt ends: its timeout's deadline
passed (in C code that holds the GIL, or catching the interruption), its worker died, or
another worker's death ended it (its step then starts again on a new pool)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import pipeflow
from pipeflow.model.run import StepState
from pipeflow.storage import Manifest

STEPS = """
import itertools
import os
import signal
import time
from pathlib import Path

COUNT = Path(__file__).with_name("attempts.txt")


def train(out, how, fail):
    attempt = int(COUNT.read_text()) + 1 if COUNT.exists() else 1
    COUNT.write_text(str(attempt))
    Path(out, "deep").mkdir(parents=True, exist_ok=True)
    Path(out, f"model_{attempt}.pkl").write_text("partial")
    Path(out, "deep", "part.txt").write_text("partial")
    if attempt <= fail:
        if how == "gil":  # 30s or more in C, holding the GIL
            sum(itertools.repeat(1, 10**10))
        elif how == "catches":
            try:
                time.sleep(60)
            except BaseException:  # the timeout's interruption, swallowed
                time.sleep(60)
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
params: {{how: gil, fail: 1}}
results: {{root: out}}
executor: {{type: processes, workers: 1}}
steps:
  train:
    run: endsteps.train
    inputs: {{out: models, how: "${{params.how}}", fail: "${{params.fail}}"}}
    writes: [models/]
    retries: {retries}
    retry_delay: 0s
    timeout: 500ms
  collect: {{run: endsteps.collect, inputs: {{models: models/}}}}
"""

TOML = """
name = "ended"
params = {{how = "gil", fail = 1}}
results = {{root = "out"}}
executor = {{type = "processes", workers = 1}}

[steps.train]
run = "endsteps.train"
inputs = {{out = "models", how = "${{params.how}}", fail = "${{params.fail}}"}}
writes = ["models/"]
retries = {retries}
retry_delay = "0s"
timeout = "500ms"

[steps.collect]
run = "endsteps.collect"
inputs = {{models = "models/"}}
"""

HOW = ["gil", "catches", "dies"]


def make(folder: Path, *, retries: int, syntax: str) -> Path:
    (folder / "endsteps.py").write_text(textwrap.dedent(STEPS))
    config = folder / f"pipeline.{syntax}"
    config.write_text((YAML if syntax == "yaml" else TOML).format(retries=retries))
    (folder / "models").mkdir()
    (folder / "models" / "README").write_text("mine")  # never written by the step
    return config


def stored(folder: Path) -> list[str]:
    """The files the newest stored version of `train` lists."""
    paths = (folder / "out" / ".pipeflow" / "manifests" / "ended" / "train").glob("*.json")
    manifests = [Manifest.from_json(path.read_bytes()) for path in paths]
    newest = max(manifests, key=lambda manifest: manifest.created)
    return sorted(newest.files["models/"].entries)


@pytest.mark.parametrize("syntax", ["yaml", "toml"])
@pytest.mark.parametrize("how", ["gil", "catches"])
def test_a_retry_after_an_ended_attempt_starts_from_what_was_there(
    tmp_path: Path, how: str, syntax: str
) -> None:
    config = make(tmp_path, retries=1, syntax=syntax)
    run = pipeflow.load(config, params={"how": how}).run(history=False)
    assert run.ok, run.outcomes["train"]
    assert run.outcomes["train"].attempts == 2
    assert run.output("collect") == ["README", "model_2.pkl"]
    assert stored(tmp_path) == ["README", "model_2.pkl"]


@pytest.mark.parametrize("syntax", ["yaml", "toml"])
@pytest.mark.parametrize("how", HOW)
def test_an_ended_last_attempt_leaves_nothing_for_the_next_version(
    tmp_path: Path, how: str, syntax: str
) -> None:
    config = make(tmp_path, retries=0, syntax=syntax)
    failed = pipeflow.load(config, params={"how": how}).run(history=False)
    assert failed.state("train") is StepState.FAILED
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == ["README"]

    run = pipeflow.load(config, params={"how": how, "fail": 0}).run(history=False)
    assert run.ok, run.outcomes["train"]
    assert run.output("collect") == ["README", "model_2.pkl"]
    assert stored(tmp_path) == ["README", "model_2.pkl"]
    assert (tmp_path / "models" / "README").read_text() == "mine"


RESTARTED = """
import os
import signal
import time
from pathlib import Path

STARTS = Path(__file__).with_name("starts.txt")


def victim(out):
    start = int(STARTS.read_text()) + 1 if STARTS.exists() else 1
    STARTS.write_text(str(start))
    Path(out).mkdir(exist_ok=True)
    Path(out, f"start_{start}.txt").write_text("partial" if start == 1 else "whole")
    if start == 1:
        time.sleep(30)  # its worker is ended as the other one dies
    return start


def killer():
    while not STARTS.exists():
        time.sleep(0.05)
    os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_step_started_again_after_another_worker_died_starts_from_what_was_there(
    tmp_path: Path,
) -> None:
    """A worker's death ends its pool's other workers: their steps start again on a new pool,
    not as an attempt, and what they wrote in their first start is not their output."""
    (tmp_path / "restartsteps.py").write_text(textwrap.dedent(RESTARTED))
    config = tmp_path / "pipeline.yaml"
    config.write_text(
        "name: restarted\n"
        "results: {root: out}\n"
        "executor: {type: processes, workers: 2}\n"
        "steps:\n"
        "  victim: {run: restartsteps.victim, inputs: {out: models}, writes: [models/]}\n"
        "  killer: {run: restartsteps.killer}\n"
    )
    run = pipeflow.load(config).run(keep_going=True, history=False)
    assert run.state("killer") is StepState.FAILED
    assert run.output("victim") == 2, run.outcomes["victim"]
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == ["start_2.txt"]
    folder = tmp_path / "out" / ".pipeflow" / "manifests" / "restarted" / "victim"
    (path,) = set(folder.glob("*.json")) - {folder / "latest.json"}
    assert sorted(Manifest.from_json(path.read_bytes()).files["models/"].entries) == ["start_2.txt"]
