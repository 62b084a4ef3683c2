"""A step's value nested deeper than Python's recursion limit (a list in a list, 500 or 2000
levels: valid JSON and pickle data up to the point its format says otherwise) neither crashes
the run nor fails the step that made it because a walk of pipeflow's went too deep. Before, the
run died with a RecursionError traceback from `step_files.absolute_within` and history recorded
it `interrupted`, or the producing step failed inside `locations.strings_in`. Every walk over a
value treats what lies deeper than it looks as opaque; a format that cannot hold it fails the
step with its own words, as any value it cannot hold."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pipeflow.execute.isolation import isolated_inputs
from pipeflow.execute.remotes import client_paths
from tests.conftest import ProjectFactory

STEPS = """
def make(d):
    x = ["data/a.txt"]
    for _ in range(d):
        x = [x]
    return {"nest": x, "d": d}


def depth(v, d):
    n = 0
    nest = v["nest"]
    while isinstance(nest, list) and nest and isinstance(nest[0], list):
        nest = nest[0]
        n += 1
    assert n == d, f"the value came {n} deep, not {d}"
    assert nest[0].endswith("data/a.txt"), nest
    nest.append("changed")  # its own copy: `make`'s value stays as it was
    return n
"""


def _config(executor: str, stored: bool, depth: int) -> str:
    result = "" if stored else ", result: false"
    return f"""\
name: nest
executor: {{type: {executor}}}
params: {{d: {depth}}}
results: {{root: out}}
steps:
  make: {{run: deep.make, inputs: {{d: "${{params.d}}"}}{result}}}
  depth: {{run: deep.depth, inputs: {{v: "${{steps.make}}", d: "${{params.d}}"}}}}
"""


def _pipeflow(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipeflow", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


# What cannot hold such a value says so, naming the step that made it: pickle (the format
# chosen for it: JSON's writer goes no deeper) stops at some hundreds of levels, and so does the
# pickling that sends a value back from a worker process.
FAILS = {
    (500, "processes", True): "nested too deep to be sent back from its worker process",
    (500, "processes", False): "nested too deep to be sent back from its worker process",
    (2000, "sequential", True): "It nests too deep for the format's writer",
    (2000, "threads", True): "It nests too deep for the format's writer",
    (2000, "processes", True): "It nests too deep for the format's writer",
    (2000, "processes", False): "nested too deep to be sent back from its worker process",
}


@pytest.mark.parametrize("stored", [True, False], ids=["stored", "unstored"])
@pytest.mark.parametrize("executor", ["sequential", "threads", "processes"])
@pytest.mark.parametrize("depth", [500, 2000])
def test_a_deep_value_runs_or_fails_its_step_never_the_run(
    make_project: ProjectFactory, executor: str, stored: bool, depth: int
) -> None:
    config = make_project(_config(executor, stored, depth), deep=STEPS)
    done = _pipeflow("run", str(config), "--json", "-", cwd=config.parent)
    assert "Traceback" not in done.stderr + done.stdout, done.stderr
    assert done.returncode in (0, 1), done.stderr
    report = json.loads(done.stdout)
    states = {step["name"]: step for step in report["steps"]}
    failure = FAILS.get((depth, executor, stored))
    if failure is None:
        assert done.returncode == 0, states
        assert [states[name]["state"] for name in ("make", "depth")] == ["done", "done"]
    else:
        assert done.returncode == 1, done.stderr
        assert states["make"]["state"] == "failed", states
        assert failure in states["make"]["error"]["message"], states["make"]["error"]
    runs = _pipeflow("runs", "--last", "1", cwd=config.parent)
    assert "interrupted" not in runs.stdout, runs.stdout
    assert ("failed" if failure else "succeeded") in runs.stdout, runs.stdout


def test_a_deep_value_is_isolated_whole_shared_parts_and_cycles_kept() -> None:
    shared = {"n": [1]}
    inner: list[Any] = [shared, (shared, "text"), {3, 4}, frozenset({5})]
    inner.append(inner)  # a list that holds itself, 3000 levels down
    value: Any = inner
    for level in range(3000):
        value = [value] if level % 2 else {"v": value}
    copied = isolated_inputs({"a": value, "b": shared})
    deepest = copied["a"]
    for level in reversed(range(3000)):
        deepest = deepest[0] if level % 2 else deepest["v"]
    assert deepest is not inner
    assert deepest[4] is deepest
    assert deepest[0] is deepest[1][0] is copied["b"]  # one object shared stays one
    assert deepest[0] == shared
    assert deepest[2] == {3, 4}
    assert deepest[3] == frozenset({5})
    deepest[0]["n"].append(2)
    deepest[2].add(6)
    assert shared == {"n": [1]}
    assert inner[2] == {3, 4}


def test_paths_are_given_back_from_a_worker_s_workspace_in_a_deep_value() -> None:
    """On a cluster sharing no filesystem, a returned value's workspace paths are the
    client's again (`client_paths`): as deep as paths are looked for, and no crash deeper."""
    workspace = "/var/tmp/pipeflow/work/w-1"
    deep: Any = f"{workspace}/data/deep.txt"
    for _ in range(3000):
        deep = [deep]
    shallow = {"model": [f"{workspace}/models/m.pkl", "plain text"]}

    assert client_paths(deep, workspace) is deep  # past the depth walked: as it was made
    assert client_paths(shallow, workspace) == {"model": ["/models/m.pkl", "plain text"]}
