"""Reasons about a sub-pipeline's files name them relative to the project, as the parent's do.

A child config in a folder of its own has its relative paths made absolute when it is loaded
(`config/localizing.py`), so its writes and reads are named by absolute paths in its keys and
manifests. `status` (CLI and API, YAML and TOML configs) still says "child/data/one.txt
differs from the stored version" and "input file child/data/in.txt changed": a path relative
to the project, as a reason about the parent's own files is, not "/tmp/.../child/data/...".
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

import pipeflow
from tests.system import pipeflow_in

STEPS = """
from pathlib import Path


def folder(out):
    Path(out).mkdir(parents=True, exist_ok=True)
    Path(out, "part.txt").write_text("x")


def one(out):
    Path(out).write_text("y")


def read(p):
    return Path(p).read_text()
"""

CHILD = {
    "yaml": """
        name: child
        steps:
          folder: {run: cs.folder, inputs: {out: data/parts}, writes: [data/parts/]}
          one: {run: cs.one, inputs: {out: data/one.txt}, writes: [data/one.txt]}
          read: {run: cs.read, inputs: {p: data/in.txt}}
        """,
    "toml": """
        name = "child"
        [steps.folder]
        run = "cs.folder"
        inputs = {out = "data/parts"}
        writes = ["data/parts/"]
        [steps.one]
        run = "cs.one"
        inputs = {out = "data/one.txt"}
        writes = ["data/one.txt"]
        [steps.read]
        run = "cs.read"
        inputs = {p = "data/in.txt"}
        """,
}

PARENT = {
    "yaml": """
        name: parent
        steps:
          child: {pipeline: child/pipeline.yaml}
        """,
    "toml": """
        name = "parent"
        [steps.child]
        pipeline = "child/pipeline.toml"
        """,
}

EXPECTED = {
    "child/folder": "child/data/parts/ differs from the stored version",
    "child/one": "child/data/one.txt is missing",
    "child/read": "input file child/data/in.txt changed",
}


@pytest.fixture(params=["yaml", "toml"])
def config(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    kind = request.param
    child = tmp_path / "child"
    (child / "data").mkdir(parents=True)
    (child / "data" / "in.txt").write_text("first")
    (child / "cs.py").write_text(textwrap.dedent(STEPS))
    (child / f"pipeline.{kind}").write_text(textwrap.dedent(CHILD[kind]))
    parent = tmp_path / f"parent.{kind}"
    parent.write_text(textwrap.dedent(PARENT[kind]))
    assert pipeflow.load(parent).run().ok
    (child / "data" / "parts" / "part.txt").write_text("edited")
    (child / "data" / "one.txt").unlink()
    (child / "data" / "in.txt").write_text("second")
    return parent


def test_the_api_names_a_childs_files_relative_to_the_project(config: Path) -> None:
    reasons = {d.step: d.reason for d in pipeflow.load(config).status()}
    assert reasons == EXPECTED


def test_the_cli_names_a_childs_files_relative_to_the_project(config: Path) -> None:
    shown = pipeflow_in(config.parent, "status", config.name, "--json")
    assert shown.returncode == 0, shown.stderr
    rows = {row["step"]: row["reason"] for row in json.loads(shown.stdout)["steps"]}
    assert rows == EXPECTED
    table = pipeflow_in(config.parent, "status", config.name)
    assert str(config.parent) not in table.stdout, table.stdout
    for reason in EXPECTED.values():
        assert reason in table.stdout
