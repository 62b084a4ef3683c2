"""A list in a target's field makes no file name: `{params.files}.json` with `files: [a, b]`
was stored as `['a', 'b'].json`, and `{item}` of a `foreach` over lists as `['a', 1].json`.
It is refused as a mapping there already was, with the item to name instead: by `validate`
when the value is known, by the step when it comes from another step."""

from __future__ import annotations

from pathlib import Path

import pytest

import pipeflow
from pipeflow.model.run import StepState
from tests.conftest import ProjectFactory
from tests.system import pipeflow_in

STEPS = """
def one(x=None):
    return 1


def pairs():
    return [["a", 1], ["b", 2]]
"""

YAML = """
name: lists
params: {files: [a, b]}
results: {root: out}
steps:
  whole: {run: lsteps.one, result: {target: "TARGET"}}
"""

TOML = """
name = "lists"
[params]
files = ["a", "b"]
[results]
root = "out"
[steps.whole]
run = "lsteps.one"
result = {target = "TARGET"}
"""


@pytest.mark.parametrize("spelling", ["yaml", "toml"])
@pytest.mark.parametrize(
    ("target", "said"),
    [
        ("{params.files}.json", "{params.files} is a list of 2 items"),
        ("runs/{params.files!s}.json", "{params.files} is a list of 2 items"),
        ("{params.files:>20}.json", "{params.files} is a list of 2 items"),
    ],
)
def test_a_list_param_in_a_target_is_refused_where_it_is_written(
    make_project: ProjectFactory, tmp_path: Path, spelling: str, target: str, said: str
) -> None:
    text = (YAML if spelling == "yaml" else TOML).replace("TARGET", target)
    config = make_project(text, name=f"pipeline.{spelling}", lsteps=STEPS)
    result = pipeflow_in(tmp_path, "validate", config.name)
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"error at `steps.whole.result.target`: target template {target!r}: {said}" in (
        result.stderr
    )
    assert "which makes no file name; name one of its items, e.g. {params.files.0}" in (
        result.stderr
    )
    with pytest.raises(pipeflow.ConfigError, match="is a list of 2 items"):
        pipeflow.load(config)
    assert not (tmp_path / "out").exists()


def test_an_item_that_is_a_list_is_refused_before_the_run(
    make_project: ProjectFactory, tmp_path: Path
) -> None:
    config = make_project(
        """
        name: lists
        results: {root: out}
        steps:
          each: {run: lsteps.one, foreach: [[a, 1], [b, 2]], as: x, result: {target: "{x}.json"}}
        """,
        lsteps=STEPS,
    )
    with pytest.raises(pipeflow.ConfigError, match=r"\{x\} is a list of 2 items.*e\.g\. \{x\.0\}"):
        pipeflow.load(config)


def test_an_item_that_is_a_list_from_a_step_fails_the_step(
    make_project: ProjectFactory, tmp_path: Path
) -> None:
    config = make_project(
        """
        name: lists
        results: {root: out}
        steps:
          pairs: {run: lsteps.pairs}
          each: {run: lsteps.one, foreach: "${steps.pairs}", as: x, result: {target: "{x}.json"}}
        """,
        lsteps=STEPS,
    )
    run = pipeflow.load(config).run()
    assert run.state("each") is StepState.FAILED
    assert "{x} is a list of 2 items, which makes no file name" in (
        run.outcomes["each"].error or ""
    )
    assert not list((tmp_path / "out").glob("*[[]*"))  # no `['a', 1].json`
