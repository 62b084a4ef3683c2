"""A step to restore says its first three missing or changed files, and how many more.

A step with eight `outputs:` at targets, or eight declared writes, whose files were all
deleted said each of them in its `restore` reason: "parts/p0.json is missing; parts/p1.json
is missing; ..." on one line, as long as the step has files. A step that runs already said
at most three changes and "(and N more)"; a step to restore now says its files so too, in
`status`, `--dry-run` and the run's own line ("cached (restored: ...)"), from YAML and TOML.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import pipeflow
from tests.conftest import ProjectFactory
from tests.system import pipeflow_in

STEPS = """
from pathlib import Path


def parts():
    return {f"p{i}": i for i in range(8)}


def files(out):
    Path(out).mkdir(parents=True, exist_ok=True)
    for i in range(8):
        (Path(out) / f"f{i}.txt").write_text(str(i))
"""

OUTPUTS = [f"p{i}" for i in range(8)]
WRITES = [f"data/f{i}.txt" for i in range(8)]

YAML = f"""
name: restoring
results: {{root: out}}
steps:
  parts:
    run: steps.parts
    outputs: {OUTPUTS}
    result: {{target: "parts/{{output}}.json"}}
  files:
    run: steps.files
    inputs: {{out: data/}}
    writes: {WRITES}
"""

TOML = f"""
name = "restoring"
[results]
root = "out"
[steps.parts]
run = "steps.parts"
outputs = {OUTPUTS}
result = {{ target = "parts/{{output}}.json" }}
[steps.files]
run = "steps.files"
inputs = {{ out = "data/" }}
writes = {WRITES}
"""

PARTS = "parts/p0.json is missing; parts/p1.json is missing; parts/p2.json is missing (and 5 more)"
FILES = "data/f0.txt is missing; data/f1.txt is missing; data/f2.txt is missing (and 5 more)"


@pytest.fixture(params=["yaml", "toml"])
def config(request: pytest.FixtureRequest, make_project: ProjectFactory) -> Path:
    text = YAML if request.param == "yaml" else TOML
    path = make_project(text, name=f"pipeline.{request.param}", steps=STEPS)
    assert pipeflow.load(path).run().ok
    shutil.rmtree(path.parent / "out" / "parts")
    shutil.rmtree(path.parent / "data")
    return path


def test_status_says_three_files_and_how_many_more(config: Path) -> None:
    why = {d.step: d.reason for d in pipeflow.load(config).status()}
    assert why == {"parts": PARTS, "files": FILES}


def test_the_command_line_and_the_run_say_them_so(config: Path) -> None:
    status = pipeflow_in(config.parent, "status", config.name)
    assert status.returncode == 0, status.stderr
    assert f"restore  {PARTS}" in status.stdout
    assert f"restore  {FILES}" in status.stdout
    run = pipeflow_in(config.parent, "run", config.name)
    assert run.returncode == 0, run.stderr
    assert f"parts: cached (restored: {PARTS})" in run.stdout
    assert f"files: cached (restored: {FILES})" in run.stdout
    assert (config.parent / "out" / "parts" / "p7.json").read_text().strip() == "7"
    assert (config.parent / "data" / "f7.txt").read_text() == "7"
