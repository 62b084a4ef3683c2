"""`run --json/--junit` from the command line, and GitHub Actions annotations from `validate`
and `run` (checked against the golden invalid configs)."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import xmlschema
from click.testing import CliRunner, Result

from pipeflow.cli import cli
from pipeflow.errors import Problem
from pipeflow.history import open_history
from pipeflow.report.annotations import annotation, escape_data, escape_property
from tests.cli.test_cli import CONFIG, STEPS
from tests.conftest import REPO, ProjectFactory
from tests.interrupting import interrupted

GOLDEN = REPO / "tests" / "assets" / "invalid"
XSD = REPO / "tests" / "assets" / "junit-10.xsd"

BROKEN = '  broken: {run: mysteps.boom, inputs: {values: "${steps.numbers}"}}\n'


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def pipeflow_process(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The real command in a fresh interpreter: what CI runs, with real stdout and stderr."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("GITHUB_ACTIONS", None)
    return subprocess.run(
        [sys.executable, "-m", "pipeflow", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


# -- --json and --junit -----------------------------------------------------------------------


def test_json_to_stdout_carries_only_the_report(make_project: ProjectFactory) -> None:
    config = make_project(CONFIG, mysteps=STEPS)
    done = pipeflow_process("run", config.name, "--json", "-", cwd=config.parent)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)  # nothing else on stdout
    assert report["state"] == "succeeded"
    assert [step["name"] for step in report["steps"]] == ["numbers", "total"]
    # The progress still shows, on stderr.
    assert "numbers | making 3" in done.stderr
    assert "succeeded" in done.stderr
    # The run id is the history's.
    shown = pipeflow_process("runs", "show", report["run_id"], cwd=config.parent)
    assert shown.returncode == 0, shown.stderr
    assert report["run_id"] in shown.stdout


# A step that writes below `sys.stdout`: a child process, and a raw write to descriptor 1.
LOUD_STEPS = """
import os
import subprocess

def loud() -> int:
    subprocess.run(["echo", "from child process"], check=True)
    os.write(1, b"raw\\n")
    print("from python")
    return 1
"""
LOUD_CONFIG = """
name: loud
steps:
  loud: {run: loudsteps.loud}
