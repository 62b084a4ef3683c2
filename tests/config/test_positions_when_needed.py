"""Positions are found only when a problem needs one: the reports must not change.

A YAML file that needs nothing reported (text keys written once, known tags, no merge keys, no
aliases) is read without recording where each key and value is; a TOML file's positions are
scanned only when asked for. Whatever is asked afterwards gets what the full reader gives.
"""

from __future__ import annotations

import datetime
import textwrap
from pathlib import Path
from typing import Any

import pytest

from pipeflow.config import loader, reader, toml_reader, yaml_quick
from pipeflow.config.reader import Document, read_text
from pipeflow.errors import ConfigError

CLEAN_YAML = {
    "block": """\
        name: demo
        description: |
          two lines
          of text
        params: {rate: 0.5, n: 3, flag: true, nothing: null, day: 2024-01-31, "quoted key": x}
        steps:
          load:
            run: steps.load
            inputs: {path: data/in.csv, rows: [1, 2, 3]}
          fit:
            run: steps.fit
            inputs:
              frame: ${steps.load}
              options:
                - {depth: 3}
                - [a, b]
        """,
    "json": '{"name": "demo", "steps": {"a": {"run": "m.f", "inputs": {"x": [1, 2.5, null]}}}}',
}
LEFT_TO_THE_FULL_READER = {
    "duplicate key": "name: a\nname: b\nsteps: {}\n",
    "merge key": "base: &base {run: m.f}\nsteps:\n  a:\n    <<: *base\n",
    "alias": "x: &x [1, 2]\ny: *x\n",
    "python tag": "x: !!python/object/apply:os.system [echo]\n",
    "unknown tag": "x: !custom 1\n",
    "key that is not text": "1: one\n2.5: x\n",
    "bad timestamp": "x: !!timestamp nope\n",
}


def full_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every YAML file go through the full reader, as before the quick one existed."""
    monkeypatch.setattr(yaml_quick.Quick, "value", lambda self, root: yaml_quick.UNUSUAL)


def read_both(text: str, kind: str, monkeypatch: pytest.MonkeyPatch) -> tuple[Document, Document]:
    quick = read_text(text, file=f"p.{kind}", kind=kind)
    with monkeypatch.context() as patched:
        full_reader(patched)
        full = read_text(text, file=f"p.{kind}", kind=kind)
    return quick, full


@pytest.mark.parametrize("name", sorted(CLEAN_YAML))
def test_a_plain_yaml_file_is_read_quickly_with_the_positions_of_the_full_reader(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    kind = "json" if name == "json" else "yaml"
    quick, full = read_both(textwrap.dedent(CLEAN_YAML[name]), kind, monkeypatch)
    assert quick.locate is not None  # read quickly: no positions yet
    assert full.locate is None
    assert quick.data == full.data
    assert quick.problems == full.problems == []
    assert quick.key_positions == full.key_positions
    assert quick.value_positions == full.value_positions
    assert quick.locate is None
    assert len(quick.value_positions) > 5


def test_quick_values_have_the_types_of_the_full_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    quick, _ = read_both(textwrap.dedent(CLEAN_YAML["block"]), "yaml", monkeypatch)
    assert quick.data["params"] == {
        "rate": 0.5,
        "n": 3,
        "flag": True,
        "nothing": None,
        "day": datetime.date(2024, 1, 31),
        "quoted key": "x",
    }


@pytest.mark.parametrize("name", sorted(LEFT_TO_THE_FULL_READER))
def test_what_needs_reporting_or_sharing_is_left_to_the_full_reader(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = LEFT_TO_THE_FULL_READER[name]
    try:
        quick = read_text(text, file="p.yaml", kind="yaml")
    except ConfigError as error:
        quick_problems: Any = error.problems
    else:
        assert quick.locate is None  # the full reader read it, positions and all
        quick_problems = quick.problems
    with monkeypatch.context() as patched:
        full_reader(patched)
        try:
            full = read_text(text, file="p.yaml", kind="yaml")
        except ConfigError as error:
            full_problems: Any = error.problems
        else:
            full_problems = full.problems
    assert quick_problems == full_problems


def test_json_spellings_of_infinity_are_still_refused() -> None:
    document = read_text('{"x": Infinity, "name": "a"}', file="p.json", kind="json")
    assert [(p.line, p.column, p.path) for p in document.problems] == [(1, 7, "x")]


def test_a_toml_files_positions_are_scanned_when_first_asked_for() -> None:
    text = 'name = "demo"\n\n[steps.load]\nrun = "steps.load"\ninputs = {x = [1, 2]}\n'
    document = read_text(text, file="p.toml", kind="toml")
    assert document.locate is not None
    assert document.position(["steps", "load", "inputs", "x"]) == reader.Position(5, 15)
    assert document.key_positions[("steps", "load", "run")] == reader.Position(4, 1)
    assert document.locate is None


MISTAKES_YAML = """\
name: mistakes
steps:
  a:
    run: msteps.f
    inputs: {x: "${steps.nope}", y: "${stepz.a}"}
  b:
    runn: msteps.f
  c:
    run: msteps.f
    retries: three
    timeout: 5 parsecs
    inputs: {e: "${env.PIPEFLOW_TEST_SURELY_UNSET}"}
  d: {run: msteps.f, inputs: {x: "${steps.e}"}}
  e: {run: msteps.f, inputs: {x: "${steps.d}"}}
  f: {run: nomodule.f}
