"""A `when:` that names a cached step's value is worked out before the run, from the stored
value, so `status`, `run --dry-run` and the run's plan say "`when` is false" for a step the run
will skip, rather than "run" (SPEC section 5: status lists each step with its reason).

Only values small enough to read at once count (a part of a step with `outputs:` counts alone);
a step that runs, a large value and a damaged result leave `when:` to the run, which decides it
once the value exists. A cached `foreach` step's value is the list of its items' stored results
(`foreach: []` is cached before any run: its value is `[]`, which is false).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import pipeflow
from pipeflow.cli import cli
from pipeflow.model.run import StepState
from tests.conftest import ProjectFactory

STEPS = """
def gate(x: int) -> bool:
    return x > 10


def split(x: int) -> dict:
    return {"flag": x > 10, "data": "x" * 100_000}


def check(x: int) -> dict:
    return {"ok": x > 10, "n": x}


def big(x: int) -> dict:
    # About 100 KB of JSON in one part: too large to read before the run.
    return {"ok": x > 10, "pad": "x" * 100_000}


def single(x: int) -> dict:
    return {"value": x > 10}


def word(x: int) -> str:
    return "yes" if x > 10 else "no"


def many(x: int) -> list:
    return [x]


def echo(x):
    return x
"""

CONFIG = """
name: gated
params: {n: 5}
results: {root: out}
steps:
  gate: {run: wsteps.gate, inputs: {x: "${params.n}"}}
  split: {run: wsteps.split, inputs: {x: "${params.n}"}, outputs: [flag, data]}
  check: {run: wsteps.check, inputs: {x: "${params.n}"}}
  big: {run: wsteps.big, inputs: {x: "${params.n}"}}
  items: {run: wsteps.many, foreach: [], as: x}
  by_gate: {run: wsteps.echo, inputs: {x: 1}, when: "${steps.gate}"}
  by_part: {run: wsteps.echo, inputs: {x: 2}, when: "${steps.split.flag}"}
  by_key: {run: wsteps.echo, inputs: {x: 3}, when: "${steps.check.ok}"}
  word: {run: wsteps.word, inputs: {x: "${params.n}"}}
  single: {run: wsteps.single, inputs: {x: "${params.n}"}, outputs: [value]}
  by_single: {run: wsteps.echo, inputs: {x: 7}, when: "${steps.single.value}"}
  by_text: {run: wsteps.echo, inputs: {x: 4}, when: "${steps.word}"}
  by_big: {run: wsteps.echo, inputs: {x: 5}, when: "${steps.big.ok}"}
  by_items: {run: wsteps.echo, inputs: {x: 6}, when: "${steps.items}"}
  after_skip: {run: wsteps.echo, inputs: {x: "${steps.by_gate}"}}
"""
KNOWN = (
    "by_gate",
    "by_part",
    "by_key",
    "by_text",
    "by_single",
)  # worked out from the store when cached


@pytest.fixture(autouse=True)
def _fresh_step_modules(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delitem(sys.modules, "wsteps", raising=False)


@pytest.fixture
def config(make_project: ProjectFactory) -> Path:
    return make_project(CONFIG, wsteps=STEPS)


def _status(config: Path, *args: str) -> dict[str, Any]:
    shown = CliRunner().invoke(cli, ["status", str(config), "--json", *args])
    assert shown.exit_code == 0, shown.output
    document = json.loads(shown.stdout)
    return {row["step"]: (row["action"], row["reason"]) for row in document["steps"]}


def test_before_the_first_run_nothing_is_known(config: Path) -> None:
    rows = _status(config)
    for name in (*KNOWN, "by_big"):
        assert rows[name][0] == "run", name
    assert rows["by_items"] == ("skipped", "`when` is false")  # no item: `[]`, known


def test_a_false_when_read_from_the_store_skips_before_the_run(config: Path) -> None:
    first = pipeflow.load(config).run()
    assert first.ok, first.outcomes
    for name in (*KNOWN, "by_big", "by_items", "after_skip"):
        assert first.state(name) is StepState.SKIPPED, name
    rows = _status(config)
    for name in (*KNOWN, "by_items"):
        assert rows[name] == ("skipped", "`when` is false"), name
    assert rows["after_skip"] == ("skipped", "needs `by_gate`, which is skipped")
    # Too large to read before the run: left to the run.
    assert rows["by_big"] == ("run", "no stored result yet")
    dry = CliRunner().invoke(cli, ["run", str(config), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "`when` is false" in dry.stdout
    second = pipeflow.load(config).run()
    assert second.ok
    for name in (*KNOWN, "by_big", "by_items", "after_skip"):
        assert second.state(name) is StepState.SKIPPED, name
        assert second.outcomes[name].reason in (
            "`when` is false",
            "needs `by_gate`, which is skipped",
        )


def test_a_true_when_read_from_the_store_decides_as_usual(config: Path) -> None:
    assert pipeflow.load(config, params={"n": 20}).run().ok
    rows = _status(config, "--param", "n=20")
    for name in (*KNOWN, "by_big", "after_skip"):
        assert rows[name][0] == "cached", (name, rows[name])
    assert rows["by_items"] == ("skipped", "`when` is false")  # an empty list is false


def test_a_step_that_runs_leaves_when_to_the_run(config: Path) -> None:
    assert pipeflow.load(config).run().ok
    rows = _status(config, "--force", "gate")
    assert rows["by_gate"][0] == "run"
    assert rows["by_text"] == ("skipped", "`when` is false")  # word is still cached
    assert rows["by_part"] == ("skipped", "`when` is false")  # split is still cached
    # and the run decides it once gate has run: still false
    run = pipeflow.load(config).run(force="gate")
    assert run.state("by_gate") is StepState.SKIPPED
    assert run.outcomes["by_gate"].reason == "`when` is false"


def test_a_damaged_stored_value_leaves_when_to_the_run(config: Path, tmp_path: Path) -> None:
    assert pipeflow.load(config).run().ok
    for journal in (tmp_path / "out" / ".pipeflow" / "journal").rglob("*.log"):
        data = journal.read_bytes()
        # Every stored `false` of the gate-like steps becomes `fals!`: its checksum fails.
        journal.write_bytes(data.replace(b"false", b"fals!"))
    rows = _status(config)
    assert rows["by_gate"][0] == "run"
