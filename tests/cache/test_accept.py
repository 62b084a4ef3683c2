"""`pipeflow accept STEP` declares a change of a step's *code* harmless: it re-stamps the stored
result that this change alone separates from today's key, one computed from the same params,
literals, input files and upstream results. Before, it re-stamped the step's newest result
whatever it was computed from: after runs with two values of a param, or with two instances of
one sub-pipeline, `accept` made the key of one serve the other's value."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

import pipeflow
from pipeflow.cli import cli
from pipeflow.errors import PipeflowError
from pipeflow.model.run import Action
from tests.cache.test_caching import calls, edit, make_project

HARMLESS = (
    "return [scale(v, factor) for v in values]",
    "return [scale(w, factor) for w in values]",
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """`read` -> `double` (by `${params.factor}`, 2) -> `total`, and `parity`."""
    return make_project(tmp_path)


def actions(project: Path, **params: object) -> dict[str, Action]:
    pipe = pipeflow.load(project / "pipeline.yaml", params=params or None)
    return {decision.step: decision.action for decision in pipe.status()}


@pytest.mark.parametrize("store", ["folder", "object store"])
def test_accept_takes_the_result_of_today_s_params_not_the_newest(
    project: Path, store: str
) -> None:
    if store == "object store":  # memory:// takes the object-store path (no journal)
        edit(project / "pipeline.yaml", "root: out", f"root: memory://accept-{project.name}")
    pipeflow.load(project / "pipeline.yaml").run()  # factor 2: total 12
    pipeflow.load(project / "pipeline.yaml", params={"factor": 5}).run()  # the newest: 30
    calls(project)
    edit(project / "mysteps.py", *HARMLESS)
    assert actions(project)["double"] is Action.RUN

    stamped = pipeflow.load(project / "pipeline.yaml").accept("double")

    assert stamped.params == {"factor": 2}
    assert actions(project) == dict.fromkeys(["read", "double", "total", "parity"], Action.CACHED)
    run = pipeflow.load(project / "pipeline.yaml").run()
    assert calls(project) == []
    assert run.output("double") == [2, 4, 6]
    assert run.output("total") == 12
    # The other param's result is still its own, and is accepted on its own.
    assert actions(project, factor=5)["double"] is Action.RUN
    pipeflow.load(project / "pipeline.yaml", params={"factor": 5}).accept("double")
    run = pipeflow.load(project / "pipeline.yaml", params={"factor": 5}).run()
    assert calls(project) == []
    assert run.output("total") == 30


@pytest.mark.parametrize(
    ("change", "step", "reason"),
    [
        ("param", "double", "param factor changed (2 -> 7)"),
        ("file", "read", "input file data/numbers.txt changed"),
        ("upstream", "double", "the result of `read` changed"),
    ],
)
def test_accept_refuses_when_more_than_the_code_changed(
    project: Path, change: str, step: str, reason: str
) -> None:
    pipeflow.load(project / "pipeline.yaml").run()
    calls(project)
    if step == "read":
        edit(project / "mysteps.py", "int(line) for line in", "int(text) for text in")
    else:
        edit(project / "mysteps.py", *HARMLESS)
    params: dict[str, object] | None = None
    if change == "param":
        params = {"factor": 7}
    elif change == "file":
        (project / "data" / "numbers.txt").write_text("1\n2\n4\n")
    else:  # `read` gives another list; it runs first, as `accept` requires
        edit(project / "mysteps.py", "read_text().split()]", "read_text().split()][:2]")
        pipeflow.load(project / "pipeline.yaml").run(only=["read"])
        calls(project)
    before = actions(project, **(params or {}))

    with pytest.raises(PipeflowError) as raised:
        pipeflow.load(project / "pipeline.yaml", params=params).accept(step)

    message = str(raised.value)
    assert f"cannot accept `{step}`" in message, message
    assert reason in message, message
    assert "`accept` declares a change of its code harmless" in message, message
    assert f"run `{step}`" in message, message
    assert actions(project, **(params or {})) == before  # nothing was stamped
    run = pipeflow.load(project / "pipeline.yaml", params=params).run()
    assert run.ok
    assert step in calls(project)


def test_accept_on_the_command_line_says_what_it_took_and_why_it_refuses(project: Path) -> None:
    config = str(project / "pipeline.yaml")
    pipeflow.load(config).run()
    edit(project / "mysteps.py", *HARMLESS)

    refused = CliRunner().invoke(cli, ["accept", config, "double", "--param", "factor=3"])
    assert refused.exit_code == 1, refused.output
    assert "cannot accept `double`" in refused.output
    assert "param factor changed (2 -> 3)" in refused.output
    assert "Traceback" not in refused.output

    taken = CliRunner().invoke(cli, ["accept", config, "double"])
    assert taken.exit_code == 0, taken.output
    assert "accepted: the result of `double` stored by run" in taken.output
    assert "now counts for its current code" in taken.output


CHILD_STEPS = """
def make(n):
    return list(range(n))