"""
EXECUTORS = [
    "sequential",
    "threads",
    "processes",
    pytest.param("dask", marks=pytest.mark.slow),
]


@pytest.mark.parametrize("report", ["--json", "--junit"])
@pytest.mark.parametrize("executor", EXECUTORS)
def test_a_report_to_stdout_stays_alone_when_a_step_writes_below_sys_stdout(
    make_project: ProjectFactory, executor: str, report: str
) -> None:
    """Before, with `--junit -` the progress lines went to stdout before the XML, which no
    CI tool could then read."""
    config = make_project(LOUD_CONFIG, loudsteps=LOUD_STEPS)
    arguments = ["run", config.name, report, "-", "--executor", executor, "--workers", "1"]
    done = pipeflow_process(*arguments, cwd=config.parent)
    assert done.returncode == 0, done.stderr
    # the progress, the child's and the raw lines are not on stdout
    if report == "--json":
        assert json.loads(done.stdout)["state"] == "succeeded"
    else:
        xmlschema.XMLSchema(XSD).validate(done.stdout)
        assert 'name="pipeflow.state" value="succeeded"' in done.stdout
    assert "succeeded in" in done.stderr
    assert "from child process" in done.stderr
    assert "raw" in done.stderr.splitlines() or "loud | raw" in done.stderr
    assert "loud | from python" in done.stderr


@pytest.mark.parametrize("executor", EXECUTORS)
def test_json_lines_on_stdout_stay_alone_when_a_step_writes_below_sys_stdout(
    make_project: ProjectFactory, executor: str
) -> None:
    config = make_project(LOUD_CONFIG, loudsteps=LOUD_STEPS)
    arguments = ["run", config.name, "--log-format", "json", "--executor", executor]
    done = pipeflow_process(*arguments, "--workers", "1", cwd=config.parent)
    assert done.returncode == 0, done.stderr
    events = [json.loads(line) for line in done.stdout.splitlines()]  # every line an event
    assert events[0]["event"] == "RunStarted"
    assert events[-1]["event"] == "RunFinished"
    assert "from child process" in done.stderr or any(
        event.get("text") == "from child process" for event in events
    )


@pytest.mark.parametrize("order", [("--json", "--junit"), ("--junit", "--json")])
def test_both_reports_to_stdout_are_a_usage_error(
    make_project: ProjectFactory, order: tuple[str, str]
) -> None:
    """One document after the other is neither JSON nor XML: refused before anything runs."""
    import pipeflow
    from pipeflow.errors import UsageError

    config = make_project(CONFIG, mysteps=STEPS)
    result = invoke("run", str(config), order[0], "-", order[1], "-")
    assert result.exit_code == 2, result.output
    assert "--json - and --junit - would both write their report to stdout" in result.output
    assert "making" not in result.output
    assert not (config.parent / ".pipeflow").exists()
    with pytest.raises(UsageError, match='`json="-"` and `junit="-"` would both write'):
        pipeflow.load(config).run(json="-", junit="-")


def test_json_to_stdout_with_json_lines_progress(make_project: ProjectFactory) -> None:
    config = make_project(CONFIG, mysteps=STEPS)
    result = invoke("run", str(config), "--json", "-", "--log-format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["state"] == "succeeded"
    events = [json.loads(line)["event"] for line in result.stderr.splitlines()]
    assert events[0] == "RunStarted"


def test_failed_run_writes_both_reports_and_exits_1(
    make_project: ProjectFactory, tmp_path: Path
) -> None:
    config = make_project(CONFIG + BROKEN, mysteps=STEPS)
    json_file, junit_file = tmp_path / "reports" / "run.json", tmp_path / "reports" / "junit.xml"
    result = invoke("run", str(config), "--json", str(json_file), "--junit", str(junit_file))
    assert result.exit_code == 1, result.output
    assert "step `broken` failed" in result.stderr
    report = json.loads(json_file.read_text(encoding="utf-8"))
    assert report["state"] == "failed"
    broken = next(step for step in report["steps"] if step["name"] == "broken")
    assert broken["error"]["message"] == "ValueError: bad values"
    xmlschema.XMLSchema(str(XSD)).validate(str(junit_file))
    assert '<failure message="ValueError: bad values"' in junit_file.read_text(encoding="utf-8")


def test_an_invalid_config_still_gets_reports(make_project: ProjectFactory, tmp_path: Path) -> None:
    config = make_project(CONFIG.replace("inputs: {count", "inpts: {count"), mysteps=STEPS)
    json_file, junit_file = tmp_path / "run.json", tmp_path / "junit.xml"
    result = invoke("run", str(config), "--json", str(json_file), "--junit", str(junit_file))
    assert result.exit_code == 2
    report = json.loads(json_file.read_text(encoding="utf-8"))
    assert (report["state"], report["pipeline"], report["steps"]) == ("invalid", "demo", [])
    assert report["problems"][0]["hint"] == "did you mean `inputs`?"
    xmlschema.XMLSchema(str(XSD)).validate(str(junit_file))
    junit = junit_file.read_text(encoding="utf-8")
    assert "did you mean `inputs`?" in junit
    assert '<testsuite name="demo"' in junit  # the JSON's name: the config's, not its file's


@pytest.mark.parametrize(
    "text", ["name: demo\nsteps: [unclosed\n", "- a list, not a mapping\n", "steps: {}\n"]
)
def test_a_config_that_names_no_pipeline_is_reported_by_its_file(tmp_path: Path, text: str) -> None:
    """Unreadable, not a mapping, or without `name`: the JSON says null (docs/ci.md), the
    JUnit suite is named after the file."""
    config = tmp_path / "unnamed.yaml"
    config.write_text(text, encoding="utf-8")
    json_file, junit_file = tmp_path / "run.json", tmp_path / "junit.xml"
    result = invoke("run", str(config), "--json", str(json_file), "--junit", str(junit_file))
    assert result.exit_code == 2
    report = json.loads(json_file.read_text(encoding="utf-8"))
    assert (report["state"], report["pipeline"]) == ("invalid", None)
    assert '<testsuite name="unnamed"' in junit_file.read_text(encoding="utf-8")


def test_frozen_with_stale_steps_reports_stale(make_project: ProjectFactory) -> None:
    config = make_project(CONFIG, mysteps=STEPS)
    result = invoke("run", str(config), "--frozen", "--json", "-")
    assert result.exit_code == 3
    report = json.loads(result.stdout)
    assert report["state"] == "stale"
    assert "numbers" in report["message"]
    assert invoke("run", str(config)).exit_code == 0
    result = invoke("run", str(config), "--frozen", "--json", "-")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["summary"] == {"cached": 2}


def test_reports_and_dry_run_do_not_mix(make_project: ProjectFactory) -> None:
    config = make_project(CONFIG, mysteps=STEPS)
    result = invoke("run", str(config), "--dry-run", "--json", "-")
    assert result.exit_code == 2
    assert "pipeflow status CONFIG --json" in result.stderr


# -- annotations ------------------------------------------------------------------------------

HEAD = re.compile(r"^(?P<file>[^\s:]+):(?P<line>\d+):(?P<col>\d+): error at `(?P<path>[^`]+)`: ")


def expected_annotations(expected: str) -> list[str]:
    """The annotations a golden report implies, built from its text independently."""
    found: list[tuple[dict[str, str], str, list[str]]] = []
    for text in expected.splitlines():
        head = HEAD.match(text)
        if head:
            found.append((head.groupdict(), text[head.end() :], []))
        elif text.startswith("    ") and found:  # the hint, or a message over several lines
            found[-1][2].append(text.removeprefix("    "))
    lines = []
    for where, message, more in found:
        parts = [f"at `{where['path']}`: {message}", *more]
        body = "%0A".join(part.replace("%", "%25") for part in parts)
        lines.append(
            f"::error file={where['file']},line={where['line']},col={where['col']},"
            f"title=pipeflow::{body}"
        )
    return lines


@pytest.fixture
def golden_state(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Undo what validating the golden configs does to the process: sys.path, step modules;
    and keep the folder free of __pycache__ and of validation's `.pipeflow/` cache."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    before = set(sys.modules)
    had_cache = (GOLDEN / ".pipeflow").exists()
    yield
    for name in set(sys.modules) - before:
        if name == "validsteps" or name.startswith("validsteps."):
            del sys.modules[name]
    if not had_cache:
        shutil.rmtree(GOLDEN / ".pipeflow", ignore_errors=True)


@pytest.fixture
def on_github(monkeypatch: pytest.MonkeyPatch, golden_state: None) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")


@pytest.mark.usefixtures("on_github")
@pytest.mark.parametrize(
    "config",
    [
        "bad_cron.yaml",
        "cycle.yaml",
        "duplicate_key.yaml",
        "several_mistakes.yaml",
        "toml_unknown_key.toml",
        "run_missing_module.yaml",
    ],
)
def test_validate_annotates_each_problem(config: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(GOLDEN)
    expected = (GOLDEN / config).with_suffix(".expected").read_text(encoding="utf-8")
    result = invoke("validate", config)
    assert result.exit_code == 2
    assert result.stderr == expected  # the normal report, unchanged
    lines = result.stdout.splitlines()
    assert lines == expected_annotations(expected)
    assert len(lines) == expected.count(": error")


@pytest.mark.usefixtures("on_github")
def test_annotation_paths_are_relative_to_the_working_directory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(REPO)
    for given in ("tests/assets/invalid/cycle.yaml", str(GOLDEN / "cycle.yaml")):
        result = invoke("validate", given)
        assert result.exit_code == 2
        assert result.stdout.startswith(
            "::error file=tests/assets/invalid/cycle.yaml,line=3,col=3,title=pipeflow::"
        ), result.stdout


@pytest.mark.usefixtures("on_github")
def test_run_annotates_a_config_that_fails_validation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(GOLDEN)
    expected = (GOLDEN / "several_mistakes.expected").read_text(encoding="utf-8")
    result = invoke("run", "several_mistakes.yaml")
    assert result.exit_code == 2
    assert result.stdout.splitlines() == expected_annotations(expected)
    # With the report on stdout, the annotations go to stderr.
    result = invoke("run", "several_mistakes.yaml", "--json", "-")
    assert result.exit_code == 2
    assert json.loads(result.stdout)["state"] == "invalid"
    assert result.stderr.count("::error file=several_mistakes.yaml,") == 6


@pytest.mark.usefixtures("golden_state")
def test_no_annotations_off_github(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(GOLDEN)
    monkeypatch.setenv("GITHUB_ACTIONS", "false")
    result = invoke("validate", "cycle.yaml")
    assert result.exit_code == 2
    assert result.stdout == ""


def test_escaping_follows_githubs_rules() -> None:
    assert escape_data("100% done\r\nnext: a, b") == "100%25 done%0D%0Anext: a, b"
    assert escape_property("dir,1/a:b%.yaml") == "dir%2C1/a%3Ab%25.yaml"
    problem = Problem(
        message="bad value: 50%,\nsecond line",
        file="a,b:c.yaml",
        line=4,
        column=2,
        path="steps.x",
        hint="use 0.5",
    )
    assert annotation(problem, cwd=Path.cwd()) == (
        "::error file=a%2Cb%3Ac.yaml,line=4,col=2,title=pipeflow::"
        "at `steps.x`: bad value: 50%25,%0Asecond line%0Ahint: use 0.5"
    )
    # A problem with no file (a command-line mistake) has no file property.
    assert annotation(Problem(message="no step `x`"), cwd=Path.cwd()) == (
        "::error title=pipeflow::no step `x`"
    )


# -- runs that end early ----------------------------------------------------------------------

SLOW_STEPS = """
import time

