"""A `writes:` entry made from the items of a `foreach` over a step's value is refused saying so.

Such items are only known during the run, while the paths a step writes must be known before
it. `validate` (exit 2) says which entry, as the config writes it, and where the items come
from, and how to declare the writes instead: the folder the items write into, which is then
accepted and followed by its readers. Every spelling of the item (`${item}`, the `as:` name, a
key of an item that is a mapping), YAML and TOML. A glob written in `writes:` is still "not a
pattern".
"""

from __future__ import annotations

from pathlib import Path

import pytest

import pipeflow
from tests.system import pipeflow_in

STEPS = """
from pathlib import Path


def names():
    return [{"name": "a"}, {"name": "b"}]


def write(entry):
    out = Path(__file__).with_name("data") / entry["name"]
    out.mkdir(parents=True, exist_ok=True)
    (out / "out.txt").write_text(entry["name"])


def read(folder):
    return sorted(path.read_text() for path in Path(folder).rglob("*.txt"))
"""

# (the `as:` name, or None for `item`; the write as the config gives it)
ENTRIES = [
    (None, "data/${item}.txt"),
    ("entry", "data/${entry}.txt"),
    ("entry", "data/${entry.name}/out.txt"),
]


def _config(folder: Path, kind: str, name: str | None, write: str) -> Path:
    named = name or "item"
    if kind == "yaml":
        given = f"    as: {name}\n" if name else ""
        text = (
            "name: items\nresults: {root: out}\nsteps:\n"
            "  names: {run: itemsteps.names}\n"
            f'  write:\n    run: itemsteps.write\n    foreach: "${{steps.names}}"\n{given}'
            f'    inputs: {{}}\n    writes: ["{write}"]\n'
        )
    else:
        given = f'as = "{name}"\n' if name else ""
        text = (
            'name = "items"\n[results]\nroot = "out"\n'
            '[steps.names]\nrun = "itemsteps.names"\n'
            f'[steps.write]\nrun = "itemsteps.write"\nforeach = "${{steps.names}}"\n{given}'
            f'writes = ["{write}"]\n'
        )
    (folder / "itemsteps.py").write_text(STEPS.replace("entry", named))
    config = folder / f"pipeline.{kind}"
    config.write_text(text, encoding="utf-8")
    return config


@pytest.mark.parametrize("kind", ["yaml", "toml"])
@pytest.mark.parametrize(("name", "write"), ENTRIES)
def test_a_write_made_from_items_known_during_the_run_is_refused_saying_why(
    tmp_path: Path, kind: str, name: str | None, write: str
) -> None:
    config = _config(tmp_path, kind, name, write)
    result = pipeflow_in(tmp_path, "validate", config.name)
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"`writes` names {write}" in result.stderr, result.stderr
    assert "step `names`" in result.stderr, result.stderr
    assert "known during the run" in result.stderr, result.stderr
    assert "`writes: [data/]`" in result.stderr, result.stderr
    assert "not a pattern" not in result.stderr, result.stderr
    assert "steps.write.writes" in result.stderr, result.stderr


@pytest.mark.parametrize("kind", ["yaml", "toml"])
def test_the_folder_the_items_write_into_is_a_write_its_readers_follow(
    tmp_path: Path, kind: str
) -> None:
    config = _config(tmp_path, kind, None, "data/")
    reader = (
        '  read: {run: itemsteps.read, inputs: {folder: "data/"}}\n'
        if kind == "yaml"
        else '[steps.read]\nrun = "itemsteps.read"\ninputs = {folder = "data/"}\n'
    )
    config.write_text(config.read_text() + reader)
    result = pipeflow_in(tmp_path, "run", config.name)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "data" / "b" / "out.txt").read_text() == "b"
    graph = pipeflow_in(tmp_path, "graph", config.name, "--format", "ascii")
    assert "read" in graph.stdout, graph.stdout
    assert "<- write" in graph.stdout, graph.stdout


def test_a_glob_in_writes_is_still_not_a_pattern(tmp_path: Path) -> None:
    config = _config(tmp_path, "yaml", None, "data/*.txt")
    result = pipeflow_in(tmp_path, "validate", config.name)
    assert result.returncode == 2
    assert "`writes` names files or folders, not a pattern: data/*.txt" in result.stderr


@pytest.mark.parametrize("scope", ["params", "steps", "env", "run"])
@pytest.mark.parametrize("field", ["writes", "reads"])
def test_an_item_named_as_a_reference_scope_is_told_why_it_cannot_be_named_there(
    tmp_path: Path, scope: str, field: str
) -> None:
    """`as: params` with `writes: ["out/${params}.txt"]` said "incomplete reference
    `${params}`": the name is the params' scope, not the item's."""
    (tmp_path / "isteps.py").write_text(f"def f({scope}):\n    return {scope}\n")
    (tmp_path / "p.yaml").write_text(
        "name: p\nsteps:\n"
        f'  a: {{run: isteps.f, foreach: [x, y], as: {scope}, {field}: ["out/${{{scope}}}.txt"]}}\n'
    )
    with pytest.raises(pipeflow.ConfigError) as raised:
        pipeflow.load(tmp_path / "p.yaml")
    (problem,) = raised.value.problems
    assert problem.path == f"steps.a.{field}[0]"
    assert problem.message == (
        f"`${{{scope}}}` is the `{scope}` scope of references, not the `foreach` item `as: "
        f"{scope}` names"
    )
    assert problem.hint == f"give the item another name with `as:` (e.g. `as: {scope}_item`)"
