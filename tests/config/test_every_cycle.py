"""Every group of steps caught in a cycle is reported, each at its first step, in one report.

Validation reported one cycle and stopped looking: a config with `a -> b -> a` and, apart from
them, `c -> d -> c` (by `after:`) and `e -> f -> e` (by `reads:`/`writes:`) showed the first,
and each of the others only after the one before it was fixed (SPEC 3: all problems at once).
"""

from __future__ import annotations

from pathlib import Path

import pytest

import pipeflow
from tests.system import pipeflow_in

STEPS = "def f(x=None):\n    return x\n"

YAML = """\
name: knots
steps:
  a: {run: csteps.f, inputs: {x: "${steps.b}"}}
  b: {run: csteps.f, inputs: {x: "${steps.a}"}}
  c: {run: csteps.f, after: [d]}
  d: {run: csteps.f, inputs: {x: "${steps.c}"}}
  e: {run: csteps.f, reads: [f.txt], writes: [e.txt]}
  f: {run: csteps.f, reads: [e.txt], writes: [f.txt]}
  g: {run: csteps.f, inputs: {x: "${steps.a}"}}
"""
TOML = """\
name = "knots"
[steps.a]
run = "csteps.f"
inputs = {x = "${steps.b}"}
[steps.b]
run = "csteps.f"
inputs = {x = "${steps.a}"}
[steps.c]
run = "csteps.f"
after = ["d"]
[steps.d]
run = "csteps.f"
inputs = {x = "${steps.c}"}
[steps.e]
run = "csteps.f"
reads = ["f.txt"]
writes = ["e.txt"]
[steps.f]
run = "csteps.f"
reads = ["e.txt"]
writes = ["f.txt"]
[steps.g]
run = "csteps.f"
inputs = {x = "${steps.a}"}
"""

CYCLES = ["a -> b -> a", "c -> d -> c", "e -> f -> e"]


@pytest.mark.parametrize(("name", "text"), [("p.yaml", YAML), ("p.toml", TOML)])
def test_every_cycle_is_reported_at_once(tmp_path: Path, name: str, text: str) -> None:
    (tmp_path / "csteps.py").write_text(STEPS)
    (tmp_path / name).write_text(text)
    with pytest.raises(pipeflow.ConfigError) as raised:
        pipeflow.load(tmp_path / name)
    found = [(p.path, p.message) for p in raised.value.problems]
    assert found == [
        (f"steps.{cycle[0]}", f"the steps depend on each other in a cycle: {cycle}")
        for cycle in CYCLES
    ]
    for command in ("validate", "run"):
        result = pipeflow_in(tmp_path, command, name)
        assert result.returncode == 2, result.stderr
        assert "3 problems found" in result.stderr, result.stderr
        for cycle in CYCLES:
            assert cycle in result.stderr, result.stderr
