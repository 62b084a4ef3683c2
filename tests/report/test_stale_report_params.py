"""The CI reports of a run `--frozen` refused (stale steps) record the merged params the run
would have had, secrets masked, as the report of a run that started does: from the command
line and from Python, for a YAML and a TOML config."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

import pipeflow
from pipeflow.errors import StaleResults
from tests.conftest import ProjectFactory
from tests.system import pipeflow_in

STEPS = """
def numbers(count, token):
    return list(range(count))
"""

YAML = """
name: stale-params
params: {count: 3, ratio: 0.5, token: "${env.STALE_TOKEN}"}
steps:
  numbers: {run: rsteps.numbers, inputs: {count: "${params.count}", token: "${params.token}"}}
"""

TOML = """
name = "stale-params"

[params]
count = 3
ratio = 0.5
token = "${env.STALE_TOKEN}"

[steps.numbers]
run = "rsteps.numbers"
inputs = {count = "${params.count}", token = "${params.token}"}
"""

SECRET = "s3cr3t-value"
EXPECTED = {"count": 7, "ratio": 0.5, "token": "***"}


def _config(make_project: ProjectFactory, language: str) -> Path:
    if language == "yaml":
        return make_project(YAML, rsteps=STEPS)
    return make_project(TOML, name="pipeline.toml", rsteps=STEPS)


def _check(json_file: Path, junit_file: Path) -> None:
    document = json.loads(json_file.read_text(encoding="utf-8"))
    assert document["state"] == "stale"
    assert document["params"] == EXPECTED
    root = ElementTree.parse(junit_file).getroot()
    properties = {p.get("name"): p.get("value") for p in root.iter("property")}
    assert json.loads(properties["pipeflow.params"] or "") == EXPECTED
    assert SECRET not in json_file.read_text() + junit_file.read_text()


@pytest.mark.parametrize("language", ["yaml", "toml"])
def test_the_command_line_reports_the_params_of_a_stale_run(
    make_project: ProjectFactory, language: str
) -> None:
    config = _config(make_project, language)
    folder = config.parent
    env = {"STALE_TOKEN": SECRET}

    refused = pipeflow_in(
        folder,
        *("run", config.name, "--frozen", "--param", "count=7"),
        *("--json", "run.json", "--junit", "junit.xml"),
        env=env,
    )

    assert refused.returncode == 3, refused.stderr
    _check(folder / "run.json", folder / "junit.xml")


@pytest.mark.parametrize("language", ["yaml", "toml"])
def test_python_reports_the_params_of_a_stale_run(
    make_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch, language: str
) -> None:
    monkeypatch.setenv("STALE_TOKEN", SECRET)
    config = _config(make_project, language)
    folder = config.parent

    with pytest.raises(StaleResults):
        pipeflow.load(config).run(
            {"count": 7},
            frozen=True,
            history=False,
            json=folder / "run.json",
            junit=folder / "junit.xml",
        )

    _check(folder / "run.json", folder / "junit.xml")
