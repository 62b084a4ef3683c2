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

    (stamped,) = pipeflow.load(project / "pipeline.yaml").accept("double").stamped

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
    assert refused.exit_code == 3, refused.output
    assert "cannot accept `double`" in refused.output
    assert "param factor changed (2 -> 3)" in refused.output
    assert "Traceback" not in refused.output

    taken = CliRunner().invoke(cli, ["accept", config, "double"])
    assert taken.exit_code == 0, taken.output
    assert "accepted: the result of `double` stored by run" in taken.output
    assert "now counts for its current code" in taken.output

    # Accepted once, it is current: a second accept says so and writes nothing.
    before = _stored_files(project)
    again = CliRunner().invoke(cli, ["accept", config, "double"])
    assert again.exit_code == 0, again.output
    assert "`double` is up to date: its result stored by run" in again.output
    assert "nothing was stamped" in again.output
    assert pipeflow.load(config).accept("double").current == 1
    assert _stored_files(project) == before


def _stored_files(project: Path) -> dict[str, tuple[int, int]]:
    """Every file of the results stores' `.pipeflow/` folders: (size, mtime)."""
    found = {}
    for path in project.rglob("*"):
        if path.is_file() and ".pipeflow" in path.parts and "runs.db" not in path.name:
            found[str(path)] = (path.stat().st_size, path.stat().st_mtime_ns)
    assert found
    return found


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


FAN = """
name: fan
params: {xs: [0, 1, 2], n: 3}
results: {root: ROOT}
steps:
  items: {run: fansteps.items, inputs: {n: "${params.n}"}}
  sq: {run: fansteps.square, FOREACH, as: x}
  total: {run: fansteps.total, inputs: {values: "${steps.sq}"}}
"""

FAN_STEPS = """
from pathlib import Path

LOG = Path(__file__).with_name("calls.log")


def items(n):
    return list(range(n))


def square(x):
    with LOG.open("a") as log:
        log.write(f"{x}\\n")
    return x * x


def total(values):
    return sum(values)
"""

FOREACH = {
    "a literal list": "foreach: [0, 1, 2]",
    "a param": 'foreach: "${params.xs}"',
    "a step's value": 'foreach: "${steps.items}"',
}


def fan_project(folder: Path, foreach: str, root: str = "out") -> Path:
    """`sq` squares three items (0, 1, 2), run once; then its code changes harmlessly."""
    (folder / "fansteps.py").write_text(textwrap.dedent(FAN_STEPS))
    config = folder / "fan.yaml"
    config.write_text(textwrap.dedent(FAN).replace("FOREACH", foreach).replace("ROOT", root))
    assert pipeflow.load(config).run().ok
    (folder / "calls.log").unlink()
    edit(folder / "fansteps.py", "return x * x", "return x**2")
    return config


@pytest.mark.parametrize("store", ["folder", "object store"])
@pytest.mark.parametrize("foreach", FOREACH.values(), ids=FOREACH)
def test_accept_of_a_foreach_step_stamps_each_item_s_result(
    tmp_path: Path, foreach: str, store: str
) -> None:
    """Each item has a result of its own, and each is taken as for a step: one computed from
    the item's current inputs. Before, `accept` refused a `foreach` step (and before that,
    stamped the newest item's result with the whole step's key, so every item ran again)."""
    root = "out" if store == "folder" else f"memory://fan-{tmp_path.name}"
    config = fan_project(tmp_path, foreach, root)
    assert {d.step: d.action for d in pipeflow.load(config).status()}["sq"] is Action.RUN

    accepted = CliRunner().invoke(cli, ["accept", str(config), "sq"])

    assert accepted.exit_code == 0, accepted.output
    assert "accepted: the results of the 3 items of `sq`" in accepted.output
    assert {d.action for d in pipeflow.load(config).status()} == {Action.CACHED}
    run = pipeflow.load(config).run()
    assert not (tmp_path / "calls.log").exists()
    assert (run.output("sq"), run.output("total")) == ([0, 1, 4], 5)


def test_accept_of_a_foreach_step_stamps_the_items_it_can_and_names_the_others(
    tmp_path: Path,
) -> None:
    """An item with no result from its current inputs (the list grew) runs; the others are
    stamped."""
    config = fan_project(tmp_path, FOREACH["a param"])
    grown = {"xs": [0, 1, 2, 7]}

    accepted = CliRunner().invoke(cli, ["accept", str(config), "sq", "--param", "xs=[0, 1, 2, 7]"])
    assert accepted.exit_code == 0, accepted.output
    assert "the results of 3 of the 4 items of `sq`" in accepted.output
    assert "1 item has no result computed from its current inputs and runs: 7" in accepted.output
    pipe = pipeflow.load(config, params=grown)
    acceptance = pipe.accept("sq")  # again: each already counts, nothing is written
    assert len(acceptance.stamped) == 3
    assert acceptance.current == 3
    assert acceptance.unmatched == (7,)
    run = pipeflow.load(config, params=grown).run()
    assert (tmp_path / "calls.log").read_text().split() == ["7"]
    assert run.output("sq") == [0, 1, 4, 49]


