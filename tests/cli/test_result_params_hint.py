"""`pipeflow result` of a step whose stored result was made with other params says what to do
about the params: run with these, or ask with the params it ran with. Before, it said only
"run the pipeline first", though the pipeline had just run (with a `--param-file`). Another
reason (the code changed) keeps "run the pipeline first"."""

from __future__ import annotations

from pathlib import Path

import pytest

import pipeflow
from pipeflow.errors import PipeflowError
from tests.system import pipeflow_in

STEPS = "def train(seed):\n    return {'seed': seed}\n"
YAML = (
    "name: hinted\nparams: {seed: 1}\nsteps:\n"
    "  train: {run: hsteps.train, inputs: {seed: '${params.seed}'}}\n"
)
TOML = (
    'name = "hinted"\nparams = {seed = 1}\n[steps.train]\nrun = "hsteps.train"\n'
    'inputs = {seed = "${params.seed}"}\n'
)
ABOUT_PARAMS = "run the pipeline with these params first, or ask with the params it ran with"


def _project(tmp_path: Path, kind: str) -> Path:
    (tmp_path / "hsteps.py").write_text(STEPS, encoding="utf-8")
    config = tmp_path / f"pipeline.{kind}"
    config.write_text(YAML if kind == "yaml" else TOML, encoding="utf-8")
    assert pipeflow_in(tmp_path, "run", config.name, "--param", "seed=7").returncode == 0
    return config


@pytest.mark.parametrize("kind", ["yaml", "toml"])
def test_a_result_stored_with_other_params_says_to_ask_with_them(tmp_path: Path, kind: str) -> None:
    config = _project(tmp_path, kind)
    asked = pipeflow_in(tmp_path, "result", config.name, "train")
    assert asked.returncode == 3, asked.stdout + asked.stderr
    assert "param seed changed (7 -> 1)" in asked.stderr
    assert ABOUT_PARAMS in asked.stderr
    assert (
        pipeflow_in(tmp_path, "result", config.name, "train", "--param", "seed=7").returncode == 0
    )
    with pytest.raises(PipeflowError, match="ask with the params it ran with"):
        pipeflow.load(config).result("train")
    assert pipeflow.load(config).with_params({"seed": 7}).result("train").load() == {"seed": 7}


def test_another_reason_keeps_run_the_pipeline_first(tmp_path: Path) -> None:
    config = _project(tmp_path, "yaml")
    (tmp_path / "hsteps.py").write_text(STEPS.replace("'seed'", "'the seed'"), encoding="utf-8")
    asked = pipeflow_in(tmp_path, "result", config.name, "train", "--param", "seed=7")
    assert asked.returncode == 3
    assert "code of hsteps.py changed" in asked.stderr
    assert asked.stderr.rstrip().endswith("run the pipeline first")


@pytest.mark.parametrize("depth", [1, 2], ids=["next", "two steps after"])
def test_a_step_after_one_whose_param_changed_says_to_ask_with_them_too(
    tmp_path: Path, depth: int
) -> None:
    """Its own reason is "`train` runs first"; what makes `train` run is a param: the same
    advice. Before, it said only "run the pipeline first" (`pipeflow.read` with `params:` too)."""
    (tmp_path / "hsteps.py").write_text(
        STEPS + "\n\ndef score(model):\n    return model['seed'] * 2\n", encoding="utf-8"
    )
    # s1 scores `train`'s value; s2 (two steps after) trains again from s1's.
    after = "  s1: {run: hsteps.score, inputs: {model: '${steps.train}'}}\n"
    if depth == 2:
        after += "  s2: {run: hsteps.train, inputs: {seed: '${steps.s1}'}}\n"
    config = tmp_path / "pipeline.yaml"
    config.write_text(YAML + after, encoding="utf-8")
    assert pipeflow_in(tmp_path, "run", config.name, "--param", "seed=7").returncode == 0
    asked = pipeflow_in(tmp_path, "result", config.name, f"s{depth}")
    assert asked.returncode == 3, asked.stdout + asked.stderr
    assert ABOUT_PARAMS in asked.stderr, asked.stderr
    again = pipeflow_in(tmp_path, "result", config.name, f"s{depth}", "--param", "seed=7")
    assert again.returncode == 0, again.stdout + again.stderr
