"""A local store asks about the folders of its reserved `.pipeflow/` area once: a folder found to
be a real folder (no link) is not asked about again by the same store, so storing a result costs
a few system calls instead of one per folder of its path. Everything else is judged at each
write and read as before: targets, a link planted at a result's own name, a reserved folder that
is a link when first met."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipeflow.errors import StorageError
from pipeflow.storage import ResultStore, get_format
from pipeflow.storage.manifest import Manifest

JSON = get_format("json")


@pytest.fixture
def lstats(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every `os.lstat` asked while the test runs."""
    asked: list[str] = []
    original = os.lstat

    def counting(path: os.PathLike[str] | str, *args: object, **kwargs: object) -> os.stat_result:
        asked.append(os.fspath(path))
        return original(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "lstat", counting)
    return asked


def _manifest(step: str, record: object) -> Manifest:
    return Manifest(
        key="k",
        pipeline="p",
        step=step,
        run_id="r",
        created="2026-12-04T00:00:00+00:00",
        params={},
        parts={"value": record},  # type: ignore[dict-item]
    )


def _store_step(store: ResultStore, step: str) -> None:
    record = store.write(f".pipeflow/results/p/{step}/k.value.json", 1, format=JSON, internal=True)
    store.write_manifest(
        f".pipeflow/manifests/p/{step}/k.json",
        _manifest(step, record),
        copies=(f".pipeflow/manifests/p/{step}/latest.json",),
    )


def test_storing_a_step_asks_about_its_own_folders_only(tmp_path: Path, lstats: list[str]) -> None:
    store = ResultStore(str(tmp_path / "store"))
    _store_step(store, "s0")  # makes the folders: found real from the next step on
    _store_step(store, "s1")
    for index in range(2, 12):
        lstats.clear()
        _store_step(store, f"s{index}")
        # A payload, a manifest and its copy: their names and the step's two new folders;
        # never `.pipeflow`, `results`, `manifests` or `p` again.
        assert len(lstats) <= 6, lstats
        assert not any(
            path.endswith(("/.pipeflow", "/results", "/manifests", "/p")) for path in lstats
        )


def test_reading_a_stored_manifest_asks_about_its_name_only(
    tmp_path: Path, lstats: list[str]
) -> None:
    store = ResultStore(str(tmp_path / "store"))
    for index in range(5):
        _store_step(store, f"s{index}")
    reader = ResultStore(str(tmp_path / "store"))
    reader.read_manifest(".pipeflow/manifests/p/s0/k.json")
    for index in range(1, 5):
        lstats.clear()
        assert reader.read_manifest(f".pipeflow/manifests/p/s{index}/k.json") is not None
        assert len(lstats) <= 2, lstats


def test_a_reserved_folder_that_links_out_is_refused(tmp_path: Path) -> None:
    root, elsewhere = tmp_path / "store", tmp_path / "elsewhere"
    (root / ".pipeflow").mkdir(parents=True)
    elsewhere.mkdir()
    (root / ".pipeflow" / "results").symlink_to(elsewhere, target_is_directory=True)
    store = ResultStore(str(root))
    for _ in range(2):  # refused every time, not only the first
        with pytest.raises(StorageError, match="outside the results store"):
            store.write(".pipeflow/results/p/s/k.value.json", 1, format=JSON, internal=True)
        with pytest.raises(StorageError, match="outside the results store"):
            store.read_bytes(".pipeflow/results/p/s/k.value.json")
    assert list(elsewhere.iterdir()) == []


def test_a_link_at_a_results_own_name_in_a_known_folder_is_refused(tmp_path: Path) -> None:
    root, victim = tmp_path / "store", tmp_path / "victim.json"
    victim.write_text("keep")
    store = ResultStore(str(root))
    _store_step(store, "s")
    manifest = root / ".pipeflow" / "manifests" / "p" / "s" / "k.json"
    manifest.unlink()
    manifest.symlink_to(victim)
    with pytest.raises(StorageError, match="outside the results store"):
        _store_step(store, "s")
    with pytest.raises(StorageError, match="outside the results store"):
        store.read_bytes(".pipeflow/manifests/p/s/k.json")
    assert victim.read_text() == "keep"


@pytest.mark.parametrize("path", ["out/x.json", "out/deeper/x.json"])
def test_a_target_folder_replaced_by_a_link_after_a_write_is_refused(
    tmp_path: Path, path: str
) -> None:
    root, elsewhere = tmp_path / "store", tmp_path / "elsewhere"
    elsewhere.mkdir()
    store = ResultStore(str(root))
    store.write(path, 1, format=JSON)
    (root / "out").rename(tmp_path / "moved")
    (root / "out").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(StorageError, match="outside the results store"):
        store.write(path, 2, format=JSON)
    with pytest.raises(StorageError, match="outside the results store"):
        store.read_bytes(path)
    assert list(elsewhere.iterdir()) == []


def test_a_target_may_not_reach_the_reserved_area_through_a_known_folder(tmp_path: Path) -> None:
    store = ResultStore(str(tmp_path / "store"))
    _store_step(store, "s")
    with pytest.raises(StorageError, match="reserved"):
        store.write(".pipeflow/results/p/s/forged.value.json", 1, format=JSON)
