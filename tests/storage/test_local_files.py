"""A local store goes through `os` directly (`localfiles.py`), and answers exactly as fsspec's
local filesystem does: every operation the store uses, run through both and compared."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from fsspec.implementations.local import LocalFileSystem

from pipeflow.errors import StorageError
from pipeflow.storage import Manifest, ResultStore, get_format
from pipeflow.storage.filesystems import open_filesystem
from pipeflow.storage.localfiles import LocalFiles


def _tree(root: Path) -> None:
    (root / "a" / "b").mkdir(parents=True)
    (root / "empty").mkdir()
    (root / "top.txt").write_text("top")
    (root / "a" / "one.json").write_text("{}")
    (root / "a" / "b" / "two.bin").write_bytes(b"\x00" * 10)
    (root / ".hidden").write_text("h")
    (root / "link-file").symlink_to(root / "top.txt")
    (root / "link-folder").symlink_to(root / "a")
    (root / "dangling").symlink_to(root / "nowhere")


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    root.mkdir()
    _tree(root)
    return root


def _both() -> tuple[LocalFiles, LocalFileSystem]:
    return LocalFiles(), LocalFileSystem()


def _outcome(call: Any) -> Any:
    """What a call gave, or the type of what it raised."""
    try:
        return ("ok", call())
    except Exception as error:
        return ("raised", type(error))


@pytest.mark.parametrize(
    "relative",
    ["", "/", "a", "a/", "a/b", "top.txt", "link-file", "link-folder", "dangling", "empty", "no"],
)
def test_find_and_info_are_fsspecs(tree: Path, relative: str) -> None:
    ours, theirs = _both()
    path = f"{tree}/{relative}"
    assert _outcome(lambda: ours.find(path)) == _outcome(lambda: theirs.find(path))
    assert _outcome(lambda: ours.find(path, detail=True)) == _outcome(
        lambda: theirs.find(path, detail=True)
    )
    assert _outcome(lambda: ours.info(path)) == _outcome(lambda: theirs.info(path))
    for detail in (False, True):  # in the disk's order, both: compared sorted

        def listed(filesystem: Any, detail: bool = detail) -> list[Any]:
            return sorted(filesystem.ls(path, detail=detail), key=str)

        assert _outcome(lambda: listed(ours)) == _outcome(lambda: listed(theirs))


@pytest.mark.parametrize("relative", ["top.txt", "a/b/two.bin", "link-file", "a", "no", "dangling"])
def test_reads_are_fsspecs(tree: Path, relative: str) -> None:
    ours, theirs = _both()
    path = f"{tree}/{relative}"
    assert _outcome(lambda: ours.cat_file(path, start=0)) == _outcome(
        lambda: theirs.cat_file(path, start=0)
    )

    def opened(filesystem: Any) -> bytes:
        with filesystem.open(path, "rb") as file:
            return bytes(file.read())

    assert _outcome(lambda: opened(ours)) == _outcome(lambda: opened(theirs))


@pytest.mark.parametrize(
    ("relative", "recursive"),
    [
        ("top.txt", False),
        ("a", True),
        ("a", False),
        ("link-folder", True),
        ("dangling", False),
        ("no", True),
        ("empty", True),
    ],
)
def test_removals_are_fsspecs(tmp_path: Path, relative: str, recursive: bool) -> None:
    outcomes = []
    listings = []
    for name, filesystem in zip(("ours", "theirs"), _both(), strict=True):
        root = tmp_path / name
        root.mkdir()
        _tree(root)
        path = f"{root}/{relative}"
        outcomes.append(_outcome(lambda: filesystem.rm(path, recursive=recursive)))  # noqa: B023
        outcomes.append(_outcome(lambda: filesystem.rm_file(f"{root}/top.txt")))  # noqa: B023
        outcomes.append(
            _outcome(lambda: filesystem.makedirs(f"{root}/new/deep", exist_ok=True))  # noqa: B023
        )
        outcomes.append(_outcome(lambda: filesystem.makedirs(f"{root}/new/deep")))  # noqa: B023
        listings.append([name[len(str(root)) :] for name in LocalFileSystem().find(str(root))])
    assert outcomes[:4] == outcomes[4:]
    assert listings[0] == listings[1]


@pytest.mark.parametrize(
    "spelling", ["results", "./results", "results/", ".", "~/results", "ABSOLUTE", "FILEURL"]
)
def test_roots_are_fsspecs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spelling: str) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    url = {"ABSOLUTE": f"{tmp_path}/x/", "FILEURL": f"file://{tmp_path}/y"}.get(spelling, spelling)
    ours = open_filesystem(url, {})
    theirs = open_filesystem(url, {"auto_mkdir": False})  # any option: through fsspec
    assert isinstance(ours.filesystem, LocalFiles)
    assert isinstance(theirs.filesystem, LocalFileSystem)
    assert (ours.root, ours.local) == (theirs.root, theirs.local)


def _store_session(store: ResultStore) -> list[Any]:
    """The same store operations, in order; what each gave, with the root's own path left out
    (two stores in two folders) and local modification times reduced to their presence."""
    txt, pickle = get_format("txt"), get_format("pickle")
    seen: list[Any] = []
    first = store.write("r/one.txt", "hello", format=txt)
    second = store.write(
        ".pipeflow/results/p/s/k.value.pkl", {"a": 1}, format=pickle, internal=True
    )
    seen += [first, second.size, second.checksum]
    manifest = Manifest(
        key="k",
        pipeline="p",
        step="s",
        run_id="r",
        created="2026-12-04T00:00:00+00:00",
        params={},
        parts={"value": second},
    )
    store.write_manifest(
        ".pipeflow/manifests/p/s/k.json", manifest, copies=(".pipeflow/manifests/p/s/latest.json",)
    )
    store.write_bytes(".pipeflow/own.bin", b"\x01\x02", internal=True)
    seen.append(store.read(first))
    seen.append(store.read(second))
    seen.append(store.verify(first))
    seen.append(store.read_manifest(".pipeflow/manifests/p/s/latest.json"))
    seen.append(store.read_bytes(".pipeflow/own.bin"))
    seen.append(store.read_bytes("missing.bin"))
    seen.append(store.read_many(["r/one.txt", "nope", ".pipeflow/own.bin"]))
    for prefix in ("", "r", ".pipeflow/manifests/p", "missing", "r/one.txt"):
        seen.append(store.list(prefix))
        seen.append(
            {
                path: (size, stamp is not None)
                for path, (size, stamp) in store.stamps(prefix).items()
            }
        )
        seen.append(
            {
                path: (size, when is not None)
                for path, (size, when) in store.modified(prefix).items()
            }
        )
    for path in ("r", "r/one.txt", "nope"):
        seen.append(store.exists(path))
    for bad in ("../out.txt", ".pipeflow/x.txt"):
        seen.append(_outcome(lambda: store.write(bad, "x", format=txt)))  # noqa: B023
    store.delete_files(["r/one.txt", "nope"])
    store.delete("missing")
    seen.append(store.list(""))
    store.delete(".pipeflow/results")
    seen.append(store.list(""))
    seen.append(store.verify(first))
    seen.append(_outcome(lambda: store.read(first)))
    return seen


def test_a_store_session_is_the_same_through_both(tmp_path: Path) -> None:
    ours = ResultStore(str(tmp_path / "ours"))
    theirs = ResultStore(str(tmp_path / "theirs"), {"auto_mkdir": False})
    assert _store_session(ours) == _store_session(theirs)
    assert isinstance(ours._open(), LocalFiles)
    assert isinstance(theirs._open(), LocalFileSystem)


def test_a_link_out_of_the_store_is_refused_the_same_way(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    refusals = []
    for name, options in (("ours", {}), ("theirs", {"auto_mkdir": False})):
        root = tmp_path / name
        root.mkdir()
        (root / "out").symlink_to(outside)
        store = ResultStore(str(root), options)
        with pytest.raises(StorageError) as raised:
            store.write("out/x.txt", "x", format=get_format("txt"))
        refusals.append(str(raised.value).replace(name, "ROOT"))
        with pytest.raises(StorageError):
            store.read_bytes("out/x.txt")
    assert refusals[0] == refusals[1]
    assert os.listdir(outside) == []


def test_a_local_store_does_not_import_fsspec(tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import sys
        from pipeflow.storage import ResultStore, get_format
        store = ResultStore({str(tmp_path / "store")!r})
        record = store.write("a/b.txt", "x", format=get_format("txt"))
        assert store.read(record) == "x"
        assert store.list("") == ["a/b.txt"]
        assert store.read_bytes("a/b.txt") == b"x"
        store.stamps("")
        store.delete("a")
        loaded = sorted(name for name in sys.modules if name.split(".")[0] == "fsspec")
        print(loaded)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"
