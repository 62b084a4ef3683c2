"""The ResultStore contract, run against a local path, a file:// URL, memory://, and real
S3 (s3fs and moto's server) and GCS (gcsfs and gcp-storage-emulator) started by the tests."""

from __future__ import annotations

import importlib
import os
import pickle
import sys
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pandas as pd
import pytest
from fsspec.core import url_to_fs

from pipeflow.errors import StorageError
from pipeflow.storage import (
    CorruptResult,
    Manifest,
    PartRecord,
    ResultStore,
    ResultWarning,
    get_format,
)
from tests.servers import ObjectStore, require_loopback


def create_marker(path: str) -> None:
    """What a malicious pickle would run: leaves a file behind as proof that it ran."""
    Path(path).write_text("code ran")


class Booby:
    """Unpickling this calls create_marker: it stands for a pickle that runs code."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Callable[[str], None], tuple[str]]:
        return create_marker, (self.marker,)


class BreaksHalfway:
    """A format whose serialisation fails after some bytes have gone out."""

    name = "txt"
    extension = "txt"
    executes_code = False

    def __init__(self, error: BaseException) -> None:
        self.error = error

    def accepts(self, value: Any) -> bool:
        return True

    def write(self, value: Any, file: BinaryIO) -> None:
        file.write(b"partial bytes " * 1000)
        raise self.error

    def read(self, file: BinaryIO) -> Any:
        raise AssertionError("never read")


BACKENDS = ["local", "file", "memory", "s3", "gcs"]
REMOTE = ("s3", "gcs")


@dataclass(frozen=True)
class Backend:
    """One kind of store for a test: its URL (a fresh prefix) and the options that reach it."""

    kind: str
    url: str
    storage_options: dict[str, Any] = field(default_factory=dict)

    @property
    def remote(self) -> bool:
        return self.kind in REMOTE

    def store(self) -> ResultStore:
        return ResultStore(self.url, self.storage_options)

    def filesystem(self) -> tuple[Any, str]:
        """fsspec's view of the root, bypassing the store; no listing cache, so it sees all."""
        options = {**self.storage_options, "use_listings_cache": False} if self.remote else {}
        filesystem, root = url_to_fs(self.url, **options)
        return filesystem, root.rstrip("/")


def remote_backend(server: ObjectStore, kind: str) -> Backend:
    require_loopback(server.storage_options)
    return Backend(kind, server.unique_url(), server.options())


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "local":
        yield Backend("local", str(tmp_path / "results"))
    elif request.param == "file":
        yield Backend("file", (tmp_path / "results").as_uri())
    elif request.param == "memory":
        # The memory filesystem is one per process: each test gets its own prefix, and cleans it.
        memory = Backend("memory", f"memory://pipeflow-tests/{uuid.uuid4().hex}")
        yield memory
        filesystem, root = memory.filesystem()
        if filesystem.exists(root):
            filesystem.rm(root, recursive=True)
    else:
        # One server per session (started on first use); each test gets a prefix of its own.
        server: ObjectStore = request.getfixturevalue(f"{request.param}_server")
        yield remote_backend(server, request.param)


def raw_files(backend: Backend) -> list[str]:
    """Every file under the store's root, seen through fsspec rather than the store."""
    filesystem, root = backend.filesystem()
    return sorted(name[len(root) + 1 :] for name in filesystem.find(root))


def tamper(backend: Backend, path: str, change: Callable[[bytes], bytes]) -> None:
    filesystem, root = backend.filesystem()
    full = f"{root}/{path}"
    filesystem.pipe_file(full, change(filesystem.cat_file(full)))


def manifest_for(parts: dict[str, PartRecord], *, run_id: str = "run-1") -> Manifest:
    return Manifest(
        key="key-1",
        pipeline="iris",
        step="split_data",
        run_id=run_id,
        created="2024-03-01T06:30:00+00:00",
        params={"test_data_ratio": 0.2},
        parts=parts,
    )


