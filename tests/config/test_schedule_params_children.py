"""A schedule's params are checked through the sub-pipelines they flow into, as the runs it
starts get them: a child's `params_schema` or param type a scheduled run would break is a
problem at the schedule (exit 2), in YAML and in TOML, through nested sub-pipelines too."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import pipeflow
from pipeflow.errors import ConfigError, Problem

REPO = Path(__file__).resolve().parents[2]

GRANDCHILD = """
name: grandchild
params: {m: 1}
params_schema:
  properties:
    m: {type: integer, maximum: 100}
steps:
  g: {run: st.add, inputs: {a: 1, b: "${params.m}"}}
"""

CHILD = """
name: child
params: {k: 2, label: x}
params_schema:
  properties:
    k: {type: integer, minimum: 1}
steps:
  s: {run: st.add, inputs: {a: 1, b: "${params.k}"}}
  deeper: {pipeline: grandchild.yaml, params: {m: "${params.k}"}}
"""

PARENT_YAML = """
name: parent
params: {p: 3, name: a}
steps:
  c: {pipeline: child.yaml, params: {k: "${params.p}", label: "${params.name}"}}
schedules:
  - interval: 1h
    params: {p: 0}
  - interval: 1h
    params: {p: 5}
  - interval: 1h
    params: {p: 500}
"""

PARENT_TOML = """
name = "parent"
params = {p = 3, name = "a"}
[steps.c]
pipeline = "child.yaml"
params = {k = "${params.p}", label = "${params.name}"}
[[schedules]]
interval = "1h"
params = {p = 0}
[[schedules]]
interval = "1h"
params = {p = 5}
[[schedules]]
interval = "1h"
params = {p = 500}
"""


@pytest.fixture(params=["yaml", "toml"])
def config(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    (tmp_path / "st.py").write_text("def add(a, b):\n    return a + b\n")
    (tmp_path / "child.yaml").write_text(textwrap.dedent(CHILD))
    (tmp_path / "grandchild.yaml").write_text(textwrap.dedent(GRANDCHILD))
    path = tmp_path / f"parent.{request.param}"
    path.write_text(textwrap.dedent(PARENT_YAML if request.param == "yaml" else PARENT_TOML))
    return path


def problems(config: Path) -> list[Problem]:
    with pytest.raises(ConfigError) as raised:
        pipeflow.load(config)
    return list(raised.value.problems)


def test_a_childs_params_schema_broken_by_a_schedule_is_reported_at_the_schedule(
    config: Path,
) -> None:
    found = problems(config)
    assert [p.path for p in found] == ["schedules[0].params.p", "schedules[2].params.p"]
    first, third = found
    assert first.file == str(config)
    assert first.line == (8 if config.suffix == ".yaml" else 9)
    assert "a run of schedule 1 would be refused" in first.message
    assert "param `k` = 0 fails params_schema: 0 is less than the minimum of 1" in first.message
    assert "steps.c.params.k" in first.message  # where the child gets it
    # Through two levels: the grandchild's schema, still at the schedule that sets it.
    assert "a run of schedule 3 would be refused" in third.message
    assert "param `m` = 500 fails params_schema" in third.message
    assert "grandchild" not in (third.file or "")


def test_a_childs_param_type_broken_by_a_schedule_is_reported_at_the_schedule(
    config: Path,
) -> None:
    if config.suffix == ".yaml":
        text = config.read_text().replace("{p: 5}", "{name: 7}")
    else:
        text = config.read_text().replace("{p = 5}", "{name = 7}")
    config.write_text(text.replace("{p: 0}", "{p: 1}").replace("{p = 0}", "{p = 1}"))
    found = problems(config)
    # The parent's own check finds `name` = 7 is no text; nothing is said twice.
    assert [p.path for p in found] == ["schedules[1].params.name", "schedules[2].params.p"]


def test_validate_and_run_exit_2_and_the_same_param_given_alone_still_runs(config: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    for command in ("validate", "run"):
        done = subprocess.run(
            [sys.executable, "-m", "pipeflow", command, config.name],
            cwd=config.parent,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        assert done.returncode == 2, done.stdout + done.stderr
        assert "error at `schedules[0].params.p`" in done.stderr
    # Without the bad schedules the config is valid, and a good one's value reaches the child.
    text = config.read_text()
    for bad in ("{p: 0}", "{p: 500}", "{p = 0}", "{p = 500}"):
        text = text.replace(bad, "{p: 4}" if ":" in bad else "{p = 4}")
    config.write_text(text)
    assert pipeflow.load(config).steps == ["c/s", "c/deeper/g"]
