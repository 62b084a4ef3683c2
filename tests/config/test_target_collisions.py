"""Two steps whose targets lead to the same file are refused before anything runs (exit 2),
however the targets spell it: each run would overwrite one step's result with the other's,
and every later run would find one of them changed, restore it over the other, and fail to
read it back. Before, such a config validated, and `Run.output()` of the overwritten step
raised CorruptResult."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeflow.cli import cli

STEPS = """
def one():
    return {"v": 1}


def two():
    return {"v": 2}


def pair():
    return {"model": {"m": 1}, "metrics": {"auc": 0.5}}
"""


def validate(folder: Path, config: str) -> tuple[int, str]:
    (folder / "tsteps.py").write_text(textwrap.dedent(STEPS))
    (folder / "pipeline.yaml").write_text(textwrap.dedent(config))
    result = CliRunner().invoke(cli, ["validate", str(folder / "pipeline.yaml")])
    return result.exit_code, result.output


def config(first: str, second: str, *, params: str = "{a: x, b: x}") -> str:
    return f"""
    name: clash
    params: {params}
    results: {{root: out}}
    steps:
      first: {{run: tsteps.one, result: {first}}}
      second: {{run: tsteps.two, result: {second}}}
    """


CLASHES = {
    "the same path": ('{target: "m/model.json"}', '{target: "m/model.json"}'),
    "spelled two ways": ('{target: "m/model.json"}', '{target: "./m//model.json"}'),
    "through equal params": (
        '{target: "m/{params.a}.json"}',
        '{target: "m/{params.b}.json"}',
    ),
    "the run's date and id": (
        '{target: "{date:%Y}/{run_id}.json"}',
        '{target: "{date:%Y}/{run_id}.json"}',
    ),
    "one format's extension": (
        '{target: "m/model.{ext}", format: json}',
        '{target: "m/model.{ext}", format: json}',
    ),
    "the same root spelled two ways": (
        '{target: "model.json", root: shared}',
        '{target: "model.json", root: ./shared/}',
    ),
}


@pytest.mark.parametrize(("first", "second"), CLASHES.values(), ids=CLASHES.keys())
def test_two_steps_storing_at_one_place_are_refused(
    tmp_path: Path, first: str, second: str
) -> None:
    code, output = validate(tmp_path, config(first, second))
    assert code == 2, output
    assert "error at `steps.second.result.target`" in output, output
    assert "steps `first` and `second` both store their result at " in output, output
    assert "give each its own target" in output, output
    assert not (tmp_path / "out").exists()


APART = {
    "by step": ('{target: "m/{step}.json"}', '{target: "m/{step}.json"}'),
    "by key": ('{target: "m/{key}.json"}', '{target: "m/{key}.json"}'),
    "by params": ('{target: "m/{params.a}.json"}', '{target: "m/{params.b}.json"}'),
    "by format": (
        '{target: "m/model.{ext}", format: json}',
        '{target: "m/model.{ext}", format: pickle}',
    ),
    "by root": ('{target: "model.json", root: one}', '{target: "model.json", root: two}'),
    "a target and none": ('{target: "m/model.json"}', "{format: json}"),
}


@pytest.mark.parametrize(("first", "second"), APART.values(), ids=APART.keys())
def test_targets_that_differ_are_accepted(tmp_path: Path, first: str, second: str) -> None:
    code, output = validate(tmp_path, config(first, second, params="{a: x, b: y}"))
    assert code == 0, output


def test_a_named_output_of_one_step_and_another_step_s_target(tmp_path: Path) -> None:
    code, output = validate(
        tmp_path,
        """
        name: clash
        results: {root: out}
        steps:
          train:
            run: tsteps.pair
            outputs: [model, metrics]
            result: {target: "m/{output}.json"}
          other: {run: tsteps.one, result: {target: "m/metrics.json"}}
        """,
    )
    assert code == 2, output
    assert "steps `train` and `other` both store their result at m/metrics.json" in output


CHILD = """
name: child
params: {factor: 1}
steps:
  train: {run: tsteps.one, result: {target: "models/TARGET"}}
"""


@pytest.mark.parametrize(
    ("target", "clash"), [("model.json", True), ("{step}.json", True), ("{key}.json", False)]
)
def test_two_instances_of_one_sub_pipeline_storing_at_one_place_are_refused(
    tmp_path: Path, target: str, clash: bool
) -> None:
    """`{pipeline}` and `{step}` are the sub-pipeline's own names, the same in both."""
    (tmp_path / "child.yaml").write_text(textwrap.dedent(CHILD).replace("TARGET", target))
    code, output = validate(
        tmp_path,
        """
        name: parent
        steps:
          one: {pipeline: child.yaml, params: {factor: 2}}
          two: {pipeline: child.yaml, params: {factor: 3}}
        """,
    )
    if not clash:
        assert code == 0, output
        return
    assert code == 2, output
    assert "error at `steps.two.pipeline`" in output, output
    assert "steps `one/train` and `two/train` both store their result at models/" in output
    assert "(with `{key}` in it, for one)" in output, output


PARAM_CHILD = """
name: child
params: {factor: 1, tag: {name: base}}
steps:
  train:
    run: tsteps.one
    result: {target: "models/{params.factor:03d}-{params.tag.name}-{{literal}}-{step}.json"}
"""


