"""The CI reports of a run: the JSON document (checked against its shipped schema) and JUnit
XML (checked against the Jenkins/Ant junit-10.xsd vendored under tests/assets/)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import xmlschema

import pipeflow
from pipeflow.errors import Problem
from pipeflow.report.ci import SCHEMA_FILE, RunReport, not_run_document
from pipeflow.report.junit import junit_xml
from tests.conftest import ProjectFactory

XSD = Path(__file__).resolve().parents[1] / "assets" / "junit-10.xsd"

STEPS = """
import logging

def numbers(count: int, token: str) -> list:
    print("making", count)
    logging.getLogger("steps").warning("a log line")
    return list(range(count))

def total(values: list) -> int:
    return sum(values)

def boom(values: list) -> int:
    print("colours: \\x1b[31mred\\x1b[0m")
    raise ValueError("bad values: 3 < 4 & 'quoted'")
"""

CONFIG = """
name: ci-demo
params: {count: 3, enabled: true, token: "${env.CI_DEMO_TOKEN}"}
results: {root: out}
steps:
  numbers:
    run: mysteps.numbers
    inputs: {count: "${params.count}", token: "${params.token}"}
    result: {target: n.json}
  total: {run: mysteps.total, inputs: {values: "${steps.numbers}"}, result: {target: t.json}}
  maybe: {run: mysteps.total, inputs: {values: "${steps.numbers}"}, when: "${params.enabled}"}
