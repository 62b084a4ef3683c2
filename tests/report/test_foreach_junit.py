"""A failed `foreach` step in the JUnit report: its failure's type is the item's error's, and
its note counts calls over its items, as the console's FAILED line does.

Before, a `foreach` step whose first item of four failed (no retries) had
`<failure type="StepFailed">` (its message starts with the item, `item 1 of 4 ('a: b'): ...`)
and "failed after 4 attempts" in its system-out.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest
from click.testing import CliRunner

import pipeflow
from pipeflow.cli import cli

STEPS = """
def square(x):
    if x == "a: b":
        raise KeyError("a: b")
    return x * x


def flaky(x):
    raise ValueError("always")
"""
YAML = """
name: fans
results: {root: out}
executor: {type: EXECUTOR}
steps:
  square: {run: fanreportsteps.square, foreach: ["a: b", 2, 3, 4], as: x}
  flaky: {run: fanreportsteps.flaky, inputs: {x: 1}, retries: 1, retry_delay: 0s}
"""
TOML = """
name = "fans"
[results]
root = "out"
[executor]
type = "EXECUTOR"
[steps.square]
run = "fanreportsteps.square"
foreach = ["a: b", 2, 3, 4]
as = "x"
[steps.flaky]
run = "fanreportsteps.flaky"
inputs = {x = 1}
retries = 1
retry_delay = "0s"
"""


def _cases(report: Path) -> dict[str, ElementTree.Element]:
    suite = ElementTree.parse(report).getroot().find("testsuite")
    assert suite is not None
    return {case.attrib["name"]: case for case in suite.iter("testcase")}


@pytest.mark.parametrize("spelling", ["yaml", "toml"])
@pytest.mark.parametrize("executor", ["sequential", "threads", "processes"])
@pytest.mark.parametrize("caller", ["cli", "api"])
def test_a_failed_foreach_step_in_junit(
    tmp_path: Path, spelling: str, executor: str, caller: str
) -> None:
    (tmp_path / "fanreportsteps.py").write_text(STEPS, encoding="utf-8")
    config = tmp_path / f"pipeline.{spelling}"
    config.write_text((YAML if spelling == "yaml" else TOML).replace("EXECUTOR", executor))
    report = tmp_path / "junit.xml"
    if caller == "cli":
        result = CliRunner().invoke(
            cli, ["run", str(config), "--keep-going", "--junit", str(report)]
        )
        assert result.exit_code == 1, result.output
    else:
        run = pipeflow.load(config).run(keep_going=True, junit=report)
        assert not run.ok
    cases = _cases(report)
    failure = cases["square"].find("failure")
    assert failure is not None
    assert failure.attrib["message"].startswith("item 1 of 4 ('a: b'): KeyError: 'a: b'")
    assert failure.attrib["type"] == "KeyError"
    said = cases["square"].findtext("system-out") or ""
    assert "attempts" not in said, said
    assert "failed after 4 calls over its items" in said, said
    other = cases["flaky"].find("failure")
    assert other is not None
    assert other.attrib["type"] == "ValueError"
    assert "failed after 2 attempts" in (cases["flaky"].findtext("system-out") or "")
