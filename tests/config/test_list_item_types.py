"""A list param whose default's items are all of one type (numbers, ints, strings, booleans)
takes a list of items of that type from every channel, as `--param ratios.0=a` already
refused a text item: the whole list from `--param`, a params file (JSON, YAML, TOML), a
schedule's params, `params=` in Python. Each wrong item is named where it was written.
A default list that is empty or mixes types (or holds mappings or lists) takes any list."""

from __future__ import annotations

from pathlib import Path

import pytest

import pipeflow
from tests.conftest import ProjectFactory
from tests.system import pipeflow_in

STEPS = """
def show(ratios, names, counts, flags, anything):
    return [ratios, names, counts, flags, anything]
"""

CONFIG = """
name: items
params:
  ratios: [0.5, 1.5]
  names: [eu, us]
  counts: [1, 2]
  flags: [true]
  anything: [1, a, {k: v}]
results: {persist: false}
steps:
  show:
    run: lsteps.show
    inputs:
      ratios: "${params.ratios}"
      names: "${params.names}"
      counts: "${params.counts}"
      flags: "${params.flags}"
      anything: "${params.anything}"
"""

RATIOS = "param `ratios` is a list of numbers in the defaults; item 1 is a string ('a')"
NAMES = "param `names` is a list of strings in the defaults; item 0 is an int (7)"
COUNTS = "param `counts` is a list of ints in the defaults; item 2 is a number (2.5)"
FLAGS = "param `flags` is a list of booleans in the defaults; item 0 is an int (1)"


@pytest.mark.parametrize(
    "given",
    [
        [
            "--param",
            "ratios=[1, a]",
            "--param",
            "names=[7, us]",
            "--param",
            "counts=[1, 2, 2.5]",
            "--param",
            "flags=[1]",
        ],
        ["--param-file", "params.json"],
        ["--param-file", "params.yaml"],
        ["--param-file", "params.toml"],
    ],
    ids=["param", "json", "yaml", "toml"],
)
def test_a_wrong_item_is_refused_from_the_command_line(
    make_project: ProjectFactory, tmp_path: Path, given: list[str]
) -> None:
    config = make_project(CONFIG, lsteps=STEPS)
    (tmp_path / "params.json").write_text(
        '{"ratios": [1, "a"], "names": [7, "us"], "counts": [1, 2, 2.5], "flags": [1]}'
    )
    (tmp_path / "params.yaml").write_text(
        "ratios: [1, a]\nnames: [7, us]\ncounts: [1, 2, 2.5]\nflags: [1]\n"
    )
    (tmp_path / "params.toml").write_text(
        'ratios = [1, "a"]\nnames = [7, "us"]\ncounts = [1, 2, 2.5]\nflags = [1]\n'
    )
    for command in ("run", "validate", "status"):
        result = pipeflow_in(tmp_path, command, config.name, *given)
        assert result.returncode == 2, result.stderr
        for said in (RATIOS, NAMES, COUNTS, FLAGS):
            assert said in result.stderr, result.stderr
        assert "hint: quote it to keep it text" in result.stderr  # names: 7
    if given[0] == "--param-file":  # each item at its line and column
        assert f"{given[1]}:1:" in result.stderr, result.stderr


def test_a_wrong_item_is_refused_from_python_and_a_schedule(
    make_project: ProjectFactory, tmp_path: Path
) -> None:
    config = make_project(CONFIG, lsteps=STEPS)
    with pytest.raises(pipeflow.ConfigError) as raised:
        pipeflow.load(config, params={"ratios": [1, 2.5, "x"]})
    (problem,) = raised.value.problems
    assert problem.message.startswith(
        "param `ratios` is a list of numbers in the defaults; item 2 is a string ('x')"
    )
    assert problem.path == "params.ratios.2"
    with pytest.raises(pipeflow.ConfigError, match="item 1 is an int too large"):
        pipeflow.load(config, params={"ratios": [True, 10**400]})
    scheduled = config.read_text() + "schedules:\n  - interval: 1h\n    params: {names: [eu, 3]}\n"
    config.write_text(scheduled)
    result = pipeflow_in(tmp_path, "validate", config.name)
    assert result.returncode == 2, result.stderr
    assert "param `names` is a list of strings in the defaults; item 1 is an int (3)" in (
        result.stderr
    )
    assert "schedules[0].params.names[1]" in result.stderr


def test_items_of_the_default_type_and_lists_of_any_type_are_taken(
    make_project: ProjectFactory, tmp_path: Path
) -> None:
    config = make_project(CONFIG, lsteps=STEPS)
    given = {
        "ratios": [1, 2.5, None],  # an int is a number; null is taken, as for a float param
        "names": [],
        "counts": [3, 4, 5],
        "flags": [False, True],
        "anything": [[1], 2.5, "x", {"a": 1}],
    }
    run = pipeflow.load(config, params=given).run(history=False)
    assert run.ok
    ratios, names, counts, flags, anything = run.output("show")
    assert ratios == [1.0, 2.5, None]
    assert isinstance(ratios[0], float)
    assert names == []
    assert counts == [3, 4, 5]
    assert flags == [False, True]
    assert anything == [[1], 2.5, "x", {"a": 1}]
