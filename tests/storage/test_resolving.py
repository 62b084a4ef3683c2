"""Where a local store path really leads: the walk below the store's root (one `lstat` per
component, the root resolved once per store) finds what `os.path.realpath` finds."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipeflow.errors import StorageError
from pipeflow.storage import ResultStore, get_format
from pipeflow.storage.boundaries import BoundaryError, resolve_local


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "store"
    (root / "a" / "b").mkdir(parents=True)
    (root / "a" / "b" / "file.json").write_text("1")
    outside = tmp_path / "outside"
    outside.mkdir()
    (root / "inner").symlink_to(root / "a")
    (root / "a" / "back").symlink_to("../a/b")
    (root / "out").symlink_to(outside)
    (root / "a" / "deep-out").symlink_to(outside)
    (root / "a" / "b" / "dangling").symlink_to(tmp_path / "missing")
    return root


INSIDE = [
    "a/b/file.json",
    "a/b/new/x.json",
    "missing/x/y.json",
    "inner/b/file.json",
    "inner/b/new.json",
    "a/back/file.json",
    "a/b/file.json/below",
]
OUTSIDE = ["out/x.json", "a/deep-out/x.json", "inner/deep-out/y", "a/b/dangling"]


@pytest.mark.parametrize("relative", INSIDE)
def test_a_path_resolves_as_realpath_does(root: Path, relative: str) -> None:
    assert resolve_local(str(root), relative) == os.path.realpath(root / relative)
    real_root = os.path.realpath(root)
    assert resolve_local(str(root), relative, real_root=real_root) == os.path.realpath(
        root / relative
    )


@pytest.mark.parametrize("relative", OUTSIDE)
def test_a_link_out_of_the_root_is_refused_at_any_depth(root: Path, relative: str) -> None:
    with pytest.raises(BoundaryError, match="outside the results store"):
        resolve_local(str(root), relative)


@pytest.mark.parametrize("relative", OUTSIDE)
def test_the_store_refuses_a_link_made_after_its_first_write(root: Path, relative: str) -> None:
    """The root is resolved once per store, what lies below it on every write and read."""
    store = ResultStore(str(root))
    store.write("a/first.json", 1, format=get_format("json"))  # resolves the root
    with pytest.raises(StorageError, match="outside the results store"):
        store.write(relative, 1, format=get_format("json"))
    (root / "late").symlink_to(root.parent / "outside")
    with pytest.raises(StorageError, match="outside the results store"):
        store.write("late/x.json", 1, format=get_format("json"))
