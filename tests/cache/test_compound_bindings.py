"""Names a step's module binds inside a compound statement at its top level: `try: from fast
import scale / except ImportError: def scale...`, `if sys.version_info ...: def offset()`,
`with`, `for`. What the step uses of them counts in its key (the whole statement, and what it
imports). Before, such a name counted for nothing: after an edit of `fast.scale`, or of the
`offset` in the `if`, the step stayed cached and served its old value."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import pipeflow
from tests.cache.editing import assert_nothing_stale, rerun_after

STEPS = """
import contextlib
import sys

try:
    from fast import scale
except ImportError:
    def scale(x):
        return x

if sys.version_info >= (3, 8):
    def offset():
        return 1
else:
    def offset():
        return 2

with contextlib.suppress(Exception):
    FACTOR = 10

for _name in ("a",):
    PREFIX = _name


def f(x):
    return scale(x) + offset()


def g(x):
    return x * FACTOR


def h():
    return PREFIX


def plain(x):
    return x
"""

CONFIG = """
name: compound
steps:
  f: {run: st.f, inputs: {x: 3}}
  g: {run: st.g, inputs: {x: 3}}
  h: {run: st.h}
  plain: {run: st.plain, inputs: {x: 3}}
"""

EDITS = {
    "a module imported in a try": ("fast.py", "x * 2", "x * 3", {"f"}),
    "a def in an if": ("st.py", "        return 1", "        return 5", {"f"}),
    "a constant set in a with": ("st.py", "FACTOR = 10", "FACTOR = 20", {"g"}),
    "a name bound by a for": ('("a",)', '("b",)', None, {"h"}),
}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "fast.py").write_text("def scale(x):\n    return x * 2\n")
    (tmp_path / "st.py").write_text(textwrap.dedent(STEPS))
    (tmp_path / "pipeline.yaml").write_text(textwrap.dedent(CONFIG))
    assert pipeflow.load(tmp_path / "pipeline.yaml").run().ok
    return tmp_path


@pytest.mark.parametrize("edit", EDITS)
def test_an_edit_of_a_name_bound_in_a_compound_statement_reruns_its_users(
    project: Path, edit: str
) -> None:
    file, old, new, changed = EDITS[edit]
    if new is None:  # (old, new) are the text itself, in st.py
        file, old, new = "st.py", file, old
    ran, reasons = rerun_after(project / "pipeline.yaml", project / file, old, new)
    assert ran == changed, reasons
    assert_nothing_stale(project / "pipeline.yaml", ("f", "g", "h", "plain"))
