"""A step whose module takes names with `from helpers import *`: the modules it star-imports
count in its key, as an explicit import would. Before, they did not: after an edit of
`helpers.scale`, a step calling `scale` stayed cached and served its old value."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import pipeflow
from pipeflow.cache.code import CodeFingerprinter
from tests.cache.editing import assert_nothing_stale, rerun_after

FILES = {
    "helpers.py": "def scale(x):\n    return x * 2\n",
    "other.py": "def unrelated():\n    return 0\n",
    "pkg/__init__.py": "",
    "pkg/h.py": "def shift(x):\n    return x + 1\n",
    "pkg/steps.py": "from .h import *\n\n\ndef g(x):\n    return shift(x)\n",
    "st.py": textwrap.dedent(
        """
        from math import *

        import other
        from helpers import *


        def f(x):
            return scale(x)


        def root(x):
            return sqrt(x)
        """
    ),
}

CONFIG = """
name: star
steps:
  f: {run: st.f, inputs: {x: 3}}
  g: {run: pkg.steps.g, inputs: {x: 3}}
  root: {run: st.root, inputs: {x: 4.0}}
"""

EDITS = {
    "a star-imported module": ("helpers.py", "x * 2", "x * 3", {"f"}),
    "a relative star import in a package": ("pkg/h.py", "x + 1", "x + 2", {"g"}),
    "a module imported by name, not used": ("other.py", "return 0", "return 1", set()),
}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for name, text in FILES.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    (tmp_path / "pipeline.yaml").write_text(textwrap.dedent(CONFIG))
    assert pipeflow.load(tmp_path / "pipeline.yaml").run().ok
    return tmp_path


@pytest.mark.parametrize("edit", EDITS)
def test_an_edit_of_a_star_imported_module_reruns_the_steps_using_it(
    project: Path, edit: str
) -> None:
    file, old, new, changed = EDITS[edit]
    ran, reasons = rerun_after(project / "pipeline.yaml", project / file, old, new)
    assert ran == changed, reasons
    assert_nothing_stale(project / "pipeline.yaml", ("f", "g", "root"))


def test_a_star_import_of_the_standard_library_adds_nothing(project: Path) -> None:
    parts = CodeFingerprinter(str(project)).fingerprint("st.root").parts
    assert set(parts) == {"st.py::root"}, parts


def test_the_files_shipped_with_a_step_include_what_it_star_imports(project: Path) -> None:
    files = CodeFingerprinter(str(project)).project_files("pkg.steps.g")
    assert {path.relative_to(project).as_posix() for path in files} == {
        "pkg/__init__.py",
        "pkg/h.py",
        "pkg/steps.py",
    }
