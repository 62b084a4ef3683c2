"""A list of floats given again with whole numbers stays a list of floats, as a float param
given `1` is `1.0`: `--param 'ratios=[1, 2]'`, a params file, `params=` and `--param
ratios.0=1` all give the step floats (and one cache key). Before, the whole list kept its
ints while an item set by its index became a float."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import pipeflow
from tests.conftest import ProjectFactory
from tests.system import pipeflow_in

STEPS = """
import json
from pathlib import Path


def kinds(ratios, counts):
    Path("kinds.json").write_text(json.dumps(
        [[type(x).__name__ for x in ratios], [type(x).__name__ for x in counts]]
    ))
    return len(ratios)
"""

CONFIG = """
name: floats
params: {ratios: [0.5, 1.5], counts: [1, 2]}
results: {persist: false}
steps:
  kinds: {run: fsteps.kinds, inputs: {ratios: "${params.ratios}", counts: "${params.counts}"}}
"""


def kinds(folder: Path) -> list[list[str]]:
    found: list[list[str]] = json.loads((folder / "kinds.json").read_text())
    return found


@pytest.mark.parametrize(
    "given",
    [
        ["--param", "ratios=[1, 2]"],
        ["--param", "ratios.0=1", "--param", "ratios.1=2"],
        ["--param-file", "params.json"],
        ["--param-file", "params.yaml"],
        ["--param-file", "params.toml"],
    ],
)
def test_whole_numbers_in_a_list_of_floats_become_floats_from_the_command_line(
    make_project: ProjectFactory, tmp_path: Path, given: list[str]
) -> None:
    config = make_project(CONFIG, fsteps=STEPS)
    (tmp_path / "params.json").write_text('{"ratios": [1, 2], "counts": [3]}')
    (tmp_path / "params.yaml").write_text("ratios: [1, 2]\ncounts: [3]\n")
    (tmp_path / "params.toml").write_text("ratios = [1, 2]\ncounts = [3]\n")
    result = pipeflow_in(tmp_path, "run", config.name, *given)
    assert result.returncode == 0, result.stderr
    assert kinds(tmp_path)[0] == ["float", "float"]
    assert set(kinds(tmp_path)[1]) == {"int"}  # a list of ints stays as given


def test_whole_numbers_in_a_list_of_floats_become_floats_from_python(
    make_project: ProjectFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = make_project(CONFIG, fsteps=STEPS)
    monkeypatch.chdir(tmp_path)
    pipeflow.load(config, params={"ratios": [1, 2.5, 3]}).run(history=False)
    assert kinds(tmp_path)[0] == ["float", "float", "float"]
    # A text, a bool or an int no float holds is no number: refused (test_list_item_types.py).
    for wrong in ([1, 2.5, "x"], [True], [10**400]):
        with pytest.raises(pipeflow.ConfigError, match="is a list of numbers in the defaults"):
            pipeflow.load(config, params={"ratios": wrong})
