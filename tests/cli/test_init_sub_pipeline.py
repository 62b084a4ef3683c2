"""`pipeflow init --step NAME --input STEP` where STEP runs a sub-pipeline: the step's value is
one of the sub-pipeline's outputs (`--input STEP.OUTPUT`); `--input STEP` alone, or an output
it does not have, is refused naming the outputs to pick from, and nothing is written."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.cli.test_init import invoke, pipeflow

STEPS = "def one():\n    return 1\n\n\ndef inc(x):\n    return x + 1\n"
CHILD = """\
name: child
results: {root: out}
steps:
  load: {run: steps.s.one}
  more: {run: steps.s.inc, inputs: {x: "${steps.load}"}}
outputs: {val: "${steps.load}", total: "${steps.more}"}
"""
PARENT = {
    "yaml": """\
name: parent
results: {root: out}
steps:
  data:
    pipeline: child.yaml
  final:
    run: steps.s.inc
    inputs: {x: "${steps.data.val}"}
""",
    "toml": """\
name = "parent"

[results]
root = "out"

[steps.data]
pipeline = "child.yaml"

[steps.final]
run = "steps.s.inc"
inputs = { x = "${steps.data.val}" }
""",
}


def make(folder: Path, kind: str) -> Path:
    (folder / "steps").mkdir(parents=True)
    (folder / "steps" / "__init__.py").write_text("")
    (folder / "steps" / "s.py").write_text(STEPS)
    (folder / "child.yaml").write_text(CHILD)
    config = folder / f"pipeline.{kind}"
    config.write_text(textwrap.dedent(PARENT[kind]))
    assert pipeflow("validate", config.name, cwd=folder).returncode == 0
    return config


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and ".pipeflow" not in p.parts
    }


@pytest.mark.parametrize("kind", ["yaml", "toml"])
@pytest.mark.parametrize(
    ("given", "words"),
    [
        ("data", "runs the sub-pipeline `child.yaml`"),
        ("data.nope", "has no output `nope`"),
        ("final.x", "step `final` runs no sub-pipeline"),
    ],
)
def test_a_sub_pipeline_step_alone_or_an_unknown_output_is_refused(
    tmp_path: Path, kind: str, given: str, words: str
) -> None:
    config = make(tmp_path, kind)
    before = snapshot(tmp_path)
    code, output = invoke("init", "--config", str(config), "--step", "report", "--input", given)
    assert code == 2, output
    assert words in output
    if given.startswith("data"):
        assert "`data.val`" in output
        assert "`data.total`" in output
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("kind", ["yaml", "toml"])
def test_an_output_of_a_sub_pipeline_is_an_input_validate_accepts(
    tmp_path: Path, kind: str
) -> None:
    config = make(tmp_path, kind)
    code, output = invoke(
        "init", "--config", str(config), "--step", "report", "--input", "data.total"
    )
    assert code == 0, output
    assert "def report(data_total: object) -> object:" in (tmp_path / "steps" / "s.py").read_text()
    checked = pipeflow("validate", config.name, cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    ran = pipeflow("run", config.name, cwd=tmp_path)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    shown = pipeflow("result", config.name, "report", "--show", cwd=tmp_path)
    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert shown.stdout.strip().splitlines()[-1] == "2"
