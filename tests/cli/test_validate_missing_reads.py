"""`validate` warns of a local file a step's `reads:` names that does not exist and that no
step writes: the config is valid (something outside pipeflow may make the file before the run),
but as it stands the run fails at that step, after the steps before it have run. No warning
for a file another step writes (`writes:`) or stores (`result.target`), one that exists, a
glob, or a URL; a path from a param is looked up as the param gives it."""

from __future__ import annotations

import json

import pytest

from tests.conftest import ProjectFactory
from tests.system import pipeflow_in

STEPS = """
def make():
    return 1


def use(path):
    return path
"""
YAML = """
name: reading
params: {wanted: "data/from_param.csv"}
results: {root: store}
steps:
  make: {run: rsteps.make, writes: [data/made.csv], result: {target: "made/value.json"}}
  use:
    run: rsteps.use
    inputs: {path: data/x.csv}
    reads: [data/missing.csv, "${params.wanted}", data/made.csv, store/made/value.json,
            data/here.csv, "data/*.csv", "s3://bucket/key.csv"]
"""
TOML = """
name = "reading"
params = {wanted = "data/from_param.csv"}
results = {root = "store"}
[steps.make]
run = "rsteps.make"
writes = ["data/made.csv"]
result = {target = "made/value.json"}
[steps.use]
run = "rsteps.use"
inputs = {path = "data/x.csv"}
reads = ["data/missing.csv", "${params.wanted}", "data/made.csv", "store/made/value.json",
         "data/here.csv", "data/*.csv", "s3://bucket/key.csv"]
"""


@pytest.mark.parametrize("spelling", ["yaml", "toml"])
def test_a_read_nothing_makes_is_warned_of(make_project: ProjectFactory, spelling: str) -> None:
    config = make_project(
        YAML if spelling == "yaml" else TOML, name=f"pipeline.{spelling}", rsteps=STEPS
    )
    (config.parent / "data").mkdir()
    (config.parent / "data" / "here.csv").write_text("a\n")
    shown = pipeflow_in(config.parent, "validate", config.name)
    assert shown.returncode == 0, shown.stderr
    warned = [line for line in shown.stderr.splitlines() if line.startswith("warning:")]
    assert len(warned) == 2, shown.stderr
    assert "step `use` reads data/missing.csv (`reads:`), which does not exist" in warned[0]
    assert "no step writes it" in warned[0]
    assert "data/from_param.csv" in warned[1]
    as_json = pipeflow_in(config.parent, "validate", config.name, "--format", "json")
    assert as_json.returncode == 0, as_json.stderr
    warnings = json.loads(as_json.stdout)["warnings"]
    assert [w.split(" (")[0] for w in warnings] == [
        "step `use` reads data/missing.csv",
        "step `use` reads data/from_param.csv",
    ]
    # Given on the command line, the param's value is the one looked up.
    (config.parent / "data" / "given.csv").write_text("b\n")
    given = pipeflow_in(config.parent, "validate", config.name, "--param", "wanted=data/given.csv")
    assert "from_param" not in given.stderr
    assert given.stderr.count("warning:") == 1, given.stderr
