"""A sub-pipeline kept in a folder of its own shares one cache with itself run alone: its
steps' code is named relative to its own folder, whichever config is the entry point (it was
named relative to the parent's, `sub/cst/m.py`, and every step ran again "now using" it)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.cache.test_caching import edit

MODULE = "def add(a, b):\n    return a + b\n"
CHILD = """\
name: child
params: {k: 2}
steps:
  s: {run: cst.m.add, inputs: {a: 1, b: "${params.k}"}}
  t: {run: cst.helpers.twice, inputs: {v: "${steps.s}"}}
outputs: {t: "${steps.t}"}
"""
HELPERS = "from cst.m import add\n\n\ndef twice(v):\n    return add(v, v)\n"

# Where the child sits, seen from the parent's folder: below it, nested two deep (a child
# that runs a grandchild of its own), and beside it (`../lib`).
PLACES = {
    "a subfolder": ("project/sub", "sub/child.yaml"),
    "a subfolder two deep": ("project/sub/deeper", "sub/deeper/child.yaml"),
    "a folder beside it": ("lib", "../lib/child.yaml"),
}


def pipeflow(folder: Path, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "pipeflow", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def project(tmp_path: Path, place: str) -> tuple[Path, Path]:
    """(the parent's config, the child's), the child with its own `cst` package."""
    folder, reference = PLACES[place]
    child = tmp_path / folder
    (child / "cst").mkdir(parents=True)
    (child / "cst" / "__init__.py").write_text("")
    (child / "cst" / "m.py").write_text(MODULE)
    (child / "cst" / "helpers.py").write_text(HELPERS)
    (child / "child.yaml").write_text(CHILD)
    parent = tmp_path / "project" / "parent.yaml"
    parent.parent.mkdir(exist_ok=True)
    parent.write_text(f"name: parent\nsteps:\n  c: {{pipeline: {reference}}}\n")
    return parent, child / "child.yaml"


def status(config: Path) -> dict[str, str]:
    """Each step's status line, by step."""
    shown = pipeflow(config.parent, "status", config.name)
    return {line.split()[0]: line for line in shown.splitlines() if line.strip()}


@pytest.mark.parametrize("executor", ["sequential", "threads"])
@pytest.mark.parametrize("place", PLACES)
def test_the_child_run_alone_first_fills_the_parents_cache(
    tmp_path: Path, place: str, executor: str
) -> None:
    parent, child = project(tmp_path, place)
    pipeflow(child.parent, "run", child.name, "-q", "--executor", executor)

    shown = status(parent)

    assert "cached" in shown["c/s"], shown
    assert "cached" in shown["c/t"], shown


@pytest.mark.parametrize("place", PLACES)
def test_the_parent_run_first_fills_the_childs_cache(tmp_path: Path, place: str) -> None:
    parent, child = project(tmp_path, place)
    pipeflow(parent.parent, "run", parent.name, "-q")

    shown = status(child)

    assert "cached" in shown["s"], shown
    assert "cached" in shown["t"], shown


def test_a_nested_child_in_a_subfolder_shares_its_cache_with_itself_alone(tmp_path: Path) -> None:
    parent, child = project(tmp_path, "a subfolder two deep")
    middle = tmp_path / "project" / "sub" / "middle.yaml"
    middle.write_text("name: middle\nsteps:\n  inner: {pipeline: deeper/child.yaml}\n")
    parent.write_text("name: parent\nsteps:\n  outer: {pipeline: sub/middle.yaml}\n")
    pipeflow(child.parent, "run", child.name, "-q")

    shown = status(parent)

    assert "cached" in shown["outer/inner/s"], shown
    assert "cached" in shown["outer/inner/t"], shown


def test_a_change_to_the_childs_code_is_still_seen_through_the_parent(tmp_path: Path) -> None:
    """The same names, other code: the key still tells them apart, and says where."""
    parent, child = project(tmp_path, "a subfolder")
    pipeflow(child.parent, "run", child.name, "-q")
    edit(child.parent / "cst" / "m.py", "a + b", "b + a + 0")

    shown = status(parent)

    assert "run" in shown["c/s"], shown
    assert "cst/m.py" in shown["c/s"], shown
    assert "sub/cst" not in shown["c/s"], shown


def test_a_module_of_the_parent_with_the_same_name_is_what_counts(tmp_path: Path) -> None:
    """The parent's folder comes first on sys.path, so a module both folders have (`shared`,
    which the child's helpers import) is the parent's in the parent's run: that code is what
    the key is made of there, not the child's file of the same name (which the child alone
    ran). Two files of one name are never taken for one another."""
    parent, child = project(tmp_path, "a subfolder")
    edit(child.parent / "cst" / "helpers.py", "from cst.m import add", "from shared import add")
    (child.parent / "shared.py").write_text(MODULE)
    pipeflow(child.parent, "run", child.name, "-q")
    (parent.parent / "shared.py").write_text("def add(a, b):\n    return a * b\n")

    shown = status(parent)

    assert "cached" in shown["c/s"], shown
    assert "cached" not in shown["c/t"], shown