"""
MISTAKES_TOML = """\
name = "mistakes"

[steps.a]
run = "msteps.f"
inputs = {x = "${steps.nope}", y = "${stepz.a}"}

[steps.b]
runn = "msteps.f"

[steps.c]
run = "msteps.f"
retries = "three"
timeout = "5 parsecs"
inputs = {e = "${env.PIPEFLOW_TEST_SURELY_UNSET}"}

[steps.d]
run = "msteps.f"
inputs = {x = "${steps.e}"}

[steps.e]
run = "msteps.f"
inputs = {x = "${steps.d}"}

[steps.f]
run = "nomodule.f"
"""


def reported(config: Path) -> list[tuple[Any, ...]]:
    with pytest.raises(ConfigError) as raised:
        loader.load(config)
    return [(p.message, p.line, p.column, p.path, p.hint) for p in raised.value.problems]


@pytest.mark.parametrize(
    ("file", "text"), [("pipeline.yaml", MISTAKES_YAML), ("pipeline.toml", MISTAKES_TOML)]
)
def test_every_kind_of_mistake_is_reported_where_it_is_as_before(
    tmp_path: Path, file: str, text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PIPEFLOW_TEST_SURELY_UNSET", raising=False)
    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "msteps.py").write_text("def f(x=None, y=None, e=None):\n    return x\n")
    config = tmp_path / file
    config.write_text(text, encoding="utf-8")
    quick = reported(config)
    with monkeypatch.context() as patched:
        full_reader(patched)
        eager = Document._find_positions
        # TOML: scan at once, as before; YAML: the full reader records positions as it reads.
        patched.setattr(toml_reader, "read_toml", _eager(toml_reader.read_toml, eager))
        full = reported(config)
    assert quick == full
    assert len(quick) >= 6, quick
    assert all(line is not None for _, line, *_ in quick), quick
    located = {(path, line) for _, line, _, path, _ in quick}
    toml = file.endswith(".toml")
    assert ("steps.a.inputs.y", 5) in located, located  # a reference that cannot be parsed
    assert ("steps.c.retries", 12 if toml else 10) in located, located  # a value of a wrong type


def _eager(read_toml: Any, find: Any) -> Any:
    def eager(text: str, file: str) -> Document | None:
        document = read_toml(text, file)
        if document is not None:
            find(document)
        return document

    return eager


def test_a_valid_config_is_loaded_without_finding_positions(tmp_path: Path) -> None:
    (tmp_path / "msteps.py").write_text("def f(x=None):\n    return x\n")
    yaml_text = (
        "name: ok\nsteps:\n  a: {run: msteps.f}\n  b: {run: msteps.f, inputs: {x: '${steps.a}'}}\n"
    )
    toml_text = 'name = "ok"\n[steps.a]\nrun = "msteps.f"\n[steps.b]\nrun = "msteps.f"\n'
    toml_text += 'inputs = {x = "${steps.a}"}\n'
    for file, text, where in (
        ("pipeline.yaml", yaml_text, reader.Position(4, 12)),
        ("pipeline.toml", toml_text, reader.Position(5, 7)),
    ):
        config = tmp_path / file
        config.write_text(text, encoding="utf-8")
        loaded = loader.load(config)
        assert loaded.document.locate is not None, file  # nothing asked where anything is
        assert loaded.document.position(["steps", "b", "run"]) == where
