"""A value and its text are different inputs: a list param of dates and the same list of ISO
texts (what a JSON params file holds, JSON having no dates), bytes and their text, a set and a
list, give a step different cache keys, so a result made from one is never taken for the
other. Before, both had one key: the run given texts took the result made from dates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.system import pipeflow_in as pipeflow

STEPS = "def kinds(values):\n    return sorted(type(value).__name__ for value in values)\n"


@pytest.mark.parametrize(
    ("default", "given", "kinds"),
    [
        ("[2024-01-01]", ["2024-01-01"], ["str"]),
        ("[2024-01-01T10:00:00+00:00]", ["2024-01-01T10:00:00+00:00"], ["str"]),
        ("[!!binary aGk=]", ["b'hi'"], ["str"]),
    ],
    ids=("date", "datetime", "bytes"),
)
def test_a_value_and_its_text_have_different_keys(
    tmp_path: Path, default: str, given: list[str], kinds: list[str]
) -> None:
    (tmp_path / "st").mkdir()
    (tmp_path / "st" / "__init__.py").write_text("")
    (tmp_path / "st" / "e.py").write_text(STEPS)
    (tmp_path / "p.yaml").write_text(
        f"name: p\nparams:\n  values: {default}\n"
        'steps:\n  a: {run: st.e.kinds, inputs: {values: "${params.values}"}}\n'
    )
    (tmp_path / "f.json").write_text(json.dumps({"values": given}))
    first = pipeflow(tmp_path, "run", "p.yaml", "-q")
    assert first.returncode == 0, first.stdout + first.stderr

    status = pipeflow(tmp_path, "status", "p.yaml", "--param-file", "f.json")
    assert status.returncode == 0, status.stdout + status.stderr
    assert status.stdout.split()[:2] == ["a", "run"], status.stdout
    again = pipeflow(tmp_path, "run", "p.yaml", "-q", "--param-file", "f.json", "--json", "-")
    assert again.returncode == 0, again.stdout + again.stderr
    shown = pipeflow(tmp_path, "result", "p.yaml", "a", "--param-file", "f.json", "--show")
    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert json.dumps(kinds) in shown.stdout.replace("'", '"')


@pytest.mark.parametrize(
    "where",
    [
        'params:\n  m: {0: a, x: b}\nsteps:\n  s: {run: st.e.show, inputs: {m: "${params.m}"}}\n',
        "steps:\n  s: {run: st.e.show, inputs: {m: {0: a, x: {1: c, y: d}}}}\n",
    ],
    ids=["param", "literal input"],
)
def test_a_mapping_whose_keys_are_numbers_and_texts_runs_and_is_cached(
    tmp_path: Path, where: str
) -> None:
    """`{0: a, x: b}` is data YAML holds: a run takes it (it used to fail with a TypeError
    traceback while computing the step's key), records it, and finds it cached next time."""
    (tmp_path / "st").mkdir()
    (tmp_path / "st" / "__init__.py").write_text("")
    (tmp_path / "st" / "e.py").write_text("def show(m):\n    return sorted(map(str, m))\n")
    (tmp_path / "p.yaml").write_text(f"name: p\n{where}")
    first = pipeflow(tmp_path, "run", "p.yaml", "--json", "report.json")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "Traceback" not in first.stderr
    again = pipeflow(tmp_path, "run", "p.yaml")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "s: cached" in again.stdout
    shown = pipeflow(
        tmp_path, "runs", "show", json.loads((tmp_path / "report.json").read_text())["run_id"]
    )
    assert shown.returncode == 0, shown.stdout + shown.stderr