class TestResultStoreContract:
    """What every kind of store must do; each test runs once per backend."""

    @pytest.mark.parametrize(
        ("path", "format_name", "value"),
        [
            ("a/frame.parquet", "parquet", pd.DataFrame({"x": [1, 2]}, index=[5, 6])),
            ("metrics.json", "json", {"accuracy": 0.97, "classes": ["a", "b"]}),
            ("notes/readme.txt", "txt", "hello\n"),
            ("deep/er/object.pkl", "pickle", {"set": {1, 2}, "tuple": (1, "a")}),
        ],
    )
    def test_write_then_read(
        self, backend: Backend, path: str, format_name: str, value: Any
    ) -> None:
        store = backend.store()
        record = store.write(path, value, format=get_format(format_name))
        assert record.path == path
        assert record.format == format_name
        assert record.checksum.startswith("sha256:")
        assert record.size > 0
        result = store.read(record)
        if isinstance(value, pd.DataFrame):
            pd.testing.assert_frame_equal(result, value)
        else:
            assert result == value
        assert store.verify(record)

    def test_manifest_round_trip(self, backend: Backend) -> None:
        store = backend.store()
        record = store.write("r/value.json", [1, 2, 3], format=get_format("json"))
        manifest = manifest_for({"value": record})
        store.write_manifest("r/manifest.json", manifest)
        assert store.read_manifest("r/manifest.json") == manifest
        assert store.read(manifest.parts["value"]) == [1, 2, 3]

    def test_writes_leave_no_temporary_files(self, backend: Backend) -> None:
        store = backend.store()
        record = store.write("x/value.txt", "one", format=get_format("txt"))
        store.write("x/value.txt", "two", format=get_format("txt"))  # an overwrite, too
        store.write_manifest("x/manifest.json", manifest_for({"value": record}))
        assert raw_files(backend) == ["x/manifest.json", "x/value.txt"]
        assert store.list("") == ["x/manifest.json", "x/value.txt"]

    @pytest.mark.parametrize("error", [RuntimeError("serialisation broke"), KeyboardInterrupt()])
    def test_a_write_that_fails_midway_leaves_nothing(
        self, backend: Backend, error: BaseException
    ) -> None:
        store = backend.store()
        with pytest.raises(type(error)):
            store.write("y/value.txt", "ignored", format=BreaksHalfway(error))
        assert not store.exists("y/value.txt")
        assert store.list("") == []
        assert raw_files(backend) == []

    def test_a_failed_overwrite_keeps_the_previous_result(self, backend: Backend) -> None:
        store = backend.store()
        record = store.write("z/value.txt", "first", format=get_format("txt"))
        with pytest.raises(RuntimeError):
            store.write("z/value.txt", "second", format=BreaksHalfway(RuntimeError("no")))
        assert store.read(record) == "first"
        assert store.list("z") == ["z/value.txt"]

    def test_a_value_the_format_cannot_hold_writes_nothing(self, backend: Backend) -> None:
        store = backend.store()
        with pytest.raises(StorageError, match="parquet format cannot hold a value of type dict"):
            store.write("bad.parquet", {"a": 1}, format=get_format("parquet"))
        assert store.list("") == []

    def test_a_tampered_payload_is_corrupt(self, backend: Backend) -> None:
        store = backend.store()
        record = store.write("t/value.txt", "original", format=get_format("txt"))
        tamper(backend, "t/value.txt", lambda data: data.replace(b"original", b"0riginal"))
        with pytest.raises(
            CorruptResult, match=r"t/value\.txt does not match its manifest"
        ) as info:
            store.read(record)
        assert info.value.expected == record.checksum
        assert info.value.actual != record.checksum
        assert not store.verify(record)

    def test_a_payload_of_another_size_is_corrupt(self, backend: Backend) -> None:
        store = backend.store()
        record = store.write("t/value.txt", "original", format=get_format("txt"))
        tamper(backend, "t/value.txt", lambda data: data * 3)
        with pytest.raises(CorruptResult, match=f"more than {record.size} bytes"):
            store.read(record)
        assert not store.verify(record)

    def test_a_tampered_pickle_is_never_unpickled(self, backend: Backend, tmp_path: Path) -> None:
        planted = tmp_path / "marker-A"
        swapped = tmp_path / "marker-B"
        store = backend.store()
        record = store.write("p/value.pkl", Booby(str(planted)), format=get_format("pickle"))
        # Same length, still a valid pickle: it would now run create_marker on marker-B.
        tamper(backend, "p/value.pkl", lambda data: data.replace(b"marker-A", b"marker-B"))
        with pytest.raises(CorruptResult):
            store.read(record)
        assert not planted.exists()
        assert not swapped.exists()
        # The control: the tampered bytes really would have run code had they been unpickled.
        filesystem, root = backend.filesystem()
        pickle.loads(filesystem.cat_file(f"{root}/p/value.pkl"))
        assert swapped.exists()

    @pytest.mark.parametrize("content", ["{not json", "{}", '{"version": 1}', "[1, 2]"])
    def test_a_broken_manifest_is_no_result(self, backend: Backend, content: str) -> None:
        store = backend.store()
        store.write("m/manifest.json", content, format=get_format("txt"))
        with pytest.warns(ResultWarning, match=r"broken manifest at .*m/manifest\.json"):
            assert store.read_manifest("m/manifest.json") is None

    def test_a_missing_manifest_is_no_result(self, backend: Backend) -> None:
        assert backend.store().read_manifest("nothing/here/manifest.json") is None

    def test_a_missing_payload_is_a_storage_error(self, backend: Backend) -> None:
        store = backend.store()
        record = store.write("gone/value.txt", "x", format=get_format("txt"))
        store.delete("gone/value.txt")
        assert not store.verify(record)
        with pytest.raises(StorageError, match=r"cannot read .*gone/value\.txt: it does not exist"):
            store.read(record)

    def test_the_store_pickles_as_its_url_and_works_on_the_other_side(
        self, backend: Backend
    ) -> None:
        # Local stores take an option of their own; remote ones need theirs to find the server.
        options = (
            {"auto_mkdir": True} if backend.kind in ("local", "file") else backend.storage_options
        )
        store = ResultStore(backend.url, options)
        record = store.write("s/value.json", {"a": 1}, format=get_format("json"))
        copy = pickle.loads(pickle.dumps(store))
        assert (copy.url, dict(copy.storage_options)) == (backend.url, options)
        assert copy.read(record) == {"a": 1}
        assert copy.write("s/other.txt", "b", format=get_format("txt")).size == 1
        assert store.list("s") == ["s/other.txt", "s/value.json"]

    def test_list_exists_delete(self, backend: Backend) -> None:
        store = backend.store()
        assert store.list("") == []
        assert store.list("missing/prefix") == []
        for path in ("a/1.txt", "a/b/2.txt", "ab/3.txt"):
            store.write(path, path, format=get_format("txt"))
        assert store.list("a") == ["a/1.txt", "a/b/2.txt"]
        assert store.list("a/") == ["a/1.txt", "a/b/2.txt"]
        assert store.list("") == ["a/1.txt", "a/b/2.txt", "ab/3.txt"]
        assert store.exists("a/b/2.txt")
        assert not store.exists("a/b/9.txt")
        store.delete("a/b/2.txt")
        store.delete("a/b/2.txt")  # deleting what is gone is not an error
        assert not store.exists("a/b/2.txt")
        store.delete("a")
        assert store.list("") == ["ab/3.txt"]

    @pytest.mark.parametrize("path", ["../x.txt", "a/../../x.txt", "/etc/passwd", "s3://o/x", ""])
    def test_paths_outside_the_root_are_refused(self, backend: Backend, path: str) -> None:
        store = backend.store()
        with pytest.raises(StorageError, match="invalid path"):
            store.write(path, "x", format=get_format("txt"))
        with pytest.raises(StorageError, match="invalid path"):
            store.read_manifest(path)

    def test_records_keep_the_normalised_path(self, backend: Backend) -> None:
        store = backend.store()
        record = store.write("./n//value.txt", "x", format=get_format("txt"))
        assert record.path == "n/value.txt"
        assert store.list("") == ["n/value.txt"]

    def test_location_names_the_store(self, backend: Backend) -> None:
        assert backend.store().location("a/b.txt") == f"{backend.url}/a/b.txt"

    # -- stamps: what a cheap listing says about each payload ----------------------------------

    def test_stamps_give_every_file_its_size_and_stamp(self, backend: Backend) -> None:
        store = backend.store()
        records = {
            path: store.write(path, path * 3, format=get_format("txt"))
            for path in ("a/1.txt", "a/b/2.txt", "ab/3.txt")
        }
        stamps = store.stamps("a")
        assert list(stamps) == ["a/1.txt", "a/b/2.txt"]
        assert store.stamps("a/") == stamps
        assert list(store.stamps()) == ["a/1.txt", "a/b/2.txt", "ab/3.txt"]
        assert store.stamps("missing/prefix") == {}
        for path, (size, stamp) in stamps.items():
            record = records[path]
            assert size == record.size
            if backend.remote:
                # The stamp write() recorded is the one a later listing gives: S3's ETag, GCS's md5.
                assert record.stamp is not None
                assert record.stamp.startswith("etag:" if backend.kind == "s3" else "md5:")
                assert stamp == record.stamp
            elif backend.kind in ("local", "file"):
                assert record.stamp is None  # a local payload is checked by its hash
                assert stamp is not None
                assert stamp.startswith("mtime:")
            else:
                assert (record.stamp, stamp) == (None, None)  # memory:// has neither

    def test_stamps_come_from_one_listing(
        self, backend: Backend, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        store = backend.store()
        for index in range(5):
            store.write(f"many/{index}/value.txt", "x", format=get_format("txt"))
        filesystem = store._open()
        calls: list[str] = []
        depth = [0]  # calls that fsspec makes inside another call do not count
        for name in ("find", "ls", "info", "exists", "open", "cat_file", "glob", "walk"):
            method = getattr(filesystem, name, None)
            if method is None:
                continue  # a local store's `LocalFiles` has only what the store calls

            def spy(*args: Any, _name: str = name, _method: Any = method, **kwargs: Any) -> Any:
                if not depth[0]:
                    calls.append(_name)
                depth[0] += 1
                try:
                    return _method(*args, **kwargs)
                finally:
                    depth[0] -= 1

            monkeypatch.setattr(filesystem, name, spy)
        assert len(store.stamps("many")) == 5
        assert calls == ["find"]

    def test_a_replaced_payload_shows_in_the_listing(self, backend: Backend) -> None:
        store = backend.store()
        record = store.write("r/value.txt", "original", format=get_format("txt"))
        before = store.stamps("r")["r/value.txt"]
        # Same size, other bytes: only the stamp (or reading the bytes) can tell.
        tamper(backend, "r/value.txt", lambda data: data.replace(b"original", b"0riginal"))
        if backend.kind in ("local", "file"):
            # A second later, so that coarse file-system clocks cannot hide the change.
            later = Path(backend.filesystem()[1]) / "r" / "value.txt"
            stat = later.stat()
            os.utime(later, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
        size, stamp = store.stamps("r")["r/value.txt"]
        assert size == record.size == before[0]
        if backend.kind == "memory":
            assert stamp is None
        else:
            assert stamp != before[1]
        if backend.remote:
            assert stamp != record.stamp

    # -- concurrent writers ------------------------------------------------------------------

    def test_concurrent_writers_never_leave_a_mix(self, backend: Backend) -> None:
        """Two writers publish different payloads (of one size) and their manifests to the same
        paths, over and over, while a reader reads: every read gives the whole payload of the
        manifest's own writer, or CorruptResult; never a mix, never a silent mismatch."""
        size = 256 * 1024
        payloads = {"writer-a": "a" * size, "writer-b": "b" * size}
        txt = get_format("txt")
        rounds, deadline = 12, time.monotonic() + 4.0  # bounded by rounds and by time
        done = threading.Event()
        failures: list[BaseException] = []
        outcomes: list[str] = []

        def read_once(store: ResultStore) -> str:
            manifest = store.read_manifest("c/manifest.json")
            if manifest is None:
                return "none"
            try:
                value = store.read(manifest.parts["value"])
            except CorruptResult:
                return "corrupt"
            except StorageError as error:
                # Replaced again on every try while being read: refused, which is not silent.
                if "while it was being read" not in str(error):
                    raise
                return "refused"
            assert value == payloads[manifest.run_id], "a payload passed for another's"
            return "whole"

        def writer(run_id: str) -> None:
            store = backend.store()
            try:
                for _ in range(rounds):
                    if time.monotonic() > deadline:
                        break
                    record = store.write("c/value.txt", payloads[run_id], format=txt)
                    store.write_manifest(
                        "c/manifest.json", manifest_for({"value": record}, run_id=run_id)
                    )
            except BaseException as error:
                failures.append(error)

        def reader() -> None:
            store = backend.store()
            try:
                while not done.is_set():
                    outcomes.append(read_once(store))
            except BaseException as error:
                failures.append(error)

        with warnings.catch_warnings(record=True) as caught:
            # memory:// shows a file while it is being written: a reader may meet half a
            # manifest, which counts as "no result" with a ResultWarning.
            warnings.simplefilter("always", ResultWarning)
            threads = [threading.Thread(target=writer, args=(name,)) for name in payloads]
            watcher = threading.Thread(target=reader)
            for thread in [*threads, watcher]:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
            done.set()
            watcher.join(timeout=60)
        assert not failures, failures
        assert all(isinstance(warning.message, ResultWarning) for warning in caught)
        assert set(outcomes) <= {"none", "whole", "corrupt", "refused"}

        store = backend.store()
        final = read_once(store)
        assert final in ("whole", "corrupt")
        filesystem, root = backend.filesystem()
        raw = filesystem.cat_file(f"{root}/c/value.txt")
        assert raw in {payload.encode() for payload in payloads.values()}, "a mix was left"
        manifest = store.read_manifest("c/manifest.json")
        assert manifest is not None
        if final == "corrupt":
            other = next(name for name in payloads if name != manifest.run_id)
            assert raw == payloads[other].encode()
        elif backend.remote:
            record = manifest.parts["value"]
            assert store.stamps("c")["c/value.txt"] == (record.size, record.stamp)


def test_constructing_a_store_does_no_io() -> None:
    store = ResultStore("no-such-protocol://bucket/prefix")
    with pytest.raises(StorageError, match="cannot open the results store no-such-protocol://"):
        store.exists("x")


def test_a_missing_filesystem_package_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # As if s3fs were not installed: importing it fails, and fsspec has not loaded it yet.
    monkeypatch.setitem(sys.modules, "s3fs", None)
    registry = importlib.import_module("fsspec.registry")  # `fsspec.registry` is a mapping
    monkeypatch.delitem(registry._registry, "s3", raising=False)
    with pytest.raises(StorageError, match=r"pip install 'pipeflow-runner\[s3\]'"):
        ResultStore("s3://bucket/prefix").read_manifest("manifest.json")


def test_errors_other_than_missing_are_not_swallowed(tmp_path: Path) -> None:
    # A folder where the manifest should be: an error that is not "missing" must not read as None.
    (tmp_path / "m" / "manifest.json").mkdir(parents=True)
    store = ResultStore(str(tmp_path))
    with pytest.raises(StorageError, match=str(tmp_path)):
        store.read_manifest("m/manifest.json")


def test_passwords_never_show_in_locations() -> None:
    store = ResultStore("ftp://user:secret@example.invalid/results")
    assert store.location("a.txt") == "ftp://user:***@example.invalid/results/a.txt"
    assert "secret" not in repr(store)


def test_a_local_write_publishes_by_atomic_rename(tmp_path: Path) -> None:
    store = ResultStore(str(tmp_path))
    record = store.write("a/b/c.npy", np.arange(4), format=get_format("npy"))
    assert (tmp_path / "a" / "b" / "c.npy").stat().st_size == record.size
    assert sorted(path.name for path in (tmp_path / "a" / "b").iterdir()) == ["c.npy"]
