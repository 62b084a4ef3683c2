"""The distribution behind an import name is the one `packages_distributions()` names first:
a code fingerprint's `package:NAME` part, and so every key of a step that imports it, depends
on it. Checked against the standard library's whole map, name by name, on this environment."""

from __future__ import annotations

import importlib.metadata
import shutil
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeflow.cache import distributions
from pipeflow.cache.code import CodeFingerprinter


@pytest.fixture(autouse=True)
def _forget() -> Iterator[None]:
    distributions.providing.cache_clear()
    yield
    distributions.providing.cache_clear()


def _first(name: str) -> str | None:
    """The standard library's answer: its whole map, built again (the environment may change)."""
    names = importlib.metadata.packages_distributions().get(name)
    return names[0] if names else None


def test_every_import_name_of_this_environment_gets_the_whole_maps_first_distribution() -> None:
    whole = importlib.metadata.packages_distributions()
    declaring = {
        distribution.metadata["Name"]
        for distribution in importlib.metadata.distributions()
        if (distribution.read_text("top_level.txt") or "").split()
    }
    inferred = [name for name in sorted(whole) if whole[name][0] not in declaring]
    declared = [name for name in sorted(whole) if name not in inferred]
    # Both ways a distribution names its modules are here: a `top_level.txt`, and its files.
    assert "sklearn" in inferred, inferred
    assert "yaml" in declared, declared
    assert len(inferred) > 20, inferred
    assert len(declared) > 20, declared
    for name in [*inferred, *declared[::4], "no_such_module", "dist", "py"]:
        distributions.providing.cache_clear()
        first = whole[name][0] if name in whole else None
        assert distributions.providing(name) == first, name


def test_a_name_inside_another_distributions_files_does_not_make_it_the_provider() -> None:
    """scikit-learn's files hold `sklearn/utils/...` and `sklearn/externals/...`: reading the
    names inside its RECORD must not make it the provider of `utils` or `externals`."""
    record = next(
        d for d in importlib.metadata.distributions() if d.metadata["Name"] == "scikit-learn"
    ).read_text("RECORD")
    assert record is not None
    assert "sklearn/utils/" in record
    whole = importlib.metadata.packages_distributions()
    for name in ("utils", "externals", "datasets"):
        first = whole[name][0] if name in whole else None
        assert distributions.providing(name) == first != "scikit-learn", name


@pytest.mark.skipif(sys.version_info < (3, 11), reason="3.10 builds no map from files")
def test_the_answer_never_builds_the_whole_map(monkeypatch: pytest.MonkeyPatch) -> None:
    """What made `run` and `status` slow: the whole map built for one name."""
    expected = _first("sklearn")

    def whole_map() -> None:
        raise AssertionError("packages_distributions() was called")

    monkeypatch.setattr(importlib.metadata, "packages_distributions", whole_map)
    assert distributions.providing("sklearn") == expected == "scikit-learn"


@pytest.mark.skipif(sys.version_info < (3, 11), reason="3.10 infers no names from files")
def test_a_distribution_without_top_level_txt_is_found_by_its_files(tmp_path: Path) -> None:
    """A wheel built without `top_level.txt` (hatchling, flit, meson): found by its RECORD."""
    site = tmp_path / "site"
    (site / "pfdistprobe").mkdir(parents=True)
    (site / "pfdistprobe" / "__init__.py").write_text("VALUE = 1\n", encoding="utf-8")
    info = site / "pf_dist_probe_wheel-3.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: pf-dist-probe-wheel\nVersion: 3.1\n", encoding="utf-8"
    )
    (info / "RECORD").write_text(
        "pfdistprobe/__init__.py,,\npf_dist_probe_wheel-3.1.dist-info/METADATA,,\n",
        encoding="utf-8",
    )
    sys.path.insert(0, str(site))
    try:
        assert distributions.providing("pfdistprobe") == "pf-dist-probe-wheel"
        assert _first("pfdistprobe") == "pf-dist-probe-wheel"  # the standard library agrees
        (info / "RECORD").write_text("", encoding="utf-8")
        distributions.providing.cache_clear()
        assert distributions.providing("pfdistprobe") is None == _first("pfdistprobe")
    finally:
        sys.path.remove(str(site))
        shutil.rmtree(site)


def test_a_step_importing_sklearn_has_scikit_learns_version_in_its_fingerprint(
    tmp_path: Path,
) -> None:
    """The name the key part carries, end to end through the fingerprinter."""
    (tmp_path / "pf_fit_step.py").write_text(
        textwrap.dedent(
            """
            import sklearn

            def fit(x):
                return sklearn.__name__, x
            """
        ),
        encoding="utf-8",
    )
    parts = CodeFingerprinter(str(tmp_path)).fingerprint("pf_fit_step.fit").parts
    assert parts["package:scikit-learn"] == importlib.metadata.version("scikit-learn"), parts
