"""The CI reports keep the error of each failed attempt before a step's last, as `pipeflow runs
show` and the UI do: a flaky step that passed on its third attempt read as one clean pass.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

import pipeflow
from pipeflow.cli import cli
from pipeflow.report.ci import SCHEMA_FILE

STEPS = """
from pathlib import Path


def flaky(marker: str) -> int:
    path = Path(marker)
    tries = int(path.read_text()) + 1 if path.exists() else 1
    path.write_text(str(tries))
    if tries < 3:
        raise RuntimeError(f"flake {tries}")
    return tries


def broken(x: int) -> int:
    raise ValueError("always")
"""
YAML = """
name: flakes
results: {root: out}
executor: {type: EXECUTOR}
steps:
  flaky: {run: flakysteps.flaky, inputs: {marker: MARKER}, retries: 3, retry_delay: 0s}
  broken: {run: flakysteps.broken, inputs: {x: 1}, retries: 1, retry_delay: 0s}
"""
TOML = """
name = "flakes"
[results]
root = "out"
[executor]
type = "EXECUTOR"
[steps.flaky]
run = "flakysteps.flaky"
inputs = {marker = "MARKER"}
retries = 3
retry_delay = "0s"
[steps.broken]
run = "flakysteps.broken"
inputs = {x = 1}
retries = 1
retry_delay = "0s"
"""


@pytest.mark.parametrize("spelling", ["yaml", "toml"])
@pytest.mark.parametrize("executor", ["sequential", "threads", "processes"])
@pytest.mark.parametrize("caller", ["cli", "api"])
def test_the_reports_keep_each_failed_attempt(
    tmp_path: Path, spelling: str, executor: str, caller: str
) -> None:
    (tmp_path / "flakysteps.py").write_text(STEPS, encoding="utf-8")
    config = tmp_path / f"pipeline.{spelling}"
    text = (YAML if spelling == "yaml" else TOML).replace("EXECUTOR", executor)
    config.write_text(text.replace("MARKER", str(tmp_path / "tries")), encoding="utf-8")
    json_report, junit_report = tmp_path / "run.json", tmp_path / "junit.xml"
    if caller == "cli":
        reports = ["--json", str(json_report), "--junit", str(junit_report)]
        result = CliRunner().invoke(cli, ["run", str(config), "--keep-going", *reports])
        assert result.exit_code == 1, result.output
    else:
        run = pipeflow.load(config).run(keep_going=True, json=json_report, junit=junit_report)
        assert not run.ok
    document = json.loads(json_report.read_text(encoding="utf-8"))
    jsonschema.validate(document, json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))
    steps = {step["name"]: step for step in document["steps"]}
    assert steps["flaky"]["state"] == "done"
    assert steps["flaky"]["failed_attempts"] == [
        {"attempt": 1, "error": "RuntimeError: flake 1"},
        {"attempt": 2, "error": "RuntimeError: flake 2"},
    ]
    # The last attempt's error is the step's `error`; the ones before it are listed.
    assert steps["broken"]["failed_attempts"] == [{"attempt": 1, "error": "ValueError: always"}]
    assert steps["broken"]["error"]["message"] == "ValueError: always"

    suite = ElementTree.parse(junit_report).getroot().find("testsuite")
    assert suite is not None
    said = {
        case.attrib["name"]: case.findtext("system-out") or "" for case in suite.iter("testcase")
    }
    assert (
        "attempt 1 failed: RuntimeError: flake 1\nattempt 2 failed: RuntimeError: flake 2"
        in (said["flaky"])
    )
    assert "attempt 1 failed: ValueError: always" in said["broken"]
