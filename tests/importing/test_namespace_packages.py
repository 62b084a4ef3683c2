"""Steps in namespace packages (folders without `__init__.py`, Python 3's default): validated,
run and fingerprinted, at every depth and with or without an `__init__.py` above or below.

A namespace package inside another one is not found by `PathFinder` until the one above it is
imported (it asks `sys.modules` for it): `validate`, `run` and `status` of `steps/sub/mod.py`
without `__init__.py` files ended in a KeyError traceback. Each case here uses module names of
its own, never imported before the commands run.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeflow.cli import cli

# (folders of the package, from the top; which of them have an `__init__.py`)
LAYOUTS = {
    "top folder": ((), set()),
    "nested": (("sub",), set()),
    "nested, the top a regular package": (("sub",), {0}),
    "nested, the inner a regular package": (("sub",), {1}),
    "three deep": (("a", "b"), set()),
}

STEP = """
from {package}.helper import offset


def value(x: int) -> int:
    return x + offset()
"""


def _project(folder: Path, top: str, inner: tuple[str, ...], regular: set[int]) -> str:
    """The project's files; the dotted path of its step."""
    packages = [folder / top]
    for name in inner:
        packages.append(packages[-1] / name)
    for depth, package in enumerate(packages):
        package.mkdir()
        if depth in regular:
            (package / "__init__.py").write_text("", encoding="utf-8")
    dotted = ".".join([top, *inner])
    (packages[-1] / "mod.py").write_text(textwrap.dedent(STEP.format(package=dotted)))
    (packages[-1] / "helper.py").write_text("def offset() -> int:\n    return 1\n")
    (folder / "pipeline.yaml").write_text(
        f"name: namespaces\nsteps:\n  a: {{run: {dotted}.mod.value, inputs: {{x: 41}}}}\n"
    )
    return dotted


def _invoke(*arguments: str) -> str:
    done = CliRunner().invoke(cli, list(arguments), catch_exceptions=False)
    assert done.exit_code == 0, done.output
    return done.output


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_a_step_in_namespace_packages_is_validated_run_and_fingerprinted(
    tmp_path: Path, layout: str
) -> None:
    inner, regular = LAYOUTS[layout]
    top = f"nsp_{abs(hash((layout, tmp_path.name))) % 10**8}"
    assert top not in sys.modules
    dotted = _project(tmp_path, top, inner, regular)
    config = str(tmp_path / "pipeline.yaml")
    try:
        assert "is valid (1 step)" in _invoke("validate", config)
        assert "succeeded" in _invoke("run", config)
        assert "cached" in _invoke("status", config)
        # The helper, imported through the namespace packages, is part of the fingerprint.
        helper = tmp_path.joinpath(*dotted.split("."), "helper.py")
        helper.write_text("def offset() -> int:\n    return 2\n")
        relative = helper.relative_to(tmp_path).as_posix()
        assert f"code of {relative} changed" in _invoke("status", config)
    finally:
        for name in [name for name in sys.modules if name.split(".")[0] == top]:
            del sys.modules[name]
