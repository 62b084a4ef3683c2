"""An item of a list param is set by its index, as a reference names it: `--param files.1=z`,
`params={"files.1": "z"}`, `{"files": {"1": "z"}}` in a params file or a schedule's params,
`--param grid.0.lr=0.5` inside an item that is a mapping. Before, each was refused with
"param `files` is a list in the defaults; got a mapping ({'1': 'z'})", a mapping the user
never wrote. An index the list does not have, or a value of another type than the item's,
is refused at the override with what to do."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import pipeflow
from tests.conftest import ProjectFactory

STEPS = """
import json
from pathlib import Path


def pick(files, grid):
    Path(__file__).with_name("picked.json").write_text(json.dumps([files, grid]))
    return [files, grid]
"""

YAML = """
name: lists
params:
  files: [a.csv, b.csv]
  grid:
    - {lr: 0.1, depth: 3}
    - {lr: 0.01, depth: 5}
steps:
  pick:
    run: lsteps.pick
    inputs: {files: "${params.files}", grid: "${params.grid}"}
schedules:
  - interval: 1h
    params: {files: {1: s.csv}, grid: {1: {depth: 7}}}
"""

TOML = """
name = "lists"
[params]
files = ["a.csv", "b.csv"]
grid = [{lr = 0.1, depth = 3}, {lr = 0.01, depth = 5}]
[steps.pick]
run = "lsteps.pick"
inputs = {files = "${params.files}", grid = "${params.grid}"}
[[schedules]]
interval = "1h"
[schedules.params]
files = {1 = "s.csv"}
grid = {1 = {depth = 7}}
"""

DEFAULT_GRID = [{"lr": 0.1, "depth": 3}, {"lr": 0.01, "depth": 5}]


def _run(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipeflow", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=config.parent,
    )


def _output(config: Path) -> list[object]:
    """What the step was given, as it wrote it down."""
    return json.loads((config.parent / "picked.json").read_text())  # type: ignore[no-any-return]


@pytest.mark.parametrize("kind", ["yaml", "toml"])
def test_an_item_is_set_by_its_index_from_every_channel(
    make_project: ProjectFactory, kind: str
) -> None:
    config = make_project(YAML if kind == "yaml" else TOML, name=f"pipeline.{kind}", lsteps=STEPS)
    grid = [{"lr": 0.5, "depth": 3}, {"lr": 0.01, "depth": 5}]

    given = ("--param", "files.1=z.csv", "--param", "grid.0.lr=0.5")
    result = _run(config, "run", config.name, *given)
    assert result.returncode == 0, result.stderr
    assert _output(config) == [["a.csv", "z.csv"], grid]

    (config.parent / "p.json").write_text('{"files": {"0": "j.csv"}}')
    (config.parent / "p.yaml").write_text("files: {1: y.csv}\n")
    given = ("--param-file", "p.json", "--param-file", "p.yaml")
    result = _run(config, "run", config.name, *given)
    assert result.returncode == 0, result.stderr
    assert _output(config) == [["j.csv", "y.csv"], DEFAULT_GRID]

    run = pipeflow.load(config).run(params={"files.0": "q.csv", "grid": {"1": {"lr": 0.2}}})
    assert run.output("pick") == [["q.csv", "b.csv"], [DEFAULT_GRID[0], {"lr": 0.2, "depth": 5}]]

    scheduled = pipeflow.load(config, schedule=1).run()
    assert scheduled.output("pick") == [
        ["a.csv", "s.csv"],
        [DEFAULT_GRID[0], {"lr": 0.01, "depth": 7}],
    ]

    # After a whole new list, an item of that list.
    given = ("--param", "files=[m, n, o]", "--param", "files.2=p")
    result = _run(config, "run", config.name, *given)
    assert result.returncode == 0, result.stderr
    assert _output(config) == [["m", "n", "p"], DEFAULT_GRID]


@pytest.mark.parametrize(
    ("override", "said", "hint"),
    [
        (
            "files.2=c.csv",
            "param `files` is a list of 2 items, so it has no `2`",
            "`files.0` to `files.1`",
        ),
        (
            "files.01=c.csv",
            "param `files` is a list of 2 items, so it has no `01`",
            "`files.0` to `files.1`",
        ),
        (
            "files.x=c.csv",
            "param `files` is a list of 2 items, so it has no `x`",
            "`files.0` to `files.1`",
        ),
        (
            "files.1=3",
            "param `files.1` is a string ('b.csv') in the defaults; got an int (3)",
            "`files.1`",
        ),
        ("grid.1.lrr=3", "unknown param `grid.1.lrr`", "did you mean `grid.1.lr`?"),
    ],
)
def test_an_override_the_list_cannot_take_is_refused(
    make_project: ProjectFactory, override: str, said: str, hint: str
) -> None:
    config = make_project(YAML, lsteps=STEPS)
    for command in ("validate", "run"):
        result = _run(config, command, config.name, "--param", override)
        assert result.returncode == 2, result.stdout + result.stderr
        assert said in result.stderr
        assert hint in result.stderr
        assert f"(from --param {override})" in result.stderr
    key, _, value = override.partition("=")
    with pytest.raises(pipeflow.ConfigError, match="params passed to run"):
        pipeflow.load(config).run(params={key: value if key != "files.1" else 3})


def test_extra_keys_in_an_item_are_taken_as_in_a_whole_list(make_project: ProjectFactory) -> None:
    """`--allow-extra-params` lets an item that is a mapping take a new key, as it lets a whole
    new list hold one."""
    config = make_project(YAML, lsteps=STEPS)
    given = ("--allow-extra-params", "--param", "grid.0.new=1")
    result = _run(config, "run", config.name, *given)
    assert result.returncode == 0, result.stderr
    assert _output(config) == [["a.csv", "b.csv"], [{**DEFAULT_GRID[0], "new": 1}, DEFAULT_GRID[1]]]
    refused = _run(config, "validate", config.name, "--param", "grid.0.new=1")
    assert refused.returncode == 2
    assert "unknown param `grid.0.new`" in refused.stderr


# (a list given whole, then an item of it by its index, in one mapping; what the step gets)
WHOLE_THEN_ITEM = [
    ({"files": ["x.csv"], "files.0": "y.csv"}, [["y.csv"], None]),
    ({"grid": [{"lr": 1.0, "depth": 1}], "grid.0.lr": 2.0}, [None, [{"lr": 2.0, "depth": 1}]]),
    (
        {"files": ["x.csv", "z.csv", "w.csv"], "files.2": "v.csv"},
        [["x.csv", "z.csv", "v.csv"], None],
    ),
]


@pytest.mark.parametrize(("given", "expected"), WHOLE_THEN_ITEM)
def test_an_item_set_after_its_whole_list_in_one_mapping_sets_that_list(
    make_project: ProjectFactory, given: dict[str, object], expected: list[object]
) -> None:
    """`params={"files": ["x.csv"], "files.0": "y.csv"}` set the item of the default list
    (`["y.csv", "b.csv"]`), dropping the list given with it; `--param` options in that order
    gave `["y.csv"]`. Both now do."""
    config = make_project(YAML, lsteps=STEPS)
    from_python = pipeflow.load(config, params=given).params
    options = [f"{key}={json.dumps(value)}" for key, value in given.items()]
    from_options = pipeflow.load(config, param_options=options).params
    assert from_python == from_options
    files, grid = expected
    if files is not None:
        assert from_python["files"] == files
    if grid is not None:
        assert from_python["grid"] == grid
