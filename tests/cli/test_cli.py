"""The command line through click's CliRunner: exit codes, messages, outputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeflow import __version__
from pipeflow.cli import cli
from tests.conftest import ProjectFactory

STEPS = """
def numbers(count: int) -> list:
    print("making", count)
    return list(range(count))

def total(values: list) -> int:
    return sum(values)

def boom(values: list) -> int:
    raise ValueError("bad values")
"""

CONFIG = """
name: demo
params: {count: 3}
results: {root: out}
steps:
  numbers: {run: mysteps.numbers, inputs: {count: "${params.count}"}, result: {target: n.json}}
  total: {run: mysteps.total, inputs: {values: "${steps.numbers}"}, result: {target: t.json}}
"""


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def test_version() -> None:
    code, output = invoke("--version")
    assert code == 0
    assert __version__ in output


def test_run_prints_one_line_per_event_and_step_output(make_project: ProjectFactory) -> None:
    config = make_project(CONFIG, mysteps=STEPS)
    code, output = invoke("run", str(config))
    assert code == 0, output
    assert "numbers: started" in output
    assert "numbers | making 3" in output
    assert "total: done in" in output
    assert "succeeded" in output
    assert json.loads((config.parent / "out" / "t.json").read_text()) == 3


def test_run_with_param_and_param_file(make_project: ProjectFactory, tmp_path: Path) -> None:
    config = make_project(CONFIG, mysteps=STEPS)
    (tmp_path / "p.yaml").write_text("count: 4\n")
    code, output = invoke("run", str(config), "--param-file", str(tmp_path / "p.yaml"))
    assert code == 0, output
    assert json.loads((tmp_path / "out" / "t.json").read_text()) == 6
    code, output = invoke(
        "run", str(config), "--param-file", str(tmp_path / "p.yaml"), "--param", "count=5"
    )
    assert code == 0, output
    assert json.loads((tmp_path / "out" / "t.json").read_text()) == 10


def test_failed_step_exits_1_naming_it(make_project: ProjectFactory) -> None:
    config = make_project(
        CONFIG + '  broken: {run: mysteps.boom, inputs: {values: "${steps.numbers}"}}\n',
        mysteps=STEPS,
    )
    code, output = invoke("run", str(config))
    assert code == 1
    assert "broken: FAILED: ValueError: bad values" in output
    assert 'raise ValueError("bad values")' in output  # the compact traceback
    assert "step `broken` failed" in output


def test_every_failed_step_is_named_however_it_failed(make_project: ProjectFactory) -> None:
    """Raised, or given a part its upstream value does not have: each is a failed step."""
    config = make_project(
        CONFIG
        + '  broken: {run: mysteps.boom, inputs: {values: "${steps.numbers}"}}\n'
        + '  unfed: {run: mysteps.boom, inputs: {values: "${steps.numbers_dict.nope}"}}\n'
        + "  numbers_dict: {run: mysteps.as_dict}\n",
        mysteps=STEPS + "\n\ndef as_dict():\n    return {'a': 1}\n",
    )
    code, output = invoke("run", str(config), "--keep-going")
    assert code == 1
    assert "returned a dict with no key `nope`" in output
    assert "failed: steps `broken`, `unfed` failed" in output or (
        "failed: steps `unfed`, `broken` failed" in output
    )
    assert "raised" not in output.splitlines()[-1]


def test_invalid_config_exits_2_and_writes_nothing(make_project: ProjectFactory) -> None:
    config = make_project(CONFIG.replace("inputs: {count", "inpts: {count"), mysteps=STEPS)
    code, output = invoke("run", str(config))
    assert code == 2
    assert "did you mean `inputs`?" in output
    assert "nothing was run" in output
    assert not (config.parent / "out").exists()


def test_unknown_param_and_bad_param_option(make_project: ProjectFactory) -> None:
    config = make_project(CONFIG, mysteps=STEPS)
    code, output = invoke("run", str(config), "--param", "cont=3")
    assert code == 2
    assert "unknown param `cont`" in output
    assert "did you mean `count`?" in output
    code, output = invoke("run", str(config), "--param", "count")
    assert code == 2
    assert "KEY=VALUE" in output
    code, output = invoke("run", str(config), "--param", "count=many")
    assert code == 2
    assert "param `count` is an int (3) in the defaults; got a string ('many')" in output


def test_allow_extra_params(make_project: ProjectFactory) -> None:
    config = make_project(CONFIG, mysteps=STEPS)
    code, output = invoke("run", str(config), "--param", "extra=1", "--allow-extra-params")
    assert code == 0, output


def test_missing_config_and_directory(tmp_path: Path) -> None:
    code, output = invoke("run", str(tmp_path / "nope.yaml"))
    assert code == 2
    assert "not found" in output
    code, output = invoke("validate", str(tmp_path))
    assert code == 2
    assert "directory" in output


def test_missing_param_file(make_project: ProjectFactory, tmp_path: Path) -> None:
    config = make_project(CONFIG, mysteps=STEPS)
    code, output = invoke("run", str(config), "--param-file", str(tmp_path / "none.json"))
    assert code == 2
    assert "none.json" in output


def test_dry_run_prints_the_plan_and_runs_nothing(make_project: ProjectFactory) -> None:
    config = make_project(CONFIG, mysteps=STEPS)
    code, output = invoke("run", str(config), "--dry-run")
    assert code == 0, output
    assert "numbers" in output
    assert "run" in output
    assert "making" not in output
    assert not (config.parent / "out").exists()


def test_quiet_shows_only_the_summary(make_project: ProjectFactory) -> None:
    config = make_project(CONFIG, mysteps=STEPS)
    code, output = invoke("run", str(config), "-q")
    assert code == 0
    assert output.strip().splitlines()[-1].startswith("run ")
    assert "started" not in output


@pytest.mark.parametrize(
    "flags", [["-v", "-q"], ["-q", "-v"], ["-vv", "--quiet"], ["--verbose", "-q"]]
)
def test_verbose_and_quiet_together_are_a_usage_error(
    make_project: ProjectFactory, flags: list[str]
) -> None:
    """Before, -q won without a word: a CI job that added -v to see more saw less."""
    config = make_project(CONFIG, mysteps=STEPS)
    code, output = invoke("run", str(config), *flags)
    assert code == 2, output
    assert "-v asks for more detail and -q for less: they cannot go together" in output
    assert "making" not in output  # nothing ran
    assert not (config.parent / "out").exists()


def test_validate_text_and_json(make_project: ProjectFactory) -> None:
    config = make_project(CONFIG, mysteps=STEPS)
    code, output = invoke("validate", str(config))
    assert code == 0
    assert "is valid (2 steps)" in output
    code, output = invoke("validate", str(config), "--format", "json")
    assert code == 0
    assert json.loads(output)["valid"] is True
    bad = make_project(CONFIG.replace("mysteps.total", "mysteps.totl"), name="bad.yaml")
    code, output = invoke("validate", str(bad), "--format", "json")
    assert code == 2
    report = json.loads(output)
    assert report["valid"] is False
    [problem] = report["problems"]
    assert problem["line"] == 7
    assert problem["path"] == "steps.total.run"
    assert "did you mean `mysteps.total`?" in problem["hint"]


def test_schema_prints_json() -> None:
    code, output = invoke("schema")
    assert code == 0
    schema = json.loads(output)
    assert schema["$schema"].endswith("2020-12/schema")
    assert "steps" in schema["properties"]


def test_graph_formats(make_project: ProjectFactory, tmp_path: Path) -> None:
    config = make_project(CONFIG, mysteps=STEPS)
    code, output = invoke("graph", str(config), "--format", "mermaid")
    assert code == 0
    assert "numbers --> total" in output
    code, output = invoke("graph", str(config), "--format", "dot")
    assert '"numbers" -> "total";' in output
    code, output = invoke("graph", str(config))
    assert "total    <- numbers" in output or "total  <- numbers" in output
    code, output = invoke("graph", str(config), "--format", "dot", "-o", str(tmp_path / "g.dot"))
    assert code == 0
    assert (tmp_path / "g.dot").read_text().startswith("digraph")
