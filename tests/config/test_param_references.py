"""`${env.*}` and `${run.*}` in param defaults: typed, validated, and never stored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import pipeflow
from tests.conftest import ProjectFactory

STEPS = """
def echo(value):
    return value
"""


def config(params: str) -> str:
    return f"""
        name: demo
        params: {params}
        results: {{root: out}}
        steps:
          show:
            run: mysteps.echo
            inputs: {{value: "${{params.value}}"}}
            result: {{target: v.json}}
        """


def test_env_default_is_read_as_a_yaml_scalar(
    make_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PIPEFLOW_TEST_SEED", raising=False)
    path = make_project(config('{value: "${env.PIPEFLOW_TEST_SEED:-3}"}'), mysteps=STEPS)
    assert pipeflow.load(path).run().output("show") == 3
    monkeypatch.setenv("PIPEFLOW_TEST_SEED", "11")
    assert pipeflow.load(path).run().output("show") == 11
    # The default's type comes from the environment's value, so an int override fits it.
    assert pipeflow.load(path).run(params={"value": 5}).output("show") == 5


def test_unset_env_without_default_is_a_located_problem(
    make_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PIPEFLOW_TEST_TOKEN", raising=False)
    path = make_project(config('{value: "${env.PIPEFLOW_TEST_TOKEN}"}'), mysteps=STEPS)
    with pytest.raises(pipeflow.ConfigError) as caught:
        pipeflow.load(path)
    [problem] = caught.value.problems
    assert "`PIPEFLOW_TEST_TOKEN` is not set" in problem.message
    assert problem.line == 3
    assert ":-VALUE" in (problem.hint or "")


def test_secret_params_never_reach_the_manifest(
    make_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PIPEFLOW_TEST_TOKEN", "s3cr3t")
    path = make_project(config('{value: "${env.PIPEFLOW_TEST_TOKEN}"}'), mysteps=STEPS)
    run = pipeflow.load(path).run()
    assert run.output("show") == "s3cr3t"
    stored = [p.read_text() for p in (tmp_path / "out" / ".pipeflow").rglob("*.json")]
    assert stored
    assert not any("s3cr3t" in text for text in stored)


def test_run_references_in_defaults_are_filled_per_run(make_project: ProjectFactory) -> None:
    path = make_project(config('{value: "out-${run.id}"}'), mysteps=STEPS)
    run = pipeflow.load(path).run()
    assert run.output("show") == f"out-{run.id}"


@pytest.mark.parametrize("value", ['"${params.other}"', '"${steps.show}"'])
def test_defaults_cannot_use_params_or_steps(make_project: ProjectFactory, value: str) -> None:
    path = make_project(config(f"{{value: {value}, other: 1}}"), mysteps=STEPS)
    with pytest.raises(pipeflow.ConfigError, match=r"may only use `\$\{env\.\*\}`"):
        pipeflow.load(path)


def test_bad_reference_in_a_default_is_a_problem_not_a_crash(make_project: ProjectFactory) -> None:
    path = make_project(config('{value: "${env.X"}'), mysteps=STEPS)
    with pytest.raises(pipeflow.ConfigError, match="unterminated"):
        pipeflow.load(path)


def test_manifest_records_consumed_params(make_project: ProjectFactory, tmp_path: Path) -> None:
    path = make_project(config("{value: 7}"), mysteps=STEPS)
    pipeflow.load(path).run()
    manifests = (tmp_path / "out" / ".pipeflow" / "manifests").rglob("*.json")
    [manifest] = [m for m in manifests if m.name != "latest.json"]
    assert json.loads(manifest.read_text())["params"] == {"value": 7}
