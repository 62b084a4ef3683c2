"""Importing `steps.sub.core` runs `steps/__init__.py` and `steps/sub/__init__.py` first, and
what they import: an edit there counts in the key of a step that imports the module, as an
edit of the module does. Two patterns users have: a package `__init__.py` that configures a
submodule (`core.FACTOR = 2`), and a registry package whose `__init__.py` imports the modules
that register themselves (`models/__init__.py`: `from . import linear`), used through
`models.registry`. Before, such edits left the step cached with its old value."""

from __future__ import annotations

from pathlib import Path

import pytest

import pipeflow
from tests.cache.editing import assert_nothing_stale, rerun_after

FILES = {
    "steps/__init__.py": "",
    "steps/sub/__init__.py": "from . import core\ncore.FACTOR = 2\n",
    "steps/sub/core.py": "FACTOR = 1\n\n\ndef base():\n    return 10 * FACTOR\n",
    "steps/s.py": "from steps.sub.core import base\n\n\ndef g():\n    return base()\n",
    "steps/other.py": "def h():\n    return 1\n",
    "models/__init__.py": "from . import linear\n",
    "models/registry.py": (
        "MODELS = {}\n\n\ndef register(f):\n    MODELS[f.__name__] = f\n    return f\n\n\n"
        "def get(name):\n    return MODELS[name]\n"
    ),
    "models/linear.py": (
        "from models.registry import register\n\n\n@register\ndef linear(x):\n    return 2 * x\n"
    ),
    "fit.py": "from models.registry import get\n\n\ndef fit():\n    return get('linear')(5)\n",
    "lonely/__init__.py": "",
    "lonely/tool.py": "def t():\n    return 1\n",
}
CONFIG = """
name: inits
results: {root: out}
steps:
  g: {run: steps.s.g}
  h: {run: steps.other.h}
  fit: {run: fit.fit}
  t: {run: lonely.tool.t}
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    for name, text in FILES.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    config = tmp_path / "pipeline.yaml"
    config.write_text(CONFIG)
    run = pipeflow.load(config).run()
    assert run.ok, run.failed
    assert (run.output("g"), run.output("fit")) == (20, 10)
    return config


@pytest.mark.parametrize(
    ("file", "old", "new", "runs"),
    [
        ("steps/sub/__init__.py", "FACTOR = 2", "FACTOR = 3", {"g"}),
        ("steps/__init__.py", "", "LEVEL = 1\n", {"g", "h"}),
        ("models/linear.py", "2 * x", "3 * x", {"fit"}),
        ("models/__init__.py", "from . import linear\n", "from . import linear\nV = 2\n", {"fit"}),
        ("lonely/__init__.py", "", "X = 1\n", {"t"}),
    ],
)
def test_an_edit_of_a_package_init_or_what_it_imports_reruns_who_imports_below_it(
    config: Path, file: str, old: str, new: str, runs: set[str]
) -> None:
    ran, reasons = rerun_after(config, config.parent / file, old, new)
    assert ran == runs, reasons
    assert f"code of {file} changed" in reasons, reasons
    assert_nothing_stale(config, ["g", "h", "fit", "t"])