def scale(values, factor):
    return [v * factor for v in values]


def total(values):
    return sum(values)
"""

CHILD = """
name: child
params: {factor: 1}
steps:
  data: {run: childsteps.make, inputs: {n: 4}}
  scaled: {run: childsteps.scale, inputs: {values: "${steps.data}", factor: "${params.factor}"}}
  total: {run: childsteps.total, inputs: {values: "${steps.scaled}"}}
outputs: {total: "${steps.total}"}
"""

PARENT = """
name: parent
steps:
  one: {pipeline: child.yaml, params: {factor: 2}}
  two: {pipeline: child.yaml, params: {factor: 3}}
"""


def test_accept_in_one_instance_of_a_sub_pipeline_takes_that_instance_s_result(
    tmp_path: Path,
) -> None:
    """Both instances store under the child's names (`child/total`): the newest of them is
    the other instance's as often as not."""
    (tmp_path / "childsteps.py").write_text(textwrap.dedent(CHILD_STEPS))
    (tmp_path / "child.yaml").write_text(textwrap.dedent(CHILD))
    (tmp_path / "parent.yaml").write_text(textwrap.dedent(PARENT))
    first = pipeflow.load(tmp_path / "parent.yaml").run()
    assert (first.output("one/total"), first.output("two/total")) == (12, 18)
    edit(tmp_path / "childsteps.py", "return sum(values)", "return sum(v for v in values)")

    for name in ("one/total", "two/total"):
        pipeflow.load(tmp_path / "parent.yaml").accept(name)

    again = pipeflow.load(tmp_path / "parent.yaml").run()
    assert {outcome.state.value for outcome in again.outcomes.values()} == {"cached"}
    assert (again.output("one/total"), again.output("two/total")) == (12, 18)


def test_accept_of_a_foreach_step_says_it_does_not_apply(tmp_path: Path) -> None:
    """Each item has a result of its own. Before, `accept` stamped the newest item's result
    with the whole step's key, said "accepted", and every item ran again."""
    (tmp_path / "fansteps.py").write_text("def square(x):\n    return x * x\n")
    (tmp_path / "fan.yaml").write_text(
        "name: fan\nsteps:\n  sq: {run: fansteps.square, foreach: [1, 2, 3], as: x}\n"
    )
    pipeflow.load(tmp_path / "fan.yaml").run()
    edit(tmp_path / "fansteps.py", "return x * x", "return x**2")

    refused = CliRunner().invoke(cli, ["accept", str(tmp_path / "fan.yaml"), "sq"])

    assert refused.exit_code == 1, refused.output
    assert "cannot accept `sq`: it runs once per item (`foreach`)" in refused.output
    assert "Traceback" not in refused.output


def test_status_explains_an_instance_of_a_sub_pipeline_by_its_own_last_result(
    tmp_path: Path,
) -> None:
    """Both instances store under the child's names: compared with the newest result of
    `child/scaled`, which is `two`'s, `one/scaled` would read "input factor changed" though
    nothing of `one` changed but the code."""
    (tmp_path / "childsteps.py").write_text(textwrap.dedent(CHILD_STEPS))
    (tmp_path / "child.yaml").write_text(textwrap.dedent(CHILD))
    (tmp_path / "parent.yaml").write_text(textwrap.dedent(PARENT))
    assert pipeflow.load(tmp_path / "parent.yaml").run().ok
    edit(
        tmp_path / "childsteps.py",
        "return [v * factor for v in values]",
        "return [factor * v for v in values]",
    )

    reasons = {d.step: d.reason for d in pipeflow.load(tmp_path / "parent.yaml").status()}

    assert reasons["one/scaled"] == "code of childsteps.py changed (`scale`)"
    assert reasons["two/scaled"] == "code of childsteps.py changed (`scale`)"
