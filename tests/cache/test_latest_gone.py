"""A step whose `latest.json` is gone still explains what changed since its newest result.

`latest.json` beside a step's manifests names its newest result, for the reason a step runs
again ("param n changed (1 -> 2)"). Deleted by hand, or lost with a copy of the store that
left it out, it made `status` say "no stored result yet" of a step whose results are all
there. The newest of its manifests is found instead, as on an object store. For a result
too large for the run journal and for one stored at a `result.target`; through `status`
and the Python API.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import pipeflow
from pipeflow.model.run import Action
from tests.conftest import ProjectFactory
from tests.system import pipeflow_in

STEPS = """
def big(n):
    return {"n": n, "rows": list(range(40_000))}


def small(n):
    return n
"""

CONFIG = """\
name: gone
params: {n: 1}
results: {root: out}
steps:
  big: {run: gonesteps.big, inputs: {n: "${params.n}"}}
  targeted: {run: gonesteps.small, inputs: {n: "${params.n}"}, result: {target: "t.json"}}
"""


@pytest.mark.parametrize("step", ["big", "targeted"])
def test_a_step_without_its_latest_json_says_what_changed(
    make_project: ProjectFactory, step: str
) -> None:
    config = make_project(CONFIG, gonesteps=STEPS)
    assert pipeflow.load(config).run().ok
    latest = config.parent / "out" / ".pipeflow" / "manifests" / "gone" / step / "latest.json"
    latest.unlink()

    decisions = {d.step: d for d in pipeflow.load(config, params={"n": 2}).status()}
    assert decisions[step].action is Action.RUN
    assert decisions[step].reason == "param n changed (1 -> 2)"
    shown = pipeflow_in(config.parent, "status", config.name, "--param", "n=2")
    assert shown.returncode == 0, shown.stderr
    assert f"{step:<8}  run      param n changed (1 -> 2)" in shown.stdout, shown.stdout
    unchanged = {d.step: d for d in pipeflow.load(config).status()}
    assert unchanged[step].action is Action.CACHED


def test_the_store_holds_big_results_as_files(make_project: ProjectFactory) -> None:
    """The case above is the one with a `latest.json` to lose: not a run journal's record."""
    config = make_project(CONFIG, gonesteps=STEPS)
    assert pipeflow.load(config).run().ok
    manifests = Path(config.parent, "out", ".pipeflow", "manifests", "gone")
    assert (manifests / "big" / "latest.json").is_file()
    assert (manifests / "targeted" / "latest.json").is_file()
