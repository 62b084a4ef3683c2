"""A failed step keeps, in the history, why it ran (the planner's reason, or the one it
started with) beside how it failed ("raised an error", "called sys.exit()"): `runs show`,
`runs show --json`, the UI's run page and the run's own `--json` and `--junit` reports show
both, on every executor, for a run started from the command line or from Python."""

from __future__ import annotations

import html
import json
import re
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import jsonschema
import pytest
from starlette.testclient import TestClient

import pipeflow
from pipeflow.history import open_history
from pipeflow.report.ci import SCHEMA_FILE
from pipeflow.ui.app import Settings, create_app
from tests.conftest import ProjectFactory
from tests.execute.conftest import dask_address  # noqa: F401  (a fixture)
from tests.executors import EXECUTORS, executor_spec
from tests.system import pipeflow_in

STEPS = """
import sys


def make(n):
    return n


def check(x, n):
    if n == 4:
        raise ValueError(f"no fours: {x}")
    if n == 5:
        sys.exit(3)
    return x
"""

CONFIG = """
name: reasons
executor: {executor}
params: {{n: 3}}
steps:
  make: {{run: rsteps.make, inputs: {{n: "${{params.n}}"}}}}
  check: {{run: rsteps.check, inputs: {{x: "${{steps.make}}", n: "${{params.n}}"}}}}
"""

WHY = "param n changed (3 -> {n})"  # why `make` runs after the first run
# `check`, decided again once `make` has run:
CHECK_WHY = "param n changed (3 -> {n}); the result of `make` changed"


def failed_run(config: Path, n: int, *, api: bool) -> str:
    """Run `config` with n (the run that fails, its report in `report.json`), after one with
    the default; its id."""
    home = config.parent / ".pipeflow"
    report, junit = config.parent / "report.json", config.parent / "junit.xml"
    if api:
        assert pipeflow.load(config).run().ok
        run = pipeflow.load(config).run(params={"n": n}, json=report, junit=junit)
        assert not run.ok
        return run.id
    assert pipeflow_in(config.parent, "run", config.name, "-q").returncode == 0
    arguments = ["--param", f"n={n}", "--json", str(report), "--junit", str(junit)]
    ran = pipeflow_in(config.parent, "run", config.name, "-q", *arguments)
    assert ran.returncode == 1, ran.stdout + ran.stderr
    with open_history(home=home) as history:
        return history.runs(last=1)[0].id


@pytest.mark.parametrize("executor", EXECUTORS)
@pytest.mark.parametrize(("n", "how"), [(4, "raised an error"), (5, "called sys.exit()")])
@pytest.mark.parametrize("api", [False, True], ids=["cli", "api"])
def test_a_failed_step_keeps_why_it_ran(
    make_project: ProjectFactory,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    executor: str,
    n: int,
    how: str,
    api: bool,
) -> None:
    monkeypatch.delenv("PIPEFLOW_HOME", raising=False)
    config = make_project(CONFIG.format(executor=executor_spec(executor, request)), rsteps=STEPS)
    run_id = failed_run(config, n, api=api)
    why, check_why = WHY.format(n=n), CHECK_WHY.format(n=n)
    folder = config.parent

    shown = pipeflow_in(folder, "runs", "show", run_id)
    assert shown.returncode == 0, shown.stderr
    lines = [line.strip() for line in shown.stdout.splitlines()]
    row = lines.index(next(line for line in lines if line.startswith("check ")))
    assert re.match(rf"check\s+failed\s+\S+\s+1 attempt\s+{re.escape(how)}$", lines[row])
    assert lines[row + 1] == f"ran because: {check_why}", shown.stdout
    assert lines[row + 2].startswith("error: "), shown.stdout
    # A step that ran and succeeded says why it ran once, in its row.
    assert re.match(
        rf"make\s+done\s+.*{re.escape(why)}$",
        next(line for line in lines if line.startswith("make ")),
    )
    assert sum(line.startswith("ran because:") for line in lines) == 1

    document = json.loads(pipeflow_in(folder, "runs", "show", run_id, "--json").stdout)
    steps = {step["name"]: step for step in document["steps"]}
    assert steps["check"]["reason"] == how
    assert steps["check"]["ran_because"] == check_why
    assert steps["make"]["ran_because"] == why == steps["make"]["reason"]

    report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    jsonschema.validate(report, json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))
    reported = {step["name"]: step for step in report["steps"]}
    assert (reported["check"]["reason"], reported["check"]["ran_because"]) == (how, check_why)
    assert reported["make"]["ran_because"] == why == reported["make"]["reason"]
    cases = ElementTree.parse(folder / "junit.xml").getroot().iter("testcase")
    check = next(case for case in cases if case.get("name") == "check")
    assert check.find("failure") is not None
    said = check.findtext("system-out") or ""
    assert said.splitlines()[0] == f"ran because: {check_why}", said

    settings = Settings(configs={}, home=folder / ".pipeflow", token=None, loopback_only=True)
    with TestClient(create_app(settings), base_url="http://127.0.0.1:8080") as client:
        page = client.get(f"/runs/{run_id}")
    assert page.status_code == 200
    cell = re.search(r'<tr class="step-row[^>]*data-step="check".*?</tr>', page.text, re.DOTALL)
    assert cell is not None
    assert how in cell.group(0)
    assert f"ran because: {check_why}" in html.unescape(cell.group(0))
