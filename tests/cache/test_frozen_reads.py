"""`--frozen` and `pipeflow.read` steps. A read step is never taken from the cache (what it reads
may change without its key seeing it), so every frozen run of a pipeline that reads a file
failed: "raw: it reads a result or file that may have changed". A read computes nothing: a
frozen run now reads again, then decides the steps that take its value. When they are
cached the run passes; when the file changed, they are refused (exit 3), not run. A step
after a read that changed itself is refused too, once the read tells its key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import pipeflow
from pipeflow.errors import StaleResults
from pipeflow.model.run import StepState
from tests.conftest import ProjectFactory
from tests.system import pipeflow_in

STEPS = """
from pathlib import Path

LOG = Path(__file__).with_name("calls.log")


def count(table):
    with LOG.open("a") as log:
        log.write("count\\n")
    return len(table)
"""

YAML = """
name: reads
results: {root: out}
steps:
  raw: {run: pipeflow.read, inputs: {path: data.csv}}
  rows: {run: rsteps.count, inputs: {table: "${steps.raw}"}}
"""

TOML = """
name = "reads"
results = { root = "out" }

[steps.raw]
run = "pipeflow.read"
inputs = { path = "data.csv" }

[steps.rows]
run = "rsteps.count"
inputs = { table = "${steps.raw}" }
"""


def _project(make_project: ProjectFactory, language: str) -> Path:
    if language == "yaml":
        config = make_project(YAML, rsteps=STEPS)
    else:
        config = make_project(TOML, name="pipeline.toml", rsteps=STEPS)
    (config.parent / "data.csv").write_text("a,b\n1,2\n3,4\n", encoding="utf-8")
    assert pipeflow.load(config).run(history=False).ok
    (config.parent / "calls.log").unlink()
    return config


def _calls(config: Path) -> list[str]:
    log = config.parent / "calls.log"
    return log.read_text().split() if log.exists() else []


@pytest.mark.parametrize("language", ["yaml", "toml"])
def test_a_frozen_run_reads_again_and_passes_when_what_it_read_is_unchanged(
    make_project: ProjectFactory, language: str
) -> None:
    config = _project(make_project, language)
    run = pipeflow.load(config).run(frozen=True, history=False)
    assert run.ok
    assert run.outcomes["rows"].state is StepState.CACHED
    assert _calls(config) == []
    done = pipeflow_in(config.parent, "run", config.name, "--frozen", "--json", "-")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["state"] == "succeeded"
    preview = pipeflow_in(config.parent, "run", config.name, "--frozen", "--dry-run")
    assert preview.returncode == 0, preview.stderr
    assert _calls(config) == []


@pytest.mark.parametrize("language", ["yaml", "toml"])
def test_a_frozen_run_refuses_what_a_changed_file_would_make_run(
    make_project: ProjectFactory, language: str
) -> None:
    config = _project(make_project, language)
    (config.parent / "data.csv").write_text("a,b\n1,2\n3,4\n5,6\n", encoding="utf-8")
    with pytest.raises(StaleResults, match="rows"):
        pipeflow.load(config).run(frozen=True, history=False)
    refused = pipeflow_in(config.parent, "run", config.name, "--frozen")
    assert refused.returncode == 3, refused.stderr
    assert "rows" in refused.stderr
    assert _calls(config) == []  # refused, never run
    assert pipeflow.load(config).run(history=False).ok  # a plain run brings it up to date
    assert _calls(config) == ["count"]


def test_a_step_after_a_read_that_changed_itself_is_refused_not_run(
    make_project: ProjectFactory,
) -> None:
    config = _project(make_project, "yaml")
    module = config.parent / "rsteps.py"
    module.write_text(module.read_text().replace("len(table)", "len(table) + 0"))
    with pytest.raises(StaleResults) as refused:
        pipeflow.load(config).run(frozen=True, history=False)
    assert {name: state for name, state, _ in refused.value.steps}["rows"] == "stale"
    assert "code of rsteps.py changed" in str(refused.value)
    assert _calls(config) == []


def test_a_refused_run_reports_a_read_it_did_not_get_to_as_not_run(
    make_project: ProjectFactory,
) -> None:
    """A step stale before the run starts refuses it: the read was not done, so it is neither
    stale nor cached in the report."""
    config = make_project(
        YAML + '  other: {run: rsteps.count, inputs: {table: [1, "${params.x}"]}}\n'
        "params: {x: 1}\n",
        rsteps=STEPS,
    )
    (config.parent / "data.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    assert pipeflow.load(config).run(history=False).ok
    refused = pipeflow_in(
        config.parent, "run", config.name, "--frozen", "--param", "x=2", "--json", "-"
    )
    assert refused.returncode == 3, refused.stderr
    states = {step["name"]: step["state"] for step in json.loads(refused.stdout)["steps"]}
    assert states == {"raw": "not run", "rows": "not run", "other": "stale"}
