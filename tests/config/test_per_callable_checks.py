"""What validation works out once per callable, not once per step, still gives each step its
own report, at its own place.

Steps that share a `run:` path share its signature's verdict on the input names they give, and
the live-object check of the imported module; a step giving other names gets its own verdict.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

import pipeflow
from pipeflow.errors import ConfigError
from pipeflow.importing import resolve, signatures
from tests.conftest import ProjectFactory


@pytest.fixture(autouse=True)
def _fresh_step_modules(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    for name in ("shared_f", "rebinds_f"):
        monkeypatch.delitem(sys.modules, name, raising=False)


SHARED = """
name: shared
steps:
  src: {run: shared_f.source}
  a: {run: shared_f.f, inputs: {x: "${steps.src}", y: 1}}
  b: {run: shared_f.f, inputs: {y: 1}}
  c: {run: shared_f.f, inputs: {x: 1}}
  d: {run: shared_f.f, inputs: {y: 2, x: 1}}
  e: {run: shared_f.f, foreach: [1, 2]}
  f: {run: shared_f.f, foreach: [1, 2], as: x}
  g: {run: shared_f.f, inputs: {y: 1}}
  h: {run: shared_f.f, inputs: {x: 1, z: 1}}
"""
SHARED_MODULE = "def source():\n    return 1\n\ndef f(x):\n    return x\n"


def test_steps_sharing_a_callable_each_get_the_problems_of_their_own_inputs(
    make_project: ProjectFactory,
) -> None:
    config = make_project(SHARED, shared_f=SHARED_MODULE)
    with pytest.raises(ConfigError) as raised:
        pipeflow.load(config)
    found = [(p.path, p.line, p.message) for p in raised.value.problems]
    unknown_y = "unknown input `y`: the function takes no such argument"
    missing_x = "missing input `x`: the function requires it"
    assert found == [
        ("steps.a.inputs.y", 5, f"step `a` (shared_f.f): {unknown_y}"),
        ("steps.b.inputs", 6, f"step `b` (shared_f.f): {missing_x}"),
        ("steps.b.inputs.y", 6, f"step `b` (shared_f.f): {unknown_y}"),
        ("steps.d.inputs.y", 8, f"step `d` (shared_f.f): {unknown_y}"),
        (
            "steps.e.foreach",
            9,
            "step `e` (shared_f.f): unknown input `item`: the `foreach` item goes to the "
            "function as `item`, and the function takes no such argument",
        ),
        ("steps.g.inputs", 11, f"step `g` (shared_f.f): {missing_x}"),
        ("steps.g.inputs.y", 11, f"step `g` (shared_f.f): {unknown_y}"),
        (
            "steps.h.inputs.z",
            12,
            "step `h` (shared_f.f): unknown input `z`: the function takes no such argument",
        ),
    ]


def test_a_callables_signature_is_asked_once_per_set_of_input_names(
    make_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[tuple[str, ...]] = []
    original = signatures.Signature.problems

    def counting(
        self: signatures.Signature, given: Any, *, item: str | None = None, kind: str = "yaml"
    ) -> list[tuple[str, str | None]]:
        given = tuple(given)
        asked.append(given)
        return original(self, given, item=item, kind=kind)

    monkeypatch.setattr(signatures.Signature, "problems", counting)
    config = make_project(SHARED, shared_f=SHARED_MODULE)
    with pytest.raises(ConfigError):
        pipeflow.load(config)
    # b and g give the same names: asked once; every other step gives names of its own (f's
    # `x` is its `foreach` item, c's an input: a name that does not fit is told apart).
    assert sorted(asked) == sorted(
        [(), ("x", "y"), ("y",), ("x",), ("x",), ("y", "x"), ("item",), ("x", "z")]
    )


# The source shows a function; the live module holds another (the source cannot tell).
REBINDS = """
import os
import sys


def f(x):
    return x


setattr(sys.modules[__name__], "f", os.system)
"""


def test_every_step_naming_a_refused_live_object_gets_its_own_report(
    make_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = make_project(
        """
        name: rebinds
        steps:
          a: {run: rebinds_f.f, inputs: {x: 1}}
          b: {run: rebinds_f.f, inputs: {x: 2}}
          c: {run: "rebinds_f:f", inputs: {x: 3}}
        """,
        rebinds_f=REBINDS,
    )
    verified: list[str] = []
    original = resolve.Resolver.verify

    def counting(self: resolve.Resolver, dotted: str) -> None:
        verified.append(dotted)
        original(self, dotted)

    monkeypatch.setattr(resolve.Resolver, "verify", counting)
    with pytest.raises(ConfigError) as raised:
        pipeflow.load(config)
    found = [(p.path, p.line) for p in raised.value.problems]
    assert found == [("steps.a.run", 4), ("steps.b.run", 5), ("steps.c.run", 6)]
    messages = {p.message.replace("rebinds_f:f", "rebinds_f.f") for p in raised.value.problems}
    assert len(messages) == 1
    assert "which `rebinds_f` did not define" in messages.pop()
    assert sorted(verified) == ["rebinds_f.f", "rebinds_f:f"]  # once per path, not per step


def test_the_memo_lives_for_one_load(make_project: ProjectFactory, tmp_path: Path) -> None:
    """A fixed module validates cleanly: nothing of the previous load's verdicts stays."""
    config = make_project(SHARED, shared_f=SHARED_MODULE)
    with pytest.raises(ConfigError):
        pipeflow.load(config)
    (tmp_path / "shared_f.py").write_text(
        "def source():\n    return 1\n\ndef f(x=0, y=0, item=0, z=0):\n    return x\n",
        encoding="utf-8",
    )
    sys.modules.pop("shared_f", None)
    pipeflow.load(config)