"""

BROKEN = '  broken: {run: mysteps.boom, inputs: {values: "${steps.numbers}"}}\n'
AFTER_BROKEN = '  later: {run: mysteps.total, inputs: {values: "${steps.broken}"}}\n'

SECRET = "s3cr3t-value-never-shown"


@cache
def junit_schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(XSD))


def check_json(document: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    validator.validate(json.loads(json.dumps(document)))


def check_junit(text: str) -> ElementTree.Element:
    junit_schema().validate(text)
    return ElementTree.fromstring(text)


def run_with_report(config: Path, **options: Any) -> tuple[pipeflow.api.Run, RunReport]:
    report = RunReport(config=str(config))
    run = pipeflow.load(config).run(subscribers=[report], **options)
    return run, report


def cases(root: ElementTree.Element) -> dict[str, ElementTree.Element]:
    return {case.get("name", ""): case for case in root.iter("testcase")}


@pytest.fixture(autouse=True)
def token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI_DEMO_TOKEN", SECRET)


def test_a_passing_run(make_project: ProjectFactory) -> None:
    config = make_project(CONFIG, mysteps=STEPS)
    run, report = run_with_report(config)
    assert run.ok
    document = report.document()
    check_json(document)
    assert document["pipeline"] == "ci-demo"
    assert document["run_id"] == run.id
    assert document["config"] == str(config)
    assert document["state"] == "succeeded"
    started = datetime.fromisoformat(document["started"])
    finished = datetime.fromisoformat(document["finished"])
    assert started.utcoffset() is not None
    assert finished >= started
    assert 0 <= document["duration"] < 60
    assert document["params"]["count"] == 3
    assert document["params"]["token"] != SECRET
    assert document["summary"] == {"done": 3}
    steps = {step["name"]: step for step in document["steps"]}
    assert list(steps) == ["numbers", "total", "maybe"]
    numbers = steps["numbers"]
    assert numbers["state"] == "done"
    assert numbers["attempts"] == 1
    assert numbers["cached"] is False
    assert numbers["error"] is None
    assert numbers["reason"]  # why it ran: no stored result yet
    assert [Path(loc).name for loc in numbers["locations"]] == ["n.json"]
    assert Path(numbers["locations"][0]).is_file()

    root = check_junit(junit_xml(document, report.output))
    suite = root.find("testsuite")
    assert suite is not None
    assert (suite.get("name"), suite.get("tests"), suite.get("failures")) == ("ci-demo", "3", "0")
    found = cases(root)
    assert list(found) == ["numbers", "total", "maybe"]
    assert all(case.get("classname") == "ci-demo" for case in found.values())
    assert float(found["numbers"].get("time", "x")) >= 0
    assert found["numbers"].find("failure") is None
    out = found["numbers"].findtext("system-out") or ""
    assert "making 3" in out
    assert "a log line" in out
    assert "n.json" in out


def test_a_second_run_reports_cached_steps(make_project: ProjectFactory) -> None:
    config = make_project(CONFIG, mysteps=STEPS)
    run_with_report(config)
    _, report = run_with_report(config)
    document = report.document()
    check_json(document)
    steps = {step["name"]: step for step in document["steps"]}
    assert steps["total"]["state"] == "cached"
    assert steps["total"]["cached"] is True
    assert steps["total"]["attempts"] == 0
    assert [Path(loc).name for loc in steps["total"]["locations"]] == ["t.json"]
    root = check_junit(junit_xml(document, report.output))
    total = cases(root)["total"]
    assert total.find("failure") is None
    assert total.find("skipped") is None  # a cached step passes
    assert "cached" in (total.findtext("system-out") or "")


def test_a_failing_run(make_project: ProjectFactory) -> None:
    config = make_project(CONFIG + BROKEN + AFTER_BROKEN, mysteps=STEPS)
    run, report = run_with_report(config, executor="sequential")
    assert not run.ok
    document = report.document()
    check_json(document)
    assert document["state"] == "failed"
    steps = {step["name"]: step for step in document["steps"]}
    broken = steps["broken"]
    assert broken["state"] == "failed"
    assert broken["error"]["message"] == "ValueError: bad values: 3 < 4 & 'quoted'"
    assert 'raise ValueError("bad values' in broken["error"]["traceback"]
    assert steps["later"]["state"] == "not run"
    assert steps["later"]["error"] is None

    text = junit_xml(document, report.output)
    root = check_junit(text)
    suite = root.find("testsuite")
    assert suite is not None
    assert suite.get("failures") == "1"
    assert suite.get("skipped") == "1"
    failure = cases(root)["broken"].find("failure")
    assert failure is not None
    assert failure.get("message") == "ValueError: bad values: 3 < 4 & 'quoted'"
    assert failure.get("type") == "ValueError"
    assert 'raise ValueError("bad values' in (failure.text or "")
    skipped = cases(root)["later"].find("skipped")
    assert skipped is not None
    assert "not run" in (skipped.get("message") or "")
    assert "`broken` failed" in (skipped.get("message") or "")
    # The escape sequence the step printed is shown, not written raw into the XML.
    assert "\\x1b[31mred" in (cases(root)["broken"].findtext("system-out") or "")


def test_a_step_skipped_by_when(make_project: ProjectFactory) -> None:
    config = make_project(CONFIG, mysteps=STEPS)
    report = RunReport(config=str(config))
    run = pipeflow.load(config).run(params={"enabled": False}, subscribers=[report])
    assert run.ok
    document = report.document()
    check_json(document)
    maybe = next(step for step in document["steps"] if step["name"] == "maybe")
    assert (maybe["state"], maybe["reason"]) == ("skipped", "`when` is false")
    root = check_junit(junit_xml(document, report.output))
    skipped = cases(root)["maybe"].find("skipped")
    assert skipped is not None
    assert skipped.get("message") == "skipped: `when` is false"


def test_secrets_never_reach_the_reports(make_project: ProjectFactory) -> None:
    config = make_project(
        CONFIG.replace("results: {root: out}", "results: {root: out}\nexecutor: {type: threads}"),
        mysteps=STEPS,
    )
    run, report = run_with_report(config)
    assert run.ok
    document = report.document()
    text = json.dumps(document) + junit_xml(document, report.output)
    assert SECRET not in text
    assert "token" in document["params"]


def test_a_run_that_never_started() -> None:
    problem = Problem(
        message="unknown key `inpts`", file="p.yaml", line=7, column=5, path="steps.a.inpts"
    )
    document = not_run_document(
        config="p.yaml", pipeline=None, state="invalid", message="1 problem", problems=[problem]
    )
    check_json(document)
    assert document["problems"][0]["line"] == 7
    root = check_junit(junit_xml(document))
    failure = cases(root)["invalid"].find("failure")
    assert failure is not None
    assert "p.yaml:7:5" in (failure.text or "")


def test_the_junit_schema_rejects_what_is_not_junit() -> None:
    """The control: validation can fail, so the passes above mean something."""
    schema = junit_schema()
    assert schema.is_valid('<testsuite name="a" tests="1" failures="0" errors="0"/>')
    assert not schema.is_valid('<testsuite name="a" tests="1" failures="0"/>')  # no errors=
    assert not schema.is_valid(
        '<testsuite name="a" tests="1" failures="0" errors="0"><testcase/></testsuite>'
    )  # a test case needs a name
    assert not schema.is_valid(
        '<testsuite name="a" tests="1" failures="0" errors="0" time="1.5s"/>'
    )
