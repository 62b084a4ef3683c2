"""Every JSON text pipeflow writes is strict: no bare NaN or Infinity, whatever the value."""

from __future__ import annotations

import ast
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeflow.cli import cli
from pipeflow.model import jsontext
from pipeflow.model.events import RunFinished, RunStarted
from pipeflow.report.ci import RunReport, json_text
from pipeflow.report.junit import junit_xml
from tests.conftest import ProjectFactory

PACKAGE = Path(__file__).resolve().parents[2] / "pipeflow"
# Hash input that is never written anywhere: a NaN literal in a step's inputs keeps its key.
NOT_WRITTEN = {"cache/keys.py"}


def strict(text: str) -> object:
    def refuse(constant: str) -> object:
        raise AssertionError(f"a bare {constant} in JSON output")

    return json.loads(text, parse_constant=refuse)


def test_every_json_writer_in_the_package_is_strict() -> None:
    loose = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative in NOT_WRITTEN or relative == "model/jsontext.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                continue
            target = node.func.value
            writes = node.func.attr in ("dump", "dumps")
            if isinstance(target, ast.Name) and target.id == "json" and writes:
                names = {keyword.arg: keyword.value for keyword in node.keywords}
                value = names.get("allow_nan")
                if not (isinstance(value, ast.Constant) and value.value is False):
                    loose.append(f"{relative}:{node.lineno}")
    assert loose == [], "use pipeflow.model.jsontext.dumps"


@pytest.mark.parametrize(
    ("value", "shown"),
    [(float("nan"), "NaN"), (float("inf"), "Infinity"), (float("-inf"), "-Infinity")],
)
def test_non_finite_numbers_are_written_as_their_names(value: float, shown: str) -> None:
    assert strict(jsontext.dumps({"a": [1.5, value], "b": (value,)})) == {
        "a": [1.5, shown],
        "b": [shown],
    }


def test_a_run_report_with_a_non_finite_value_is_strict_json() -> None:
    """Params are refused when non-finite; should one reach a report anyway (an API caller's
    subscriber, an old history), the report stays strict JSON and says what the value was."""
    report = RunReport(config="pipeline.yaml")
    now = datetime.now(timezone.utc)
    report(RunStarted("r1", "demo", now, {"ratio": float("nan"), "cap": [float("inf")]}, ()))
    report(RunFinished("r1", "demo", True, 0.1, ()))
    document = report.document()
    parsed = strict(json_text(document))
    assert isinstance(parsed, dict)
    assert parsed["params"] == {"ratio": "NaN", "cap": ["Infinity"]}
    assert "NaN" in junit_xml(document)


def test_a_step_value_that_is_not_finite_never_reaches_a_json_file(
    make_project: ProjectFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A step's NaN is stored in a format that holds it; the --json report holds no values."""
    config = make_project(
        """
        name: nanny
        steps:
          scalar: {run: nans.scalar}
          listed: {run: nans.listed}
          mapped: {run: nans.mapped}
        """,
        nans="""
        def scalar():
            return float("nan")

        def listed():
            return [1.0, float("inf")]

        def mapped():
            return {"a": float("-inf")}
        """,
    )
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["run", str(config), "--json", "report.json"])
    assert result.exit_code == 0, result.output
    strict((tmp_path / "report.json").read_text())
    for path in tmp_path.rglob("*.json"):
        strict(path.read_text())
    result = CliRunner().invoke(cli, ["status", str(config), "--json"])
    strict(result.stdout)
