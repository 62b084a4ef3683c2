"""A sub-pipeline's steps say which of its params changed, as the steps of a pipeline do:
"param factor changed (2 -> 4)", not "input factor changed". The child's `${params.*}` are
filled in when it is inlined; the params each of its steps consumed are kept beside it
(`Origin.params`), shown as the child shows them: a param the environment gives, the child's
own or one the parent passes it, is `***` and its value is never stored in a manifest."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

import pipeflow
from pipeflow.cli import cli
from pipeflow.model.run import Action
from tests.cache.test_accept import CHILD, CHILD_STEPS
from tests.cache.test_caching import edit

# The ways a child's param gets its value: a literal in the step's `params:`, a param of the
# parent passed on (the run's `params=` changing it), and a text that holds one.
PARENTS = {
    "a literal": ("steps:\n  one: {pipeline: child.yaml, params: {factor: 2}}\n", {}, {}),
    "a param of the parent": (
        'params: {f: 2}\nsteps:\n  one: {pipeline: child.yaml, params: {factor: "${params.f}"}}\n',
        {},
        {"f": 4},
    ),
}


def write(tmp_path: Path, parent: str, child: str = CHILD) -> Path:
    (tmp_path / "childsteps.py").write_text(textwrap.dedent(CHILD_STEPS))
    (tmp_path / "child.yaml").write_text(textwrap.dedent(child))
    config = tmp_path / "parent.yaml"
    config.write_text("name: parent\n" + parent)
    return config


def actions(config: Path, **params: object) -> dict[str, Action]:
    pipe = pipeflow.load(config, params=params or None)
    return {decision.step: decision.action for decision in pipe.status()}


def reasons(config: Path, **params: object) -> dict[str, str]:
    pipe = pipeflow.load(config, params=params or None)
    return {decision.step: decision.reason for decision in pipe.status()}


@pytest.mark.parametrize("way", PARENTS)
def test_a_changed_child_param_is_said_to_be_a_param_with_both_values(
    tmp_path: Path, way: str
) -> None:
    parent, first, second = PARENTS[way]
    config = write(tmp_path, parent)
    assert pipeflow.load(config, params=first or None).run().ok
    if not second:
        edit(config, "factor: 2}", "factor: 4}")
    said = "param factor changed (2 -> 4)"

    why = reasons(config, **second)

    assert why["one/scaled"] == said
    assert why["one/total"] == "`one/scaled` runs first"
    # Every channel that shows a reason: `status`, `status --json`, a refused `--frozen` run.
    options = [f"--param={key}={value}" for key, value in second.items()]
    shown = CliRunner().invoke(cli, ["status", str(config), *options])
    assert shown.exit_code == 0, shown.output
    assert said in shown.output
    shown = CliRunner().invoke(cli, ["status", str(config), "--json", *options])
    rows = {row["step"]: row for row in json.loads(shown.output)["steps"]}
    assert rows["one/scaled"]["reason"] == said
    refused = CliRunner().invoke(cli, ["run", str(config), "--frozen", *options])
    assert refused.exit_code == 3, refused.output
    assert f"one/scaled: {said}" in refused.output


def test_the_reason_is_the_same_when_the_child_runs_alone(tmp_path: Path) -> None:
    """One cache for the child alone and inlined: a result the child stored alone is
    explained to the parent by the same param name, and the other way round. Of results as
    far from today's, the one this instance stored is the one compared with."""
    config = write(tmp_path, PARENTS["a literal"][0])
    assert pipeflow.load(tmp_path / "child.yaml", params={"factor": 3}).run().ok

    assert reasons(config)["one/scaled"] == "param factor changed (3 -> 2)"
    assert pipeflow.load(config).run().ok
    assert reasons(tmp_path / "child.yaml", factor=5)["scaled"] == ("param factor changed (3 -> 5)")
    edit(config, "factor: 2}", "factor: 5}")
    assert reasons(config)["one/scaled"] == "param factor changed (2 -> 5)"


def test_a_param_in_a_nested_child_is_named_by_its_own_pipeline(tmp_path: Path) -> None:
    config = write(tmp_path, "steps:\n  outer: {pipeline: middle.yaml, params: {g: 2}}\n")
    (tmp_path / "middle.yaml").write_text(
        "name: middle\nparams: {g: 1}\nsteps:\n"
        '  inner: {pipeline: child.yaml, params: {factor: "${params.g}"}}\n'
    )
    assert pipeflow.load(config).run().ok
    edit(config, "g: 2}", "g: 7}")

    assert reasons(config)["outer/inner/scaled"] == "param factor changed (2 -> 7)"


