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
