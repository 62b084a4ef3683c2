"""Modules imported below a module's top level, or by a constant name through
`importlib.import_module` / `__import__`, count in the key of a step that uses them, as a
top-level import does.

Before, an imported helper module counted whole but not what its functions import: with
`def scale(x): from plugins import fast; return fast.f(x)` in `helpers.py`, an edit of
`plugins/fast.py` left a step calling `scale` cached with its old value. A module a step
imported with `importlib.import_module("plugins.fast")` did not count either.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import pipeflow
from pipeflow.cache.code import CodeFingerprinter
from tests.cache.editing import assert_nothing_stale, rerun_after

PLUGINS = ("fast", "deep", "method", "dyn", "named", "dunder", "top", "rel", "sub")

FILES = {
    "plugins/__init__.py": "",
    **{f"plugins/{name}.py": "def f(x):\n    return x * 2\n" for name in PLUGINS[:-2]},
    "helpers.py": textwrap.dedent(
        """
        import importlib
        from importlib import import_module


        def local_from(x):
            from plugins import fast
            return fast.f(x)


        def local_import(x):
            import plugins.deep
            return plugins.deep.f(x)


        class Scaler:
            def scale(self, x):
                from plugins.method import f
                return f(x)


        def named(x):
            return import_module("plugins.named").f(x)


        def dunder(x):
            __import__("plugins.dunder")
            import sys
            return sys.modules["plugins.dunder"].f(x)


        TOP = importlib.import_module("plugins.top")
        """
    ),
    "pkg/__init__.py": textwrap.dedent(
        """
        def from_init(x):
            from . import sub
            return sub.f(x)
        """
    ),
    "pkg/sub.py": "def f(x):\n    return x * 2\n",
    "pkg/tools.py": textwrap.dedent(
        """
        import importlib


        def relative(x):
            return importlib.import_module(".rel", package=__package__).f(x)
        """
    ),
    "pkg/rel.py": "def f(x):\n    return x * 2\n",
    "st.py": textwrap.dedent(
        """
        import importlib

        import helpers
        from pkg import from_init
        from pkg.tools import relative


        def local_from(x):
            return helpers.local_from(x)


        def local_import(x):
            return helpers.local_import(x)


        def method(x):
            return helpers.Scaler().scale(x)


        def dyn(x):
            return importlib.import_module("plugins.dyn").f(x)


        def named(x):
            return helpers.named(x)


        def dunder(x):
            return helpers.dunder(x)


        def top(x):
            return helpers.TOP.f(x)


        def rel(x):
            return relative(x)


        def sub(x):
            return from_init(x)


        def plain(x):
            return x
        """
    ),
}

STEPS = ("local_from", "local_import", "method", "dyn", "named", "dunder", "top", "rel", "sub")

EDITS = {
    "a helper function's `from plugins import fast`": ("plugins/fast.py", {"local_from"}),
    "a helper function's `import plugins.deep`": ("plugins/deep.py", {"local_import"}),
    "a helper method's import": ("plugins/method.py", {"method"}),
    "the step's own `importlib.import_module`": ("plugins/dyn.py", {"dyn"}),
    "a helper's `from importlib import import_module`": ("plugins/named.py", {"named"}),
    "a helper's `__import__`": ("plugins/dunder.py", {"dunder"}),
    "a helper's module-level `importlib.import_module`": ("plugins/top.py", {"top"}),
    "a relative `import_module('.rel', package=__package__)`": ("pkg/rel.py", {"rel"}),
    # `rel` too: its helper is in `pkg`, whose `__init__.py` (run as `pkg.tools` is imported)
    # counts whole, with the `sub` a function of it imports.
    "a relative import inside a package's `__init__.py`": ("pkg/sub.py", {"sub", "rel"}),
}

# What a step of `st.py` that imports `helpers` counts besides: `helpers.py` imports every
# plugin module but `rel` and `sub` somewhere, so every step using `helpers` reruns when
# one of them changes (the whole module counts, as a top-level import's does).
HELPER_STEPS = {"local_from", "local_import", "method", "named", "dunder", "top"}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for name, text in FILES.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    lines = [f"  {step}: {{run: st.{step}, inputs: {{x: 3}}}}" for step in (*STEPS, "plain")]
    (tmp_path / "pipeline.yaml").write_text("name: inner\nsteps:\n" + "\n".join(lines) + "\n")
    assert pipeflow.load(tmp_path / "pipeline.yaml").run().ok
    return tmp_path


@pytest.mark.parametrize("edit", EDITS)
def test_an_edit_of_a_module_imported_below_the_top_level_reruns_the_step(
    project: Path, edit: str
) -> None:
    file, changed = EDITS[edit]
    ran, reasons = rerun_after(project / "pipeline.yaml", project / file, "x * 2", "x * 5")
    assert changed <= ran, reasons
    # Only steps whose code reaches the edited module: helpers' others, not `plain`.
    assert ran <= changed | HELPER_STEPS, reasons
    assert "plain" not in ran, reasons
    assert_nothing_stale(project / "pipeline.yaml", (*STEPS, "plain"))


def test_a_module_named_by_a_computed_name_does_not_count(project: Path) -> None:
    """`import_module(f"plugins.{name}")` names no module before the call: it adds nothing
    (docs/caching.md says to pin such a step with `code_version`)."""
    (project / "st.py").write_text(
        (project / "st.py").read_text()
        + '\n\ndef computed(x, name="dyn"):\n'
        + '    return importlib.import_module(f"plugins.{name}").f(x)\n'
    )
    parts = CodeFingerprinter(str(project)).fingerprint("st.computed").parts
    assert set(parts) == {"st.py::computed"}, parts


def test_the_files_shipped_with_a_step_include_what_it_imports_below_the_top_level(
    project: Path,
) -> None:
    shipped = CodeFingerprinter(str(project)).project_files("st.dyn")
    assert "plugins/dyn.py" in {path.relative_to(project).as_posix() for path in shipped}
    shipped = CodeFingerprinter(str(project)).project_files("st.local_from")
    assert "plugins/fast.py" in {path.relative_to(project).as_posix() for path in shipped}


# A submodule reached as an attribute of its package: `import lib.consts` (or `from .sub import
# util`) makes it one, and a later `import lib` (`from . import sub`) binds the package again.
# Before, the later binding alone counted: an edit of `lib/consts.py` left the step cached.
SUBMODULE_FILES = {
    "lib/__init__.py": "",
    "lib/consts.py": "FACTOR = 2\n",
    "lib2/__init__.py": "",
    "lib2/consts.py": "FACTOR = 2\n",
    "lib3/__init__.py": "",
    "lib3/consts.py": "FACTOR = 2\n",
    "pkg/__init__.py": "",
    "pkg/sub/__init__.py": "",
    "pkg/sub/util.py": "K = 2\n",
    "pkg/m.py": (
        "from .sub import util\nfrom . import sub\n\n\ndef add(x):\n    return x + sub.util.K\n"
    ),
    "st.py": textwrap.dedent(
        """
        import lib.consts
        import lib
        import lib2
        import lib2.consts
        import lib3


        def shadowed(x):
            return x * lib.consts.FACTOR


        def isort_order(x):
            return x * lib2.consts.FACTOR


        def inside(x):
            import lib3.consts
            return x * lib3.consts.FACTOR


        def plain(x):
            return x
        """
    ),
}

SUBMODULE_EDITS = {
    "`import lib.consts` then `import lib`": ("lib/consts.py", "shadowed"),
    "`import lib2` then `import lib2.consts`": ("lib2/consts.py", "isort_order"),
    "`import lib3` at the top, `import lib3.consts` inside": ("lib3/consts.py", "inside"),
    "`from .sub import util` then `from . import sub`": ("pkg/sub/util.py", "add"),
}


@pytest.mark.parametrize("edit", SUBMODULE_EDITS)
def test_an_edit_of_a_submodule_reached_through_its_package_reruns_the_step(
    tmp_path: Path, edit: str
) -> None:
    for name, text in SUBMODULE_FILES.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    steps = ["shadowed", "isort_order", "inside", "plain"]
    lines = [f"  {step}: {{run: st.{step}, inputs: {{x: 3}}}}" for step in steps]
    lines.append("  add: {run: pkg.m.add, inputs: {x: 3}}")
    config = tmp_path / "pipeline.yaml"
    config.write_text("name: submodules\nsteps:\n" + "\n".join(lines) + "\n")
    assert pipeflow.load(config).run().ok
    file, step = SUBMODULE_EDITS[edit]
    old = "K = 2" if file.endswith("util.py") else "FACTOR = 2"
    ran, reasons = rerun_after(config, tmp_path / file, old, old.replace("2", "5"))
    assert ran == {step}, reasons
    assert_nothing_stale(config, [*steps, "add"])
