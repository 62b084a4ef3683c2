"""An item of a list param by its index: `${params.files.1}`, `${params.grid.0.lr}` in
inputs, `{params.files.0}` in a target (as OmegaConf and DVC's templating read them). An index
the list does not have is a validation error that says how many items it has."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import pipeflow
from tests.conftest import ProjectFactory

STEPS = """
def pick(name, lr):
    return f"{name}@{lr}"
"""

YAML = """
name: lists
params:
  files: [a.csv, b.csv]
  grid:
    - {lr: 0.1, depth: 3}
    - {lr: 0.01, depth: 5}
results: {root: out}
steps:
  first:
    run: lsteps.pick
    inputs: {name: "${params.files.1}", lr: "${params.grid.0.lr}"}
    result: {target: "{params.files.0}.json"}
"""

TOML = """
name = "lists"
[params]
files = ["a.csv", "b.csv"]
grid = [{lr = 0.1, depth = 3}, {lr = 0.01, depth = 5}]
[results]
root = "out"
[steps.first]
run = "lsteps.pick"
inputs = {name = "${params.files.1}", lr = "${params.grid.0.lr}"}
result = {target = "{params.files.0}.json"}
"""


def _pipeflow(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipeflow", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=config.parent,
    )


@pytest.mark.parametrize("kind", ["yaml", "toml"])
def test_an_item_of_a_list_param_is_named_by_its_index(
    make_project: ProjectFactory, kind: str
) -> None:
    config = make_project(YAML if kind == "yaml" else TOML, name=f"pipeline.{kind}", lsteps=STEPS)
    run = pipeflow.load(config).run()
    assert run.ok, run.outcomes
    assert run.output("first") == "b.csv@0.1"
    stored = config.parent / "out" / "a.csv.json"
    assert json.loads(stored.read_text()) == "b.csv@0.1"
    # A new list from the command line: the same reference takes its item.
    result = _pipeflow(config, "run", config.name, "--param", "files=[x.csv, y.csv]")
    assert result.returncode == 0, result.stderr
    again = pipeflow.load(config, params={"files": ["x.csv", "y.csv"]}).run()
    assert again.output("first") == "y.csv@0.1"
    assert (config.parent / "out" / "x.csv.json").exists()


@pytest.mark.parametrize(
    ("reference", "said"),
    [
        ("${params.files.2}", "param `files` is a list of 2 items, so it has no `2`"),
        ("${params.files.01}", "param `files` is a list of 2 items, so it has no `01`"),
        ("${params.files.-1}", "param `files` is a list of 2 items, so it has no `-1`"),
        ("${params.grid.0.rate}", "names no param `grid.0.rate`"),
    ],
)
def test_an_index_the_list_does_not_have_is_refused(
    make_project: ProjectFactory, reference: str, said: str
) -> None:
    config = make_project(YAML.replace("${params.files.1}", reference), lsteps=STEPS)
    result = _pipeflow(config, "validate", config.name)
    assert result.returncode == 2, result.stdout + result.stderr
    assert said in result.stderr
    if "list" in said:
        assert "`${params.files.0}` to `${params.files.1}`" in result.stderr


def test_an_index_of_a_target_template_the_list_does_not_have_is_refused(
    make_project: ProjectFactory,
) -> None:
    config = make_project(YAML.replace("{params.files.0}", "{params.files.5}"), lsteps=STEPS)
    result = _pipeflow(config, "validate", config.name)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "params.files" in result.stderr
    assert "2 items" in result.stderr


ITEMS = """
name: items
results: {root: out}
steps:
  write:
    run: lsteps.write
    foreach: [[a, 1], [b, 2]]
    writes: ["files/${item.0}.txt"]
    result: {target: "{item.0}.json"}
"""

WRITE = """
from pathlib import Path

def write(item):
    Path("files").mkdir(exist_ok=True)
    Path(f"files/{item[0]}.txt").write_text(str(item[1]))
    return item[1]
"""


def test_an_item_of_a_list_item_is_named_by_its_index(
    make_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`${item.0}` in `writes:` and `{item.0}` in a target, for a `foreach` over lists."""
    config = make_project(ITEMS, lsteps=WRITE)
    monkeypatch.chdir(config.parent)
    run = pipeflow.load(config).run()
    assert run.ok, run.outcomes
    assert run.output("write") == [1, 2]
    assert (config.parent / "files" / "b.txt").read_text() == "2"
    assert json.loads((config.parent / "out" / "a.json").read_text()) == 1
    assert json.loads((config.parent / "out" / "b.json").read_text()) == 2
    # The declared writes are restored from the store, item by item.
    (config.parent / "files" / "a.txt").unlink()
    again = pipeflow.load(config).run()
    assert again.ok, again.outcomes
    assert (config.parent / "files" / "a.txt").read_text() == "1"


@pytest.mark.parametrize("kind", ["yaml", "toml"])
def test_a_list_of_one_item_is_said_so_in_every_place(
    make_project: ProjectFactory, kind: str
) -> None:
    """ "a list of 1 item", and its one index alone (not "`x.0` to `x.0`"): in a reference, in
    a target, and in an override of an item."""
    text = (YAML if kind == "yaml" else TOML).replace('"b.csv"]', "]").replace(", b.csv]", "]")
    config = make_project(text, name=f"pipeline.{kind}", lsteps=STEPS)
    result = _pipeflow(config, "validate", config.name)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "param `files` is a list of 1 item, so it has no `1`" in result.stderr
    assert "name an item by its index: `${params.files.0}`\n" in result.stderr
    target = config.read_text().replace("{params.files.0}", "{params.files.3}")
    config.write_text(target.replace("${params.files.1}", "${params.files.0}"))
    result = _pipeflow(config, "validate", config.name)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "which is a list of 1 item (`0`)" in result.stderr
    config.write_text(text.replace("${params.files.1}", "${params.files.0}"))
    result = _pipeflow(config, "validate", config.name, "--param", "files.4=z.csv")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "param `files` is a list of 1 item, so it has no `4`" in result.stderr
    assert "set an item by its index, `files.0`, or give the whole list" in result.stderr
