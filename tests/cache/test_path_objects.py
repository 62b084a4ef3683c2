"""A path another step returns counts however it is spelt: a `pathlib` path, or inside a set.

SPEC 12: paths that reach a step through any reference are fingerprinted like literal ones.
A step that returns `Path("data/x.txt")` (or a `PurePosixPath`, a set or frozenset of paths, a
list, tuple or dict of `Path`s) names that file as surely as one that returns the text: its
reader re-runs when the file changes, `status` says which file, an unchanged re-run runs
nothing, and the reader gets the path made absolute in the project, of the type it was made
(runs start from another folder than the project's here), on every executor, whether the
value was stored or not, and as the items of a `foreach` step.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import pipeflow
from pipeflow.model.run import Action
from tests.calls import calls
from tests.execute.conftest import dask_address
from tests.executors import executor_spec

__all__ = ["dask_address"]

STEPS = '''
"""Steps that note every call in calls.log, so tests can see what really ran."""
from pathlib import Path, PurePosixPath

LOG = Path(__file__).with_name("calls.log")


def note(name):
    with LOG.open("a") as log:
        log.write(name + "\\n")


SPELLINGS = {
    "path": lambda: Path("data/x.txt"),
    "pure": lambda: PurePosixPath("data/x.txt"),
    "set": lambda: {"data/x.txt"},
    "frozenset": lambda: frozenset({"data/x.txt"}),
    "path_set": lambda: {Path("data/x.txt")},
    "path_list": lambda: [Path("data/x.txt")],
    "path_tuple": lambda: (Path("data/x.txt"),),
    "path_dict": lambda: {"file": Path("data/x.txt")},
}


def locate(spelling):
    note("locate")
    return SPELLINGS[spelling]()


def read(value):
    note("read:" + type(value).__name__)
    path = value
    if isinstance(value, dict):
        path = value["file"]
    elif isinstance(value, (set, frozenset, list, tuple)):
        (path,) = value
    return [type(path).__name__, Path(path).is_absolute(), Path(path).read_text()]


def paths():
    note("paths")
    return [Path("data/x.txt"), Path("data/y.txt")]


def read_item(item):
    note("read_item:" + item.name)
    return [type(item).__name__, item.is_absolute(), Path(item).read_text()]
'''

SPELLINGS = ["path", "pure", "set", "frozenset", "path_set", "path_list", "path_tuple", "path_dict"]
EXECUTORS = ["sequential", "threads", "processes", "dask"]
KIND = {"path": "PosixPath", "pure": "PurePosixPath", "set": "str", "frozenset": "str"}


@pytest.fixture(autouse=True)
def _elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs start from another folder than the project's, as from CI or a scheduler."""
    elsewhere = tmp_path.parent / f"{tmp_path.name}-cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)


def make(tmp_path: Path, steps: str, executor: str) -> Path:
    (tmp_path / "pathsteps.py").write_text(textwrap.dedent(STEPS))
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "x.txt").write_text("x1")
    (tmp_path / "data" / "y.txt").write_text("y1")
    config = tmp_path / "pipeline.yaml"
    body = textwrap.indent(textwrap.dedent(steps), "  ")
    text = f"name: paths\nresults: {{root: out}}\nexecutor: {executor}\nsteps:\n{body}"
    config.write_text(text, encoding="utf-8")
    return config


def run(config: Path) -> pipeflow.api.Run:
    result = pipeflow.load(config).run()
    assert result.ok, {n: (o.state, o.error) for n, o in result.outcomes.items()}
    return result


@pytest.mark.parametrize("stored", [True, False], ids=["stored", "unstored"])
@pytest.mark.parametrize("executor", EXECUTORS)
@pytest.mark.parametrize("spelling", SPELLINGS)
def test_a_path_object_another_step_returns_is_fingerprinted(
    tmp_path: Path, spelling: str, executor: str, stored: bool, request: pytest.FixtureRequest
) -> None:
    result = "" if stored else ", result: false"
    config = make(
        tmp_path,
        f"""
        locate: {{run: pathsteps.locate, inputs: {{spelling: {spelling}}}{result}}}
        read: {{run: pathsteps.read, inputs: {{value: "${{steps.locate}}"}}}}
        """,
        executor_spec(executor, request),
    )
    kind = KIND.get(spelling, "PosixPath")
    assert run(config).output("read") == [kind, True, "x1"]
    calls(tmp_path)
    run(config)
    assert [call for call in calls(tmp_path) if call.startswith("read")] == []
    (tmp_path / "data" / "x.txt").write_text("x2")
    if stored:
        status = {decision.step: decision for decision in pipeflow.load(config).status()}
        assert status["read"].action is Action.RUN
        assert "data/x.txt" in status["read"].reason, status["read"].reason
    assert run(config).output("read") == [kind, True, "x2"]
    assert [call for call in calls(tmp_path) if call.startswith("read")] != []


@pytest.mark.parametrize("executor", EXECUTORS)
def test_foreach_items_that_are_path_objects_are_fingerprinted(
    tmp_path: Path, executor: str, request: pytest.FixtureRequest
) -> None:
    config = make(
        tmp_path,
        """
        paths: {run: pathsteps.paths}
        each: {run: pathsteps.read_item, foreach: "${steps.paths}", as: item}
        """,
        executor_spec(executor, request),
    )
    assert run(config).output("each") == [
        ["PosixPath", True, "x1"],
        ["PosixPath", True, "y1"],
    ]
    calls(tmp_path)
    (tmp_path / "data" / "y.txt").write_text("y2")
    again = run(config)
    assert again.output("each") == [["PosixPath", True, "x1"], ["PosixPath", True, "y2"]]
    assert calls(tmp_path) == ["read_item:y.txt"]  # only the item whose file changed
