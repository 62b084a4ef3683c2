"""A step named through a class (`models:Model.make`, a static or class method, or a method
given its instance): its code is the whole class, with its bases and what they use, since a
method reaches every member through `cls` or `self`. Before, only the method's own body
counted: after an edit of `__init__` that changed what `Model.make` returns, the step stayed
cached and served its old value."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import pipeflow
from tests.cache.editing import assert_nothing_stale, rerun_after

MODELS = """
def helper(x):
    return x + 1


def unrelated():
    return 0


class Base:
    def offset(self):
        return 100


class Model(Base):
    def __init__(self, k=2):
        self.k = k

    def scale(self, x):
        return x * self.k + self.offset()

    @classmethod
    def make(cls, k):
        return cls(k).scale(1)

    @classmethod
    def build(cls, k):
        return cls(k)

    @staticmethod
    def check(x):
        return helper(x)

    def fit(self, x):
        return self.scale(x)
"""

CONFIG = """
name: classes
steps:
  made: {run: "models:Model.make", inputs: {k: 4}}
  checked: {run: "models:Model.check", inputs: {x: 5}}
  built: {run: "models:Model.build", inputs: {k: 3}, result: {format: pickle}}
  fitted: {run: "models:Model.fit", inputs: {self: "${steps.built}", x: 2}}
"""

# Every step named through `Model` counts the whole class: `checked` too, although it calls
# no other member (a static method may, through the class's name).
CLASS = {"made", "checked", "built"}
EDITS = {
    "__init__": ("self.k = k", "self.k = k * 10", CLASS),
    "a method it calls through self or cls": (
        "return x * self.k + self.offset()",
        "return x * self.k + self.offset() + 1",
        CLASS,
    ),
    "a base class": ("return 100", "return 200", CLASS),
    "a function the class uses": ("return x + 1", "return x + 2", CLASS),
    "an unrelated function": ("return 0", "return 1", set()),
}


@pytest.mark.parametrize("edit", EDITS)
def test_an_edit_a_class_step_can_reach_reruns_it(tmp_path: Path, edit: str) -> None:
    (tmp_path / "models.py").write_text(textwrap.dedent(MODELS))
    (tmp_path / "pipeline.yaml").write_text(textwrap.dedent(CONFIG))
    first = pipeflow.load(tmp_path / "pipeline.yaml").run()
    assert first.ok, {name: outcome.error for name, outcome in first.outcomes.items()}
    old, new, changed = EDITS[edit]
    config = tmp_path / "pipeline.yaml"
    ran, reasons = rerun_after(config, tmp_path / "models.py", old, new)
    # `fitted` takes `built`'s value: it runs after `built` ran, whatever the edit.
    assert ran - {"fitted"} == changed, reasons
    for name in changed:
        assert f"{name}: code of models.py changed" in reasons, reasons
    assert_nothing_stale(config, ("made", "checked", "fitted"))
