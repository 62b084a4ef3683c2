"""Steps in namespace packages (folders without `__init__.py`, Python 3's default): validated,
run and fingerprinted, at every depth and with or without an `__init__.py` above or below.

A namespace package inside another one is not found by `PathFinder` until the one above it is
imported (it asks `sys.modules` for it): `validate`, `run` and `status` of `steps/sub/mod.py`
without `__init__.py` files ended in a KeyError traceback. Each case here uses module names of
its own, never imported before the commands run.

Installed namespace packages shared by several distributions (`google.cloud.storage`) count in
a code fingerprint by the distribution whose files hold the module a step imports, not the
first one that shares the top-level name.
"""

from __future__ import annotations

import importlib.metadata
import shutil
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeflow.cache.code import CodeFingerprinter
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


def test_an_installed_namespace_package_counts_by_the_distribution_that_holds_the_module(
    tmp_path: Path,
) -> None:
    """`google` is shared by nine distributions here; `google.cloud.storage` is one's."""
    sharing = importlib.metadata.packages_distributions()["google"]
    assert len(sharing) > 1
    assert "google-cloud-storage" in sharing
    (tmp_path / "gcs_step.py").write_text(
        textwrap.dedent(
            """
            import google
            from google.cloud import storage
            from google.cloud.storage import Blob


            def upload(x):
                return storage.Client, Blob, x


            def bare():
                return google
            """
        )
    )
    fingerprinter = CodeFingerprinter(str(tmp_path))
    parts = fingerprinter.fingerprint("gcs_step.upload").parts
    packages = {name: version for name, version in parts.items() if name.startswith("package:")}
    assert packages == {
        "package:google-cloud-storage": importlib.metadata.version("google-cloud-storage")
    }
    # The namespace itself names no module of its own: the first distribution, as before.
    bare = fingerprinter.fingerprint("gcs_step.bare").parts
    assert f"package:{sharing[0]}" in bare


def test_a_new_version_of_one_distribution_in_a_shared_namespace_changes_the_key(
    tmp_path: Path,
) -> None:
    """Two made-up distributions share the namespace `pfshared`, each in a folder of its own on
    sys.path, pf-alpha's first (so it is the first that shares the name: what a key counted
    before); a step importing pf-beta's module gets pf-beta's version, and its upgrade shows."""
    sites = []
    for name, module, version in (("pf-alpha", "alpha", "1.0"), ("pf-beta", "beta", "2.0")):
        site = tmp_path / f"site-{module}" / "site-packages"
        (site / "pfshared" / module).mkdir(parents=True)
        (site / "pfshared" / module / "__init__.py").write_text("VALUE = 1\n")
        info = site / f"{name.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
        (info / "RECORD").write_text(f"pfshared/{module}/__init__.py,,\n")
        sites.append(str(site))
    project = tmp_path / "project"
    project.mkdir()
    (project / "beta_step.py").write_text(
        "from pfshared.beta import VALUE\n\n\ndef f(x):\n    return x + VALUE\n"
    )
    sys.path[0:0] = sites
    try:
        assert importlib.metadata.packages_distributions()["pfshared"][:2] == [
            "pf-alpha",
            "pf-beta",
        ]
        parts = CodeFingerprinter(str(project)).fingerprint("beta_step.f").parts
        assert parts.get("package:pf-beta") == "2.0", parts
        assert "package:pf-alpha" not in parts
        info = Path(sites[1]) / "pf_beta-2.0.dist-info"
        (info / "METADATA").write_text("Metadata-Version: 2.1\nName: pf-beta\nVersion: 2.1\n")
        from pipeflow.cache import distributions

        distributions.version_of.cache_clear()
        distributions.owning.cache_clear()
        again = CodeFingerprinter(str(project)).fingerprint("beta_step.f").parts
        assert again.get("package:pf-beta") == "2.1", again
    finally:
        for site in sites:
            sys.path.remove(site)
        shutil.rmtree(tmp_path / "site-alpha")
        shutil.rmtree(tmp_path / "site-beta")
