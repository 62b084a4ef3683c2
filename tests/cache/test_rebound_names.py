"""A name bound by several top-level statements (`def helper` then `helper =
lru_cache(helper)`, `FACTOR = 2` then `FACTOR += 1`) or changed by one (`CONFIG.update(b=2)`,
`ITEMS.append(5)`): every one of them counts in the key of a step using the name (the step
itself too, when it is rebound). Before, only the last binding counted: an edit of `helper`'s
body, of `FACTOR = 2` or of the `update` left the step cached, serving its old value."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import pipeflow
from tests.cache.editing import assert_nothing_stale, rerun_after

STEPS = """
import functools

FACTOR = 2
FACTOR += 1
CONFIG = {"a": 1}
CONFIG.update(b=2)
ITEMS = []
ITEMS.append(5)
print("imported")


def helper(x):
    return x * 2


helper = functools.lru_cache(helper)


def step(x):
    return helper(x) + FACTOR


def wrapped(x):
    return x


wrapped = functools.lru_cache(wrapped)


def plain(x):
    return x


def settings():
    return CONFIG["b"] + sum(ITEMS)
"""

CONFIG = """
name: rebound
steps:
  step: {run: st.step, inputs: {x: 3}}
  wrapped: {run: st.wrapped, inputs: {x: 3}}
  plain: {run: st.plain, inputs: {x: 3}}
  settings: {run: st.settings}
"""

EDITS = {
    "the def of a rebound helper": ("    return x * 2", "    return x * 5", {"step"}),
    "the rebinding of a helper": ("lru_cache(helper)", "lru_cache(maxsize=4)(helper)", {"step"}),
    "a constant's first binding": ("FACTOR = 2", "FACTOR = 4", {"step"}),
    "a constant's augmented assignment": ("FACTOR += 1", "FACTOR += 7", {"step"}),
    "a call that updates a mapping": ("CONFIG.update(b=2)", "CONFIG.update(b=3)", {"settings"}),
    "a call that appends to a list": ("ITEMS.append(5)", "ITEMS.append(6)", {"settings"}),
    "a call of a builtin": ('print("imported")', 'print("loaded")', set()),
    "the rebinding of the step itself": (
        "lru_cache(wrapped)",
        "lru_cache(maxsize=2)(wrapped)",
        {"wrapped"},
    ),
}


@pytest.mark.parametrize("edit", EDITS)
def test_every_binding_of_a_name_counts(tmp_path: Path, edit: str) -> None:
    (tmp_path / "st.py").write_text(textwrap.dedent(STEPS))
    (tmp_path / "pipeline.yaml").write_text(textwrap.dedent(CONFIG))
    assert pipeflow.load(tmp_path / "pipeline.yaml").run().ok
    old, new, changed = EDITS[edit]
    ran, reasons = rerun_after(tmp_path / "pipeline.yaml", tmp_path / "st.py", old, new)
    assert ran == changed, reasons
    assert_nothing_stale(tmp_path / "pipeline.yaml", ("step", "wrapped", "plain", "settings"))
