"""A `foreach` over the value, or a part, of a cached step with `outputs:` (itself a `foreach`
step or not) is decided before the run from the stored parts: `status` says it is cached,
`run --frozen` passes, `pipeflow result` reads its items. Before, over a `foreach` step with
`outputs:` it always read "runs once per item; each item is cached", `--frozen` exited 3
though a real run found every item cached, and `pipeflow result` exited 1."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

import pipeflow
from pipeflow.cli import cli
from pipeflow.model.run import Action

STEPS = """
from pathlib import Path

LOG = Path(__file__).with_name("calls.log")


def pair(x):
    return {"b": 10 * x, "a": x}


def lists():
    return {"b": [5, 6], "a": [7]}


def echo(v):
    with LOG.open("a") as log:
        log.write(f"{v}\\n")
    return v
"""

CONFIG = """
name: p
results: {root: out}
steps:
  p: {run: partsteps.pair, foreach: [1, 2], as: x, outputs: [b, a]}
  q: {run: partsteps.lists, outputs: [b, a]}
  over_part: {run: partsteps.echo, foreach: "${steps.p.b}", as: v}
  over_whole: {run: partsteps.echo, foreach: "${steps.p}", as: v}
  over_plain_part: {run: partsteps.echo, foreach: "${steps.q.a}", as: v}
"""

EXPECTED = {
    "over_part": [10, 20],
    "over_whole": [{"b": 10, "a": 1}, {"b": 20, "a": 2}],
    "over_plain_part": [7],
}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "partsteps.py").write_text(textwrap.dedent(STEPS))
    config = tmp_path / "p.yaml"
    config.write_text(textwrap.dedent(CONFIG))
    assert pipeflow.load(config).run(history=False).ok
    (tmp_path / "calls.log").unlink()
    return config


def test_a_foreach_over_a_stored_part_is_cached_before_the_run(project: Path) -> None:
    decisions = {d.step: d for d in pipeflow.load(project).status()}
    assert {name: decisions[name].action for name in EXPECTED} == dict.fromkeys(
        EXPECTED, Action.CACHED
    ), {name: decisions[name].reason for name in EXPECTED}
    frozen = CliRunner().invoke(cli, ["run", str(project), "--frozen", "-q"])
    assert frozen.exit_code == 0, frozen.output
    assert not (project.parent / "calls.log").exists()  # nothing ran
    pipe = pipeflow.load(project)
    for name, items in EXPECTED.items():
        assert pipe.result(name).load() == items
        shown = CliRunner().invoke(cli, ["result", str(project), name])
        assert shown.exit_code == 0, shown.output
        assert shown.output.count("item ") == len(items), shown.output


def test_a_foreach_over_a_changed_part_runs_its_new_items(project: Path) -> None:
    config = project.read_text().replace("foreach: [1, 2]", "foreach: [1, 3]")
    project.write_text(config)
    decisions = {d.step: d for d in pipeflow.load(project).status()}
    assert decisions["p"].action is Action.RUN
    # p's new item is not stored: what the items of `over_part` are is known only then.
    assert decisions["over_part"].action is Action.RUN
    run = pipeflow.load(project).run(history=False)
    assert run.output("over_part") == [10, 30]
    assert json.loads(json.dumps(run.output("over_whole"))) == [
        {"b": 10, "a": 1},
        {"b": 30, "a": 3},
    ]
    ran = (project.parent / "calls.log").read_text().splitlines()
    assert sorted(ran) == ["30", "{'b': 30, 'a': 3}"]  # only the new items
