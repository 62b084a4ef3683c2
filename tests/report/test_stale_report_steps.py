"""The CI reports of a run `--frozen` refused list each step as planned: a step that would run is
`stale`, with why (a failure in JUnit), a current one `cached` (a passing test case). From the
command line and from Python, for a YAML and a TOML config, and for `--only`, whose refusal
names the steps outside the selection that would have to run."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any

import pytest

import pipeflow
from pipeflow.errors import StaleResults
from tests.conftest import ProjectFactory
from tests.report.test_ci_reports import check_json, check_junit
from tests.system import pipeflow_in

STEPS = """
def load():
    return [1, 2, 3]

def clean(rows):
    return [r * 2 for r in rows]

def train(rows):
    return sum(rows)
"""

YAML = """
name: stale-steps
steps:
  load: {run: fsteps.load}
  clean: {run: fsteps.clean, inputs: {rows: "${steps.load}"}}
  train: {run: fsteps.train, inputs: {rows: "${steps.clean}"}}
"""

TOML = """
name = "stale-steps"

[steps.load]
run = "fsteps.load"

[steps.clean]
run = "fsteps.clean"
inputs = {rows = "${steps.load}"}

[steps.train]
run = "fsteps.train"
inputs = {rows = "${steps.clean}"}
"""


def _stale_project(make_project: ProjectFactory, language: str) -> Path:
    """A project whose `load` is current and whose `clean` changed since the last run, so
    `clean` and `train` (downstream) would run."""
    if language == "yaml":
        config = make_project(YAML, fsteps=STEPS)
    else:
        config = make_project(TOML, name="pipeline.toml", fsteps=STEPS)
    pipeflow.load(config).run(history=False)
    module = config.parent / "fsteps.py"
    module.write_text(module.read_text().replace("r * 2", "r * 3"), encoding="utf-8")
    return config


def _steps(document: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {step["name"]: (step["state"], step["reason"]) for step in document["steps"]}


def _check(folder: Path) -> None:
    document = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    check_json(document)
    assert document["state"] == "stale"
    steps = _steps(document)
    assert list(steps) == ["load", "clean", "train"]  # in plan order
    assert steps["load"][0] == "cached"
    assert steps["clean"][0] == "stale"
    assert "code of fsteps.py changed" in steps["clean"][1]
    assert steps["train"][0] == "stale"
    assert "clean" in steps["train"][1]
    assert document["summary"] == {"cached": 1, "stale": 2}
    assert all(step["attempts"] == 0 for step in document["steps"])  # nothing was called
    root = check_junit((folder / "junit.xml").read_text(encoding="utf-8"))
    suite = root.find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures")) == ("3", "2")
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert list(cases) == ["load", "clean", "train"]
    assert cases["load"].find("failure") is None
    assert cases["load"].find("skipped") is None
    for name in ("clean", "train"):
        failure = cases[name].find("failure")
        assert failure is not None, ElementTree.tostring(cases[name])
        assert failure.get("type") == "stale"
        assert (failure.get("message") or "").startswith("would run: ")
    clean = cases["clean"].find("failure")
    assert clean is not None
    assert "code of fsteps.py changed" in (clean.get("message") or "")


@pytest.mark.parametrize("language", ["yaml", "toml"])
def test_the_command_line_reports_each_step_of_a_stale_run(
    make_project: ProjectFactory, language: str
) -> None:
    config = _stale_project(make_project, language)
    refused = pipeflow_in(
        config.parent,
        *("run", config.name, "--frozen", "--json", "run.json", "--junit", "junit.xml"),
    )
    assert refused.returncode == 3, refused.stderr
    _check(config.parent)


@pytest.mark.parametrize("language", ["yaml", "toml"])
def test_python_reports_each_step_of_a_stale_run(
    make_project: ProjectFactory, language: str
) -> None:
    config = _stale_project(make_project, language)
    folder = config.parent
    with pytest.raises(StaleResults):
        pipeflow.load(config).run(
            frozen=True, history=False, json=folder / "run.json", junit=folder / "junit.xml"
        )
    _check(folder)


def test_a_stale_run_of_a_selection_reports_the_steps_it_would_need(
    make_project: ProjectFactory,
) -> None:
    """`--only train` needs `clean`'s result, which is stale: the refusal reports `clean`."""
    config = _stale_project(make_project, "yaml")
    folder = config.parent
    refused = pipeflow_in(
        folder,
        *("run", config.name, "--only", "train", "--frozen"),
        *("--json", "run.json", "--junit", "junit.xml"),
    )
    assert refused.returncode == 3, refused.stderr
    document = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    check_json(document)
    steps = _steps(document)
    assert steps["clean"][0] == "stale"
    assert "code of fsteps.py changed" in steps["clean"][1]
    root = check_junit((folder / "junit.xml").read_text(encoding="utf-8"))
    failures = [c.get("name") for c in root.iter("testcase") if c.find("failure") is not None]
    assert "clean" in failures


@pytest.mark.parametrize("dry_run", [False, True], ids=["run", "dry-run"])
def test_on_github_actions_each_stale_step_is_an_error_annotation(
    make_project: ProjectFactory, dry_run: bool
) -> None:
    config = _stale_project(make_project, "yaml")
    options = ("--dry-run",) if dry_run else ()
    refused = pipeflow_in(
        config.parent, "run", config.name, "--frozen", *options, env={"GITHUB_ACTIONS": "true"}
    )
    assert refused.returncode == 3, refused.stderr
    said = refused.stdout + refused.stderr
    annotations = [line for line in said.splitlines() if line.startswith("::error")]
    assert len(annotations) == 2, said
    assert annotations[0].startswith("::error title=pipeflow step `clean` would run::--frozen: ")
    assert "code of fsteps.py changed" in annotations[0]
    assert annotations[1].startswith("::error title=pipeflow step `train` would run::")
    elsewhere = pipeflow_in(config.parent, "run", config.name, "--frozen", *options)
    assert "::error" not in elsewhere.stdout + elsewhere.stderr