def nap(seconds: float) -> float:
    print("napping", flush=True)
    time.sleep(seconds)
    return seconds
"""

SLOW_CONFIG = """
name: slow
results: {root: out}
steps:
  first: {run: slow.nap, inputs: {seconds: 0}}
  nap: {run: slow.nap, inputs: {seconds: 60}, after: [first]}
"""


def test_an_interrupted_run_is_reported(make_project: ProjectFactory) -> None:
    config = make_project(SLOW_CONFIG, slow=SLOW_STEPS)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    code, output = interrupted(
        [sys.executable, "-m", "pipeflow", "run", config.name, "--json", "r.json"],
        cwd=config.parent,
        env=env,
        marker="nap | napping",
        settle=0.5,  # let the engine get back to waiting for the step
    )
    assert code == 130, output
    report = json.loads((config.parent / "r.json").read_text(encoding="utf-8"))
    assert report["state"] == "interrupted"
    assert report["steps"][0]["state"] == "done"
    assert report["steps"][1]["state"] in ("failed", "not run")
    assert report["duration"] < 30  # it stopped; it did not wait for the step


def test_a_store_that_cannot_be_reached_is_reported(make_project: ProjectFactory) -> None:
    config = make_project(CONFIG, mysteps=STEPS)
    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env.update(
        PYTHONPATH=str(REPO),
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_EC2_METADATA_DISABLED="true",
        AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}",
    )
    arguments = ["run", config.name, "--results", "s3://b/x", "--json", "-"]
    done = subprocess.run(
        [sys.executable, "-m", "pipeflow", *arguments],
        cwd=config.parent,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert (report["state"], report["steps"]) == ("error", [])
    assert "cannot be reached" in report["message"]
    with open_history(config.parent) as history:  # the run is recorded, and named by its id
        [run] = history.runs()
    assert report["run_id"] == run.id
