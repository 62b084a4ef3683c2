"""Two steps whose targets differ only in case (`m/x.json` and `m/X.json`) in a local results
root are refused by `validate` and `run` (exit 2): on a disk that ignores case (macOS, Windows)
they are one file, and each run would overwrite one result with the other, while on Linux the
same config worked. An object store tells them apart, so there they stay allowed; targets that
differ in more than case stay allowed everywhere."""

from __future__ import annotations

from pathlib import Path

import pytest

import pipeflow
from pipeflow.errors import ConfigError
from tests.system import pipeflow_in

STEPS = "def one():\n    return 1\n\n\ndef two():\n    return 2\n"
YAML = """\
name: cased
results: {root: ROOT}
steps:
  low: {run: csteps.one, result: {target: "m/FIRST.json"}}
  up: {run: csteps.two, result: {target: "m/SECOND.json"}}
"""
TOML = """\
name = "cased"
results = {root = "ROOT"}
[steps.low]
run = "csteps.one"
result = {target = "m/FIRST.json"}
[steps.up]
run = "csteps.two"
result = {target = "m/SECOND.json"}
"""


def _config(tmp_path: Path, kind: str, first: str, second: str, root: str = "out") -> Path:
    (tmp_path / "csteps.py").write_text(STEPS, encoding="utf-8")
    text = (YAML if kind == "yaml" else TOML).replace("ROOT", root)
    text = text.replace("FIRST", first).replace("SECOND", second)
    config = tmp_path / f"pipeline.{kind}"
    config.write_text(text, encoding="utf-8")
    return config


@pytest.mark.parametrize("kind", ["yaml", "toml"])
@pytest.mark.parametrize(("first", "second"), [("x", "X"), ("data", "Data"), ("{step}_A", "low_a")])
def test_targets_differing_only_in_case_are_refused_on_a_disk(
    tmp_path: Path, kind: str, first: str, second: str
) -> None:
    config = _config(tmp_path, kind, first, second)
    with pytest.raises(ConfigError) as raised:
        pipeflow.load(config)
    (problem,) = raised.value.problems
    assert problem.path == "steps.up.result.target"
    assert "differ only in case" in problem.message
    for command in ("validate", "run"):
        done = pipeflow_in(tmp_path, command, config.name)
        assert done.returncode == 2, done.stdout + done.stderr
        assert "differ only in case" in done.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("kind", ["yaml", "toml"])
def test_an_object_store_tells_them_apart(tmp_path: Path, kind: str) -> None:
    config = _config(tmp_path, kind, "x", "X", root="memory://cased")
    assert pipeflow.load(config).name == "cased"


@pytest.mark.parametrize("kind", ["yaml", "toml"])
def test_targets_differing_in_more_than_case_are_fine(tmp_path: Path, kind: str) -> None:
    config = _config(tmp_path, kind, "x", "Y")
    done = pipeflow_in(tmp_path, "run", config.name)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (tmp_path / "out" / "m").iterdir()) == ["Y.json", "x.json"]


ITEMS = """\
name: caseditems
results: {root: ROOT}
steps:
  names: {run: csteps.names}
  each:
    run: csteps.echo
    foreach: FOREACH
    as: name
    result: {target: "m/{name}.json"}
"""
ITEM_STEPS = "def names():\n    return ['a', 'A']\n\n\ndef echo(name):\n    return name\n"


def _items(tmp_path: Path, foreach: str, root: str = "out") -> Path:
    (tmp_path / "csteps.py").write_text(ITEM_STEPS, encoding="utf-8")
    config = tmp_path / "items.yaml"
    config.write_text(ITEMS.replace("ROOT", root).replace("FOREACH", foreach), encoding="utf-8")
    return config


def test_items_known_before_the_run_differing_only_in_case_are_refused(tmp_path: Path) -> None:
    config = _items(tmp_path, "[a, A]")
    done = pipeflow_in(tmp_path, "validate", config.name)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "m/a.json and m/A.json, which differ only in case" in done.stderr
    assert pipeflow.load(_items(tmp_path, "[a, A]", root="memory://caseditems")).name


def test_items_known_only_during_the_run_are_refused_before_any_is_stored(
    tmp_path: Path,
) -> None:
    config = _items(tmp_path, "'${steps.names}'")
    done = pipeflow_in(tmp_path, "run", config.name)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "m/a.json and m/A.json, which differ only in case" in done.stdout + done.stderr
    assert not (tmp_path / "out" / "m").exists()
    elsewhere = _items(tmp_path, "'${steps.names}'", root="memory://caseditems")
    assert pipeflow.load(elsewhere).run(history=False).ok