@pytest.mark.parametrize("foreach", FOREACH.values(), ids=FOREACH)
def test_accept_of_a_foreach_step_already_accepted_says_nothing_was_stamped(
    tmp_path: Path, foreach: str
) -> None:
    """As for a step without `foreach`: items whose results already count for today's code
    are not said accepted. Before, a second `accept` said "accepted: the results of the 3
    items" again though it wrote nothing."""
    config = fan_project(tmp_path, foreach)
    assert CliRunner().invoke(cli, ["accept", str(config), "sq"]).exit_code == 0

    again = CliRunner().invoke(cli, ["accept", str(config), "sq"])

    assert again.exit_code == 0, again.output
    assert "accepted" not in again.output
    assert (
        "`sq` is up to date: the results of its 3 items already count for its current code; "
        "nothing was stamped"
    ) in again.output
    grown = CliRunner().invoke(cli, ["accept", str(config), "sq", "--param", "xs=[0, 1, 2, 7]"])
    if "params.xs" in foreach:
        assert "accepted" not in grown.output
        assert "3 of its 4 items already count for its current code" in grown.output
        runs = "1 item has no result computed from its current inputs and runs: 7"
        assert runs in grown.output


def test_accept_of_a_foreach_step_with_no_item_to_take_stamps_nothing(tmp_path: Path) -> None:
    config = fan_project(tmp_path, FOREACH["a param"])

    refused = CliRunner().invoke(cli, ["accept", str(config), "sq", "--param", "xs=[5, 6]"])

    assert refused.exit_code == 3, refused.output
    assert "cannot accept `sq`: none of its 2 items has a stored result computed from" in (
        refused.output
    )
    assert "Traceback" not in refused.output
    assert {d.step: d.action for d in pipeflow.load(config).status()}["sq"] is Action.RUN


def test_accept_of_a_foreach_over_a_step_that_would_run_is_refused(tmp_path: Path) -> None:
    """With n=4, `items` has no result: the items `sq` would get are only known once it ran."""
    config = fan_project(tmp_path, FOREACH["a step's value"])
    edit(tmp_path / "fansteps.py", "return list(range(n))", "return list(range(0, n))")

    refused = CliRunner().invoke(cli, ["accept", str(config), "sq"])

    assert refused.exit_code == 3, refused.output
    assert "cannot accept `sq`: the results it takes from `items` are not up to date" in (
        refused.output
    )
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


def test_status_explains_a_sub_pipeline_step_taking_only_upstream_values_by_its_own_result(
    tmp_path: Path,
) -> None:
    """`total` has no params or literals of its own, so both instances' results have "the
    same values": the one to compare with is the one whose upstream results are this
    instance's, else `one/total` read "the result of `scaled` changed" (it had not)."""
    (tmp_path / "childsteps.py").write_text(textwrap.dedent(CHILD_STEPS))
    (tmp_path / "child.yaml").write_text(textwrap.dedent(CHILD))
    (tmp_path / "parent.yaml").write_text(textwrap.dedent(PARENT))
    assert pipeflow.load(tmp_path / "parent.yaml").run().ok
    edit(tmp_path / "childsteps.py", "return sum(values)", "return sum(v for v in values)")

    reasons = {d.step: d.reason for d in pipeflow.load(tmp_path / "parent.yaml").status()}

    assert reasons["one/total"] == "code of childsteps.py changed (`total`)"
    assert reasons["two/total"] == "code of childsteps.py changed (`total`)"
    # A real change upstream is still said: `one` now scales by 4, a factor no result has.
    edit(tmp_path / "parent.yaml", "factor: 2}", "factor: 4}")
    reasons = {d.step: d.reason for d in pipeflow.load(tmp_path / "parent.yaml").status()}
    assert reasons["one/scaled"] == "param factor changed (2 -> 4)"  # its own, not `two`'s 3
    assert reasons["one/total"] == "`one/scaled` runs first"


@pytest.mark.parametrize("where", ["step", "defaults"])
def test_accept_of_a_cache_false_step_says_it_runs_every_time(tmp_path: Path, where: str) -> None:
    """Before, it said "`fresh` is up to date ... nothing was stamped" of a step that
    `status` lists as running every time."""
    (tmp_path / "freshsteps.py").write_text("def one():\n    return 1\n")
    config = tmp_path / "fresh.yaml"
    setting = "cache: false" if where == "step" else ""
    defaults = "defaults: {cache: false}\n" if where == "defaults" else ""
    config.write_text(
        f"name: fresh\nresults: {{root: out}}\n{defaults}"
        f"steps:\n  fresh: {{run: freshsteps.one, {setting}}}\n"
    )
    assert pipeflow.load(config).run().ok

    refused = CliRunner().invoke(cli, ["accept", str(config), "fresh"])

    assert refused.exit_code == 2, refused.output
    assert "up to date" not in refused.output
    assert "step `fresh` has `cache: false`: it runs every time" in refused.output
    with pytest.raises(PipeflowError, match="nothing to accept"):
        pipeflow.load(config).accept("fresh")