def test_a_target_param_of_a_child_is_said_too(tmp_path: Path) -> None:
    child = CHILD.replace(
        '"${params.factor}"}}',
        '"${params.factor}"}, result: {target: "scaled-{params.version}.json"}}',
    ).replace("params: {factor: 1}", "params: {factor: 1, version: v1}")
    parent = "steps:\n  one: {pipeline: child.yaml, params: {version: v1}}\n"
    config = write(tmp_path, parent, child)
    assert pipeflow.load(config).run().ok
    edit(config, "version: v1}", "version: v2}")

    assert reasons(config)["one/scaled"] == "param version changed ('v1' -> 'v2')"


@pytest.mark.parametrize("target", ["scaled-{params.version}.json", "{pipeline}/{step}.json"])
def test_a_child_step_with_a_target_shares_its_results_with_the_child_alone(
    tmp_path: Path, target: str
) -> None:
    """Its target is filled in when it is inlined; its key is still the one the child's step
    has when the child runs alone, and the other way round."""
    child = CHILD.replace(
        '"${params.factor}"}}', f'"${{params.factor}}"}}, result: {{target: "{target}"}}}}'
    ).replace("params: {factor: 1}", "params: {factor: 1, version: v1}")
    parent = "steps:\n  one: {pipeline: child.yaml, params: {version: v2}}\n"
    config = write(tmp_path, parent, child)
    assert pipeflow.load(tmp_path / "child.yaml").run().ok
    edit(config, "version: v2}", "version: v1}")

    assert actions(config) == dict.fromkeys(["one/data", "one/scaled", "one/total"], CACHED)
    edit(config, "version: v1}", "version: v3}")
    assert pipeflow.load(config).run().ok
    assert actions(tmp_path / "child.yaml", version="v3")["scaled"] is CACHED


CACHED = Action.CACHED
SECRET = "424242"  # what the environment gives; never in a manifest, never shown


@pytest.mark.parametrize("whose", ["the child's own", "passed on by the parent"])
def test_a_child_param_from_the_environment_is_never_shown_or_stored(
    tmp_path: Path, whose: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FACTOR", SECRET)
    if whose == "the child's own":
        child = CHILD.replace("params: {factor: 1}", 'params: {factor: "${env.FACTOR}"}')
        config = write(tmp_path, "steps:\n  one: {pipeline: child.yaml}\n", child)
    else:
        config = write(
            tmp_path,
            'params: {f: "${env.FACTOR}"}\n'
            'steps:\n  one: {pipeline: child.yaml, params: {factor: "${params.f}"}}\n',
        )
    child_steps = tmp_path / "childsteps.py"
    child_steps.write_text(child_steps.read_text().replace("v * factor", "v + int(factor) % 7"))
    assert pipeflow.load(config).run().ok
    monkeypatch.setenv("FACTOR", "777777")

    why = reasons(config)

    # As a pipeline's own step says it (neither value may be shown, so no change is seen in
    # the params): the input that took it changed.
    assert why["one/scaled"] == "input factor changed"
    assert SECRET not in str(why)
    assert "777777" not in str(why)
    stored = b"".join(path.read_bytes() for path in tmp_path.rglob("*") if path.is_file())
    assert SECRET.encode() not in stored
    assert b'"params":{"factor":"***"}' in stored.replace(b" ", b"")  # recorded, masked


def test_a_sub_pipeline_that_stores_nothing_is_named_as_the_reason(tmp_path: Path) -> None:
    """Its steps stored nothing because its config says so, not because of a `result: false`
    that neither config has: `status` and `accept` say so."""
    child = CHILD.replace("name: child\n", "name: child\nresults: {persist: false}\n")
    config = write(tmp_path, PARENTS["a literal"][0], child)
    said = "nothing sub-pipeline `child` runs is stored (`results: {persist: false}` in its config)"
    assert pipeflow.load(config).run().ok

    assert set(reasons(config).values()) == {said}
    refused = CliRunner().invoke(cli, ["accept", str(config), "one/scaled"])
    assert refused.exit_code == 2, refused.output
    assert f"step `one/scaled` stores no result ({said}): nothing to accept" in refused.output
    assert "result: false" not in refused.output
