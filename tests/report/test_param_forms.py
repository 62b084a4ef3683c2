"""A param value is shown in one form everywhere: the JSON form its step's manifest stores
(`model/plain.py`): a date, time or datetime as its ISO text, bytes (`!!binary`) as base64,
nested in lists and mappings too. Status reasons (`status`, `--frozen`, `--dry-run`, the
API's `plan`), `--json`, `--junit`, JSON lines, the history (`runs show`, the UI) all show it,
and a param that did not change is never said changed. Before, a date param was "changed
('2024-01-01' -> datetime.date(2024, 1, 1))" on every status, and `--json`/`--junit` wrote
`"datetime.date(2024, 1, 1)"`, `"datetime.time(7, 30)"` and `"b'hello'"`."""

from __future__ import annotations

import json
import re
import subprocess
from html import unescape
from pathlib import Path
from typing import Any

import pytest

import pipeflow
from pipeflow.history import open_history
from tests.conftest import ProjectFactory
from tests.system import pipeflow_in

STEPS = "def show(values):\n    return len(values)\n"

TOML = """
name = "forms"
[params]
n = 1
d = 2024-01-01
t = 07:30:00
dt = 2024-01-01T10:00:00Z
nested = {days = [2024-01-02], at = {t = 08:15:00}}
[steps.show]
run = "formsteps.show"
inputs = {values = ["${params.n}", "${params.d}", "${params.t}", "${params.dt}",
  "${params.nested}"]}
"""
YAML = """
name: forms
params:
  n: 1
  d: 2024-01-01
  dt: 2024-01-01T10:00:00
  b: !!binary aGVsbG8=
  nested: {days: [2024-01-02, !!binary aGk=]}
steps:
  show:
    run: formsteps.show
    inputs:
      values: ["${params.n}", "${params.d}", "${params.dt}", "${params.b}", "${params.nested}"]
"""
SHOWN: dict[str, dict[str, Any]] = {
    "toml": {
        "n": 1,
        "d": "2024-01-01",
        "t": "07:30:00",
        "dt": "2024-01-01T10:00:00+00:00",
        "nested": {"days": ["2024-01-02"], "at": {"t": "08:15:00"}},
    },
    "yaml": {
        "n": 1,
        "d": "2024-01-01",
        "dt": "2024-01-01T10:00:00",
        "b": "aGVsbG8=",
        "nested": {"days": ["2024-01-02", "aGk="]},
    },
}


def _cli(config: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return pipeflow_in(config.parent, *arguments)


@pytest.fixture(params=["toml", "yaml"])
def config(request: pytest.FixtureRequest, make_project: ProjectFactory) -> Path:
    kind = request.param
    return make_project(TOML if kind == "toml" else YAML, name=f"pipeline.{kind}", formsteps=STEPS)


def _kind(config: Path) -> str:
    return config.suffix.lstrip(".")


def test_reports_and_the_history_show_the_json_form(config: Path) -> None:
    shown = SHOWN[_kind(config)]
    done = _cli(config, "run", config.name, "-q", "--json", "r.json", "--junit", "r.xml")
    assert done.returncode == 0, done.stderr
    assert json.loads((config.parent / "r.json").read_text())["params"] == shown
    junit = (config.parent / "r.xml").read_text()
    found = re.search(r'name="pipeflow.params" value="([^"]*)"', junit)
    assert found is not None, junit
    assert json.loads(unescape(found.group(1))) == shown
    with open_history(config.parent) as history:
        (recorded,) = history.runs(pipeline="forms")
    assert recorded.params == shown
    show = _cli(config, "runs", "show", recorded.id)
    assert show.returncode == 0, show.stderr
    assert '  d: "2024-01-01"' in show.stdout
    assert "datetime" not in show.stdout
    assert "b'" not in show.stdout
    lines = _cli(config, "run", config.name, "--log-format", "json", "--no-cache")
    assert lines.returncode == 0, lines.stderr
    started = next(json.loads(line) for line in lines.stdout.splitlines() if '"RunStarted"' in line)
    assert started["params"] == shown


def test_a_param_that_did_not_change_is_never_said_changed(config: Path) -> None:
    assert _cli(config, "run", config.name, "-q").returncode == 0
    for arguments in (
        ["status", config.name, "--param", "n=5"],
        ["run", config.name, "--param", "n=5", "--frozen"],
        ["run", config.name, "--param", "n=5", "--dry-run"],
    ):
        done = _cli(config, *arguments)
        said = done.stdout + done.stderr
        assert "param n changed (1 -> 5)" in said, (arguments, said)
        for name in SHOWN[_kind(config)]:
            assert f"param {name} changed" not in said or name == "n", (arguments, said)
    for arguments in (["status", config.name], ["run", config.name, "--frozen"]):
        done = _cli(config, *arguments)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "changed" not in done.stdout + done.stderr
    decisions = pipeflow.load(config).plan({"n": 5})
    assert [d.reason for d in decisions] == ["param n changed (1 -> 5)"]


def test_a_changed_date_is_said_changed_in_its_json_form(config: Path) -> None:
    assert _cli(config, "run", config.name, "-q").returncode == 0
    done = _cli(config, "status", config.name, "--param", "d=2024-02-01")
    assert "param d changed ('2024-01-01' -> '2024-02-01')" in done.stdout, done.stdout