def test_a_sub_pipeline_s_target_takes_its_own_params_in_each_instance(tmp_path: Path) -> None:
    """The child's `{params.*}` are its params as the step running it sets them, not the
    parent's (which need not have them). Before, the run failed ("unknown param
    {params.factor}") after `validate` had passed."""
    import pipeflow

    (tmp_path / "child.yaml").write_text(textwrap.dedent(PARAM_CHILD))
    code, output = validate(
        tmp_path,
        """
        name: parent
        params: {factor: 9}
        steps:
          one: {pipeline: child.yaml, params: {factor: 2}}
          two: {pipeline: child.yaml, params: {factor: 3, tag: {name: other}}}
        """,
    )
    assert code == 0, output
    run = pipeflow.load(tmp_path / "pipeline.yaml").run()
    assert run.ok, {name: outcome.error for name, outcome in run.outcomes.items()}
    models = tmp_path / "data" / "processed" / "models"
    assert sorted(path.name for path in models.iterdir()) == [
        "002-base-{literal}-train.json",
        "003-other-{literal}-train.json",
    ]


WRITER = """
import os


def write(out):
    os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
    open(out, "w").write("{}")
"""


def writes_config(writes: str, target: str, *, root: str = "out", own: bool = False) -> str:
    """A step `write` that writes `writes`, and a step (`write` itself when `own`) whose
    target is `target` under the results root `root`."""
    step_root = ""
    if root.startswith("own:"):  # the step's own `result.root`
        root, step_root = "out", f", root: {root[4:]}"
    model = f'model: {{run: tsteps.one, result: {{target: "{target}"{step_root}}}}}'
    model = "" if own else model
    own_result = f', result: {{target: "{target}"}}' if own else ""
    return f"""
    name: clash
    params: {{dir: out/m, file: out/m/model.json}}
    results: {{root: {root}}}
    steps:
      write: {{run: wsteps.write, inputs: {{out: x.json}}, writes: ["{writes}"]{own_result}}}
      {model}
    """


ONTO_WRITES = {
    "the same file": ("out/m/model.json", "m/model.json", "out"),
    "a folder holding it": ("out/m", "m/model.json", "out"),
    "a folder spelled two ways": ("./out//m/", "m/model.json", "out"),
    "the root spelled two ways": ("out/m", "m/model.json", "./out/"),
    "a param naming the file": ("${params.file}", "m/model.json", "out"),
    "a param naming the folder": ("${params.dir}", "m/{step}.json", "out"),
    "a step's own root": ("shared/m", "m/model.json", "own:shared"),
}


@pytest.mark.parametrize(("writes", "target", "root"), ONTO_WRITES.values(), ids=ONTO_WRITES)
def test_a_target_where_another_step_writes_is_refused(
    tmp_path: Path, writes: str, target: str, root: str
) -> None:
    """A step's `writes:` and another's target are one file: the writer's run and the
    other's publish overwrite each other, and each restore puts one back over the other.
    Before, such a config validated and a second run served `result` a changed file."""
    (tmp_path / "wsteps.py").write_text(textwrap.dedent(WRITER))
    code, output = validate(tmp_path, writes_config(writes, target, root=root))
    assert code == 2, output
    assert "error at `steps.model.result.target`" in output, output
    assert "step `model` stores its result at " in output, output
    assert "which step `write` writes (" in output, output
    assert not (tmp_path / "out").exists()


def test_a_target_inside_what_its_own_step_writes_is_refused(tmp_path: Path) -> None:
    (tmp_path / "wsteps.py").write_text(textwrap.dedent(WRITER))
    code, output = validate(tmp_path, writes_config("out/m", "m/model.json", own=True))
    assert code == 2, output
    assert "error at `steps.write.result.target`" in output, output
    assert "step `write` stores its result at m/model.json, which it writes (out/m)" in output


APART_FROM_WRITES = {
    "a sibling folder": ("out/other", "m/model.json", "out"),
    "a same-named folder outside the root": ("m", "m/model.json", "out"),
    "a file beside it": ("out/m/model.csv", "m/model.json", "out"),
}


@pytest.mark.parametrize(
    ("writes", "target", "root"), APART_FROM_WRITES.values(), ids=APART_FROM_WRITES
)
def test_a_target_apart_from_what_steps_write_is_accepted(
    tmp_path: Path, writes: str, target: str, root: str
) -> None:
    (tmp_path / "wsteps.py").write_text(textwrap.dedent(WRITER))
    code, output = validate(tmp_path, writes_config(writes, target, root=root))
    assert code == 0, output


def test_a_sub_pipeline_s_target_where_the_parent_writes_is_refused(tmp_path: Path) -> None:
    (tmp_path / "wsteps.py").write_text(textwrap.dedent(WRITER))
    (tmp_path / "child.yaml").write_text(textwrap.dedent(CHILD).replace("TARGET", "{key}.json"))
    code, output = validate(
        tmp_path,
        """
        name: parent
        steps:
          write: {run: wsteps.write, inputs: {out: x.json}, writes: [data/processed/models]}
          one: {pipeline: child.yaml}
        """,
    )
    assert code == 2, output
    assert "error at `steps.one.pipeline`" in output, output
    assert "step `one/train` stores its result at models/" in output, output
    assert "which step `write` writes (data/processed/models)" in output, output
