"""`Pipeline.run(json=..., junit=...)`: the CI reports of `run --json/--junit`, from Python.

SPEC 11: `run()` takes the CLI's options as keywords. The reports are the CLI's own: the same
document for a run that ran, failed, was refused by `frozen` or got params it cannot take."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any

import pytest

import pipeflow
from pipeflow.errors import ConfigError, StaleResults, UsageError
from tests.conftest import ProjectFactory
from tests.report.test_ci_reports import (
    BROKEN,
    CONFIG,
    SECRET,
    STEPS,
    cases,
    check_json,
    check_junit,
)


@pytest.fixture(autouse=True)
def token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI_DEMO_TOKEN", SECRET)


def read_reports(folder: Path) -> tuple[dict[str, Any], ElementTree.Element]:
    text = (folder / "reports" / "run.json").read_text(encoding="utf-8")
    junit = (folder / "reports" / "junit.xml").read_text(encoding="utf-8")
    assert SECRET not in text + junit
    document = json.loads(text)
    check_json(document)
    return document, check_junit(junit)


@pytest.mark.parametrize("spelling", [str, Path], ids=["text", "path"])
def test_a_run_writes_both_reports(make_project: ProjectFactory, spelling: Any) -> None:
    config = make_project(CONFIG, mysteps=STEPS)
    folder = config.parent
    run = pipeflow.load(config).run(
        json=spelling(folder / "reports" / "run.json"),
        junit=spelling(folder / "reports" / "junit.xml"),
    )
    assert run.ok
    document, root = read_reports(folder)
    assert document["run_id"] == run.id
    assert document["state"] == "succeeded"
    assert document["config"] == str(config)
    assert document["params"]["token"] == "***"
    assert set(cases(root)) == {"numbers", "total", "maybe"}


def test_the_reports_match_the_cli_s(make_project: ProjectFactory) -> None:
    config = make_project(CONFIG, mysteps=STEPS)
    folder = config.parent
    pipeflow.load(config).run(json=folder / "api.json", junit=folder / "api.xml", force=True)
    from tests.system import pipeflow_in

    finished = pipeflow_in(
        folder, "run", config.name, "--force", "--json", "cli.json", "--junit", "cli.xml"
    )
    assert finished.returncode == 0, finished.stderr
    api, cli = (json.loads((folder / n).read_text()) for n in ("api.json", "cli.json"))
    varying = {"run_id", "started", "finished", "duration", "config", "steps"}
    assert {k: v for k, v in api.items() if k not in varying} == {
        k: v for k, v in cli.items() if k not in varying
    }
    assert [s["name"] for s in api["steps"]] == [s["name"] for s in cli["steps"]]
    api_cases, cli_cases = (
        cases(ElementTree.fromstring((folder / n).read_text())) for n in ("api.xml", "cli.xml")
    )
    assert set(api_cases) == set(cli_cases)


def test_a_failed_step_is_reported_and_the_run_returns(make_project: ProjectFactory) -> None:
    config = make_project(CONFIG + BROKEN, mysteps=STEPS)
    folder = config.parent
    run = pipeflow.load(config).run(
        json=folder / "reports" / "run.json", junit=folder / "reports" / "junit.xml"
    )
    assert not run.ok
    document, root = read_reports(folder)
    assert document["state"] == "failed"
    assert cases(root)["broken"].find("failure") is not None


def test_frozen_stale_steps_get_a_report_of_the_refusal(make_project: ProjectFactory) -> None:
    config = make_project(CONFIG, mysteps=STEPS)
    folder = config.parent
    with pytest.raises(StaleResults):
        pipeflow.load(config).run(
            frozen=True,
            json=folder / "reports" / "run.json",
            junit=folder / "reports" / "junit.xml",
        )
    document, _ = read_reports(folder)
    assert document["state"] == "stale"
    assert document["pipeline"] == "ci-demo"
    assert not (folder / "out").exists() or not any((folder / "out").rglob("n.json"))


def test_params_run_cannot_take_get_a_report_of_the_problems(make_project: ProjectFactory) -> None:
    config = make_project(
        CONFIG.replace(
            "params: {", "params_schema: {properties: {count: {type: integer}}}\nparams: {"
        ),
        mysteps=STEPS,
    )
    folder = config.parent
    with pytest.raises(ConfigError):
        pipeflow.load(config).run(
            params={"count": "three"},
            json=folder / "reports" / "run.json",
            junit=folder / "reports" / "junit.xml",
        )
    document, _ = read_reports(folder)
    assert document["state"] == "invalid"
    assert any("count" in problem["message"] for problem in document["problems"])


def test_a_stream_takes_the_report(make_project: ProjectFactory) -> None:
    config = make_project(CONFIG, mysteps=STEPS)
    report, junit = io.StringIO(), io.StringIO()
    run = pipeflow.load(config).run(json=report, junit=junit)
    document = json.loads(report.getvalue())
    check_json(document)
    assert document["run_id"] == run.id
    check_junit(junit.getvalue())


@pytest.mark.parametrize("keyword", ["json", "junit"])
def test_a_target_that_cannot_be_written_is_refused_before_any_step(
    make_project: ProjectFactory, keyword: str
) -> None:
    config = make_project(CONFIG, mysteps=STEPS)
    folder = config.parent
    (folder / "reports").mkdir()
    with pytest.raises(UsageError, match=f"`{keyword}` .*reports: that is a folder"):
        pipeflow.load(config).run(**{keyword: folder / "reports"})
    assert not (folder / "out").exists()


@pytest.mark.parametrize("keyword", ["json", "junit"])
@pytest.mark.parametrize("value", [5, b"r.json", ["r.json"]], ids=["int", "bytes", "list"])
def test_a_target_of_another_kind_is_a_type_error(
    make_project: ProjectFactory, keyword: str, value: Any
) -> None:
    config = make_project(CONFIG, mysteps=STEPS)
    with pytest.raises(TypeError, match=f"`{keyword}` takes a file path, `-` or a text stream"):
        pipeflow.load(config).run(**{keyword: value})


def test_a_dash_writes_the_report_to_stdout(
    make_project: ProjectFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    config = make_project(CONFIG, mysteps=STEPS)
    run = pipeflow.load(config).run(json="-")
    document = json.loads(capsys.readouterr().out)
    check_json(document)
    assert document["run_id"] == run.id
