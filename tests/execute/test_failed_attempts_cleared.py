"""What a failed attempt of a step wrote into its declared writes goes before the next attempt.

A step that fails after half-writing `models/model_a.pkl` leaves nothing of it: the next run
(with other params) stores and shows only what it wrote itself, and a retry starts from what
was there before the first attempt. A file put there by hand stays through it all. Every
executor that runs steps on this machine.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import pipeflow
from pipeflow.model.run import StepState
from pipeflow.storage import Manifest
from tests.execute.conftest import dask_address
from tests.executors import EXECUTORS as ALL_EXECUTORS
from tests.executors import executor_spec

__all__ = ["dask_address"]

STEPS = """
from pathlib import Path

COUNT = Path(__file__).with_name("attempts.txt")


def train(out, kind, fail):
    attempt = int(COUNT.read_text()) + 1 if COUNT.exists() else 1
    COUNT.write_text(str(attempt))
    Path(out, "deep").mkdir(parents=True, exist_ok=True)
    Path(out, f"model_{kind}_{attempt}.pkl").write_text(f"partial {kind}")
    Path(out, "deep", "part.txt").write_text("partial")
    if attempt <= fail:
        raise RuntimeError("out of memory half-way")
    Path(out, "deep", "part.txt").unlink()
    Path(out, "deep").rmdir()
    Path(out, f"model_{kind}_{attempt}.pkl").write_text(f"complete {kind}")


def collect(models):
    return sorted(p.name for p in Path(models).iterdir())
"""

EXECUTORS = ["sequential", "threads", "processes"]


def make(folder: Path, *, retries: int) -> Path:
    (folder / "failsteps.py").write_text(textwrap.dedent(STEPS))
    config = folder / "pipeline.yaml"
    config.write_text(
        textwrap.dedent(
            f"""
            name: fail
            params: {{kind: a, fail: 1}}
            results: {{root: out}}
            steps:
              train:
                run: failsteps.train
                inputs: {{out: models, kind: "${{params.kind}}", fail: "${{params.fail}}"}}
                writes: [models/]
                retries: {retries}
              collect: {{run: failsteps.collect, inputs: {{models: models/}}}}
            """
        )
    )
    (folder / "models").mkdir()
    (folder / "models" / "README").write_text("mine")  # never written by the step
    return config


def stored(folder: Path) -> list[str]:
    """The files the newest stored version of `train` lists."""
    paths = (folder / "out" / ".pipeflow" / "manifests" / "fail" / "train").glob("*.json")
    manifests = [Manifest.from_json(path.read_bytes()) for path in paths]
    newest = max(manifests, key=lambda manifest: manifest.created)
    return sorted(newest.files["models/"].entries)


@pytest.mark.parametrize("executor", EXECUTORS)
def test_a_failed_run_leaves_nothing_for_the_next_version(tmp_path: Path, executor: str) -> None:
    config = make(tmp_path, retries=0)
    failed = pipeflow.load(config).run(executor=executor)
    assert failed.state("train") is StepState.FAILED
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == ["README"]

    run = pipeflow.load(config, params={"kind": "b"}).run(executor=executor)
    assert run.ok
    assert run.output("collect") == ["README", "model_b_2.pkl"]
    assert stored(tmp_path) == ["README", "model_b_2.pkl"]
    assert (tmp_path / "models" / "README").read_text() == "mine"


@pytest.mark.parametrize("executor", EXECUTORS)
def test_a_retry_starts_from_what_was_there(tmp_path: Path, executor: str) -> None:
    config = make(tmp_path, retries=2)
    run = pipeflow.load(config, params={"fail": 2}).run(executor=executor)
    assert run.ok
    assert run.outcomes["train"].attempts == 3
    assert run.output("collect") == ["README", "model_a_3.pkl"]
    assert stored(tmp_path) == ["README", "model_a_3.pkl"]


def test_a_file_that_was_there_stays_when_an_attempt_fails(tmp_path: Path) -> None:
    config = make(tmp_path, retries=0)
    # The same name the failing attempt writes: there before it ran, so not removed.
    (tmp_path / "models" / "model_a_1.pkl").write_text("mine too")
    failed = pipeflow.load(config).run()
    assert failed.state("train") is StepState.FAILED
    found = sorted(p.name for p in (tmp_path / "models").iterdir())
    assert found == ["README", "model_a_1.pkl"]


# A step whose call returns but that fails all the same: a declared write it did not make,
# or a value without the `outputs:` it declares. What it wrote goes as for a step that raised.
AFTER_CALL = """
from pathlib import Path


def write(out, log, kind, fail):
    Path(out).mkdir(exist_ok=True)
    Path(out, f"part_{kind}.txt").write_text(f"from {kind}")
    if fail != "missing":
        Path(log).write_text(kind)
    if fail == "parts":
        return {"other": 1}
    return {"model": kind}


def collect(models):
    return sorted(p.name for p in Path(models).iterdir())
"""


def make_after_call(folder: Path, executor: str) -> Path:
    (folder / "aftersteps.py").write_text(textwrap.dedent(AFTER_CALL))
    config = folder / "pipeline.yaml"
    inputs = '{out: models, log: log.txt, kind: "${params.kind}", fail: "${params.fail}"}'
    config.write_text(
        textwrap.dedent(
            f"""
            name: after
            params: {{kind: a, fail: "no"}}
            results: {{root: out}}
            executor: {executor}
            steps:
              write:
                run: aftersteps.write
                inputs: {inputs}
                outputs: [model]
                writes: [models/, log.txt]
              collect: {{run: aftersteps.collect, inputs: {{models: models/}}, after: [write]}}
            """
        )
    )
    return config


@pytest.mark.parametrize("executor", ALL_EXECUTORS)
@pytest.mark.parametrize("fail", ["missing", "parts"])
def test_a_step_failing_after_its_call_leaves_nothing(
    tmp_path: Path, executor: str, fail: str, request: pytest.FixtureRequest
) -> None:
    config = make_after_call(tmp_path, executor_spec(executor, request))
    failed = pipeflow.load(config, params={"fail": fail}).run()
    assert failed.state("write") is StepState.FAILED
    assert not (tmp_path / "models").exists()
    assert not (tmp_path / "log.txt").exists()

    run = pipeflow.load(config, params={"kind": "b"}).run()
    assert run.ok
    assert run.output("collect") == ["part_b.txt"]
    folder = tmp_path / "out" / ".pipeflow" / "manifests" / "after" / "write"
    (path,) = set(folder.glob("*.json")) - {folder / "latest.json"}
    assert sorted(Manifest.from_json(path.read_bytes()).files["models/"].entries) == ["part_b.txt"]
